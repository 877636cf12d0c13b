"""Check requests and responses against a provider's spec (openapi-core) and cross-field rules.

``validate_request`` and ``validate_response`` are the one check the mock, the recording proxy, cassettes
and users' CI all share. openapi-core does the schema work; this module finds the operation, hands
openapi-core a request it can read (with form bodies already parsed and typed, see ``forms``), turns its
exceptions into ``Violation`` objects phrased like the provider, and adds what OpenAPI cannot express.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaError
from openapi_core import Config, OpenAPI
from openapi_core.casting.schemas import oas31_schema_casters_factory
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.exceptions import DeserializeError
from openapi_core.deserializing.media_types import media_type_deserializers
from openapi_core.deserializing.media_types.util import binary_loads
from openapi_core.deserializing.styles import style_deserializers
from openapi_core.deserializing.styles.factories import StyleDeserializersFactory
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.templating.security.exceptions import SecurityNotFound
from openapi_core.unmarshalling.schemas import oas31_format_unmarshallers, oas31_types_unmarshaller
from openapi_core.unmarshalling.schemas.factories import SchemaUnmarshallersFactory
from openapi_core.validation.request import exceptions as req_exc
from openapi_core.validation.response import exceptions as resp_exc
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from contracts.check import rules as rules_mod
from contracts.check.forms import (
    BinaryAwareValidatorsFactory,
    FormAwareDeserializersFactory,
    FormBody,
    coerce,
    decode_form,
)
from contracts.check.providers import provider_module
from contracts.check.violations import Violation
from contracts.openapi.budget import request_budget
from contracts.openapi.documents import Operation, Spec
from contracts.openapi.documents import spec as load_spec
from contracts.openapi.schemas import is_binary, schema_types
from contracts.openapi.security import Credential
from contracts.wire import jsonbody
from contracts.wire.exchange import FormError, HttpRequest, HttpResponse, as_request, as_response

# Raw image bodies stay bytes; JSON is read strictly (no NaN, bounded nesting, real text) by segmock's parser.
_EXTRA_MEDIA: dict[str, Callable[[bytes], Any]] = {
    **dict.fromkeys(("image/png", "image/jpeg", "image/webp", "image/avif", "image/heic", "image/*"), binary_loads),
    "application/json": jsonbody.loads,
}


@functools.cache
def openapi(provider: str) -> OpenAPI:
    """The openapi-core object of a provider, configured with segmock's form and binary handling."""
    style = StyleDeserializersFactory(oas31_schema_casters_factory, style_deserializers=style_deserializers)
    validators = BinaryAwareValidatorsFactory()
    config = Config(
        spec_validator_cls=None,  # the spec tests validate the documents; skipping keeps start-up fast
        media_type_deserializers_factory=FormAwareDeserializersFactory(style, media_type_deserializers),
        schema_validators_factory=validators,
        schema_unmarshallers_factory=SchemaUnmarshallersFactory(
            validators, oas31_types_unmarshaller, format_unmarshallers=oas31_format_unmarshallers
        ),
        extra_media_type_deserializers=_EXTRA_MEDIA,
    )
    return OpenAPI.from_dict(load_spec(provider).raw, config=config)


@dataclass
class _CoreRequest:
    """What openapi-core reads from a request, with the operation already found by segmock."""

    host_url: str
    path: str
    path_pattern: str
    method: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    full_url_pattern: str = field(init=False)

    def __post_init__(self) -> None:
        self.full_url_pattern = self.host_url + self.path_pattern


@dataclass
class _CoreResponse:
    status_code: int
    headers: Headers
    data: bytes
    content_type: str


@dataclass
class RequestContext:
    """A request matched to its operation, with the parameters the client actually sent (typed)."""

    provider: str
    spec: Spec
    request: HttpRequest
    operation: Operation | None
    path_params: dict[str, str]
    sent: dict[str, Any] = field(default_factory=dict)
    locations: dict[str, str] = field(default_factory=dict)

    def violation(self, parameter: str | None, location: str, rule: str, **detail: Any) -> Violation:
        """A client-side violation, phrased by the provider's module."""
        return _phrased(self.provider, self.operation, parameter, location, rule, "client", detail)


def _phrased(provider: str, op: Operation | None, parameter: str | None, location: str, rule: str,
             side: str, detail: dict[str, Any], severity: str = "error") -> Violation:
    message = provider_module(provider).phrase(rule, parameter, location, detail)
    return Violation(provider, op.operation_id if op else None, parameter, location,  # type: ignore[arg-type]
                     rule, message, side, severity, detail)  # type: ignore[arg-type]


def match(provider: str, request: Any) -> RequestContext:
    """Find the operation a request addresses and collect the parameters it sent, typed by the spec."""
    req = as_request(request)
    spec = load_spec(provider)
    found = spec.find(req.method, req.path)
    op, path_params = found if found else (None, {})
    ctx = RequestContext(provider, spec, req, op, path_params)
    if op is not None:
        _collect_sent(ctx)
    return ctx


def _collect_sent(ctx: RequestContext) -> None:
    spec, op, req = ctx.spec, ctx.operation, ctx.request
    assert op is not None
    query = req.query
    for param in spec.parameters(op):
        name, where = param["name"], param["in"]
        if where == "query" and name in query:
            values = query.getlist(name)
            value = values if "array" in schema_types(param.get("schema", {}), spec.resolve) else values[0]
            ctx.sent[name] = coerce(value, param.get("schema", {}), spec.resolve)
            ctx.locations[name] = "query"
        elif where == "path" and name in ctx.path_params:
            ctx.sent[name] = coerce(ctx.path_params[name], param.get("schema", {}), spec.resolve)
            ctx.locations[name] = "path"
    body = _body_schema(spec, op, req.mimetype)
    if req.is_form:
        try:
            fields, files = req.form_parts()
        except FormError:
            return
        props = spec.resolve(body or {}).get("properties", {})
        for name, value in decode_form(fields, files, props, spec.resolve).items():
            ctx.sent[name] = value
            ctx.locations[name] = "form"
    elif _is_json(req):
        try:
            payload = jsonbody.loads(req.body or b"null", request_budget(ctx.provider).max_json_depth)
        except ValueError:
            return
        if isinstance(payload, dict):
            for name, value in payload.items():
                ctx.sent[name] = value
                ctx.locations[name] = "json"


def _is_json(req: HttpRequest) -> bool:
    return req.mimetype == "application/json" or req.mimetype.endswith("+json")


def _body_schema(spec: Spec, op: Operation, mimetype: str) -> dict[str, Any] | None:
    body = spec.resolve(op.node.get("requestBody", {}))
    content = body.get("content", {})
    media = content.get(mimetype)
    return spec.resolve(media.get("schema")) if media else None


def validate_request(provider: str, request: Any) -> list[Violation]:
    """Check one request against the provider's contract; an empty list means the provider would accept it.

    ``request`` may be a werkzeug/Flask request, an ``httpx.Request``, a ``requests.PreparedRequest``, an
    ``HttpRequest`` or a mapping with ``method``, ``url``, ``headers`` and ``body``.
    """
    return check_request(match(provider, request))


_CACHE_SIZE = 2048
_cache: OrderedDict[tuple[Any, ...], tuple[Violation, ...]] = OrderedDict()
_cache_lock = threading.Lock()


def _fingerprint(ctx: RequestContext) -> tuple[Any, ...] | None:
    """Everything the verdict depends on; two requests with the same fingerprint get the same verdict."""
    req = ctx.request
    digest = hashlib.blake2b(req.body, digest_size=16)
    if req.is_form:
        try:
            fields, files = req.form_parts()
        except FormError:
            return None
        for name, value in fields.items(multi=True):
            digest.update(f"\x00f{name}\x00{value}".encode("utf-8", "surrogateescape"))
        binary = _binary_properties(ctx)
        for name, part in files.items(multi=True):
            # The bytes of a binary upload never change the verdict (schemas only see that it is binary, and its
            # emptiness), so two uploads of different images share one check. A file part holding a typed value
            # (Prodia's job.json) is validated, so its bytes count.
            digest.update(f"\x00p{name}\x00{part.filename}\x00{part.content_type}\x00{bool(part.data)}"
                          .encode("utf-8", "surrogateescape"))
            if name not in binary:
                digest.update(part.data)
    cred = ctx.spec.credential
    secret = cred.name.lower() if cred is not None else ""
    headers = tuple(sorted((k.lower(), _stable_header(k.lower(), v, secret, cred)) for k, v in req.headers.items()
                           if k.lower() not in _VOLATILE_HEADERS))
    return (ctx.provider, req.method, req.url.split("://", 1)[-1].partition("/")[2], headers, digest.digest())


def _binary_properties(ctx: RequestContext) -> frozenset[str]:
    """Form properties whose schema is raw bytes (``format: binary``, or arrays of them)."""
    return _binary_names(ctx.spec, ctx.operation, ctx.request.mimetype) if ctx.operation else frozenset()


@functools.lru_cache(maxsize=256)  # a spec does not change once loaded; the walk was ~170 ref lookups a request
def _binary_names(spec: Spec, operation: Operation, mimetype: str) -> frozenset[str]:
    body = _body_schema(spec, operation, mimetype)
    out = set()
    for name, prop in (spec.resolve(body or {}).get("properties") or {}).items():
        prop = spec.resolve(prop)
        item = spec.resolve(prop.get("items", {})) if isinstance(prop, dict) else {}
        if is_binary(prop) or is_binary(item):
            out.add(name)
    return frozenset(out)


def _stable_header(name: str, value: str, secret: str, cred: Credential | None) -> str:
    """A header's value as far as the verdict goes: whether a key reads as one (not which key), a body's media
    type (no boundary)."""
    if name == secret and cred is not None:
        return "key" if cred.read({cred.name: value}) is not None else "blank"
    if name == "content-type" and "boundary=" in value:
        return value.split(";", 1)[0].strip().lower()
    return value


_VOLATILE_HEADERS = frozenset({"content-length", "host", "user-agent", "connection", "accept-encoding", "date",
                               "x-request-id", "traceparent"})


def check_request(ctx: RequestContext) -> list[Violation]:
    """``validate_request`` for an already matched request (the mock matches once and reuses it).

    openapi-core takes a few milliseconds per request; verdicts are pure functions of the request, so the
    last few thousand are remembered and a repeated request is checked for free.
    """
    key = _fingerprint(ctx)
    if key is not None:
        with _cache_lock:
            hit = _cache.get(key)
            if hit is not None:
                _cache.move_to_end(key)
                return list(hit)
    verdict = _check_request(ctx)
    if key is not None:
        with _cache_lock:
            _cache[key] = tuple(verdict)
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return verdict


def _check_request(ctx: RequestContext) -> list[Violation]:
    req, op, spec = ctx.request, ctx.operation, ctx.spec
    if op is None:
        rule = "method-not-allowed" if spec.path_known(req.path) else "unknown-operation"
        return [ctx.violation(None, "request", rule, method=req.method, path=req.path)]
    out: list[Violation] = []
    body: bytes | None = req.body or None
    if req.is_form:
        try:
            fields, files = req.form_parts()
        except FormError as exc:
            return [ctx.violation(None, "body", "malformed-body", reason=str(exc))]
        # A form the client declared is a body, however empty: the verdict is then "<field> is required",
        # the same whether the request arrives as raw bytes or already parsed by werkzeug (no bytes kept).
        body = FormBody(req.body, fields, files, present=True)
    unreadable: list[Violation] = []
    if _is_json(req) and body is not None:
        try:  # refused here with our reason; openapi-core then checks the rest of the request without the body
            jsonbody.loads(body, request_budget(ctx.provider).max_json_depth)
        except ValueError as exc:  # JsonError, and json's own JSONDecodeError for text that is not JSON
            unreadable, body = [ctx.violation(None, "body", "malformed-body", reason=str(exc))], None
    core = _CoreRequest(
        host_url=op.base_url,
        path=req.path,
        path_pattern=op.path,
        method=req.method.lower(),
        parameters=RequestParameters(query=ImmutableMultiDict(req.query), header=req.headers,
                                     path=dict(ctx.path_params)),
        body=body,
        content_type=req.content_type or "application/octet-stream",
    )
    result = openapi(ctx.provider).unmarshal_request(core)
    for error in result.errors:
        out.extend(_request_error(ctx, error))
    if unreadable:
        return _dedupe([*[v for v in out if v.rule != "required-body"], *_blank_credentials(ctx), *unreadable])
    out.extend(_non_finite(ctx))
    out.extend(_long_text(ctx))
    out.extend(_blank_credentials(ctx))
    out.extend(rules_mod.check(ctx))
    if req.is_form:
        out.extend(_duplicates(ctx, *req.form_parts()))
    out.extend(_unsupported(ctx))
    return _dedupe(out)


_NON_FINITE = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})


def _non_finite(ctx: RequestContext) -> Iterable[Violation]:
    """NaN and infinities are not numbers to any provider (openapi-core's query casting lets them through)."""
    for param in ctx.spec.parameters(ctx.operation):  # type: ignore[arg-type]
        name = param["name"]
        value = ctx.sent.get(name)
        if ctx.locations.get(name) in ("query", "path") and isinstance(value, str) \
                and value.strip().lower() in _NON_FINITE \
                and {"number", "integer"} & set(schema_types(param.get("schema", {}), ctx.spec.resolve)):
            yield ctx.violation(name, ctx.locations[name], "type", expected="number", value=value)


def _long_text(ctx: RequestContext) -> Iterable[Violation]:
    """Free text beyond the provider's budget (``x-segmock-request-budget``): prompts cost work per word."""
    budget = request_budget(ctx.provider)
    if budget.max_text_chars is None:
        return
    for name in budget.text_fields:
        value = ctx.sent.get(name)
        if isinstance(value, str) and len(value) > budget.max_text_chars:
            yield ctx.violation(name, ctx.locations.get(name, "body"), "maxLength", limit=budget.max_text_chars,
                                value=f"<{len(value)} characters>")


def _blank_credentials(ctx: RequestContext) -> Iterable[Violation]:
    """A key header that is present but blank (``x-api-key:``, ``Authorization: Bearer``) authenticates nobody;
    openapi-core only checks that the header exists."""
    op, cred = ctx.operation, ctx.spec.credential
    if op is None or cred is None or not ctx.spec.requires_key(op):
        return
    headers, query = ctx.request.headers, ctx.request.query if cred.location == "query" else None
    if cred.present(headers, query) and cred.read(headers, query) is None:
        yield ctx.violation(cred.name, cred.location, "auth")


def _duplicates(ctx: RequestContext, fields: Any, files: Any) -> Iterable[Violation]:
    body = _body_schema(ctx.spec, ctx.operation, ctx.request.mimetype) or {}  # type: ignore[arg-type]
    props = ctx.spec.resolve(body).get("properties", {})
    for name in dict.fromkeys([*fields.keys(), *files.keys()]):
        count = len(fields.getlist(name)) + len(files.getlist(name))
        if count > 1 and "array" not in schema_types(props.get(name, {}), ctx.spec.resolve):
            yield ctx.violation(name, "form", "duplicate", count=count)


def _unsupported(ctx: RequestContext) -> Iterable[Violation]:
    """Query/form names the operation does not declare: providers ignore them (a warning, not an error)."""
    op, req = ctx.operation, ctx.request
    assert op is not None
    query_schemas = {p["name"]: p.get("schema", {}) for p in ctx.spec.parameters(op) if p["in"] == "query"}
    known = _declared_names(query_schemas, ctx.spec.resolve)
    for name in dict.fromkeys(req.query.keys()):
        if not known(name):
            yield _phrased(ctx.provider, op, name, "query", "unsupported", "client", {}, "warning")
    if req.is_form:
        body = _body_schema(ctx.spec, op, req.mimetype) or {}
        resolved = ctx.spec.resolve(body)
        if resolved.get("additionalProperties", True) is False:
            return  # the schema itself rejects them
        known = _declared_names(resolved.get("properties", {}), ctx.spec.resolve)
        fields, files = req.form_parts()
        for name in dict.fromkeys([*fields.keys(), *files.keys()]):
            if not known(name):
                yield _phrased(ctx.provider, op, name, "form", "unsupported", "client", {}, "warning")


def _declared_names(schemas: dict[str, Any], resolve: Any) -> Any:
    """A test for a sent name: declared as is, matching a templated name (``editWithAI.additionalImages.{key}
    .imageUrl``), or a dotted field inside a declared object (``virtualModel.model.preset.name``)."""
    templated = [re.compile(re.sub(r"\\\{[^}]*\\\}", "[^.]+", re.escape(n))) for n in schemas if "{" in n]
    objects = tuple(f"{n}." for n, s in schemas.items() if "object" in schema_types(s, resolve))

    def known(name: str) -> bool:
        return name in schemas or name.startswith(objects) or any(t.fullmatch(name) for t in templated)

    return known


def _request_error(ctx: RequestContext, error: Exception) -> list[Violation]:
    body_location = "form" if ctx.request.is_form else "json"
    if isinstance(error, (SecurityNotFound, req_exc.SecurityValidationError)):
        name, where = _security_header(ctx)
        return [ctx.violation(name, where, "auth")]
    if isinstance(error, req_exc.MissingRequiredParameter):
        return [ctx.violation(error.name, error.location, "required")]
    if isinstance(error, req_exc.ParameterValidationError):
        return _schema_errors(ctx, error.__cause__, error.name, error.location)
    if isinstance(error, req_exc.MissingRequiredRequestBody):
        return [ctx.violation(None, "body", "required-body")]
    if isinstance(error, MediaTypeNotFound) or isinstance(error.__cause__, MediaTypeNotFound):
        return [ctx.violation("Content-Type", "header", "content-type",
                              value=ctx.request.mimetype or None,
                              allowed=list(getattr(error.__cause__ or error, "availableMimetypes", ())))]
    if isinstance(error, req_exc.RequestBodyValidationError):
        cause = error.__cause__
        if isinstance(cause, DeserializeError) or cause is None and not isinstance(error, req_exc.InvalidRequestBody):
            return [ctx.violation(None, "body", "malformed-body", reason=_reason(cause or error))]
        return _schema_errors(ctx, cause, None, body_location)
    return [ctx.violation(None, "request", "invalid", reason=_reason(error))]


def _reason(error: BaseException) -> str:
    """An exception's text; openapi-core's deserialize errors decode the body as UTF-8 to print it, and raise
    on a body that is not UTF-8 (the client's bug must stay a 400, not become ours)."""
    try:
        return str(error)
    except UnicodeDecodeError:
        return f"{type(error).__name__}: the body is not valid UTF-8"


def _security_header(ctx: RequestContext) -> tuple[str, str]:
    cred = ctx.spec.credential
    return (cred.name, cred.location) if cred is not None else ("Authorization", "header")


def _schema_errors(ctx: RequestContext, cause: Any, name: str | None, location: str) -> list[Violation]:
    if isinstance(cause, CastError):
        return [ctx.violation(name, location, "type", value=cause.value, expected=cause.type)]
    if isinstance(cause, DeserializeError):
        return [ctx.violation(name, location, "malformed", reason=_reason(cause))]
    if not isinstance(cause, InvalidSchemaValue):
        return [ctx.violation(name, location, "invalid", reason=_reason(cause))]
    out = []
    for err in cause.schema_errors:
        if isinstance(err, SchemaError):
            out.extend(_from_schema_error(ctx, err, name, location))
    return out


def _from_schema_error(ctx: RequestContext, err: SchemaError, name: str | None, location: str,
                       side: str = "client") -> list[Violation]:
    err = _most_relevant(err)
    path = [*([name] if name else []), *err.absolute_path]
    keyword = str(err.validator)
    detail: dict[str, Any] = {"keyword": keyword, "limit": _plain(err.validator_value),
                              "value": _plain(err.instance), "schema_message": err.message}
    if keyword == "required":
        missing = [k for k in err.validator_value if not isinstance(err.instance, dict) or k not in err.instance]
        return [_make(ctx, _dotted([*path, k]), location, "required", side, detail) for k in missing]
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        allowed = set(err.schema.get("properties", {}))
        extra = [k for k in (err.instance or {}) if k not in allowed]
        return [_make(ctx, _dotted([*path, k]), location, "unknown-field", side, detail) for k in extra]
    if keyword == "type":
        detail["expected"] = err.validator_value
    return [_make(ctx, _dotted(path) or None, location, keyword, side, detail)]


def _make(ctx: RequestContext, parameter: str | None, location: str, rule: str, side: str,
          detail: dict[str, Any]) -> Violation:
    return _phrased(ctx.provider, ctx.operation, parameter, location, rule, side, detail)


def _most_relevant(err: SchemaError) -> SchemaError:
    """For oneOf/anyOf failures, the error of the branch the value was meant for (a discriminator)."""
    if err.validator not in ("oneOf", "anyOf") or not err.context:
        return err
    instance = err.instance
    if isinstance(instance, dict):
        for i, branch in enumerate(err.validator_value):
            disc = _discriminator_match(branch, instance)
            if disc:
                branch_errors = [e for e in err.context if e.relative_schema_path and e.relative_schema_path[0] == i]
                if branch_errors:
                    return _most_relevant(sorted(branch_errors, key=lambda e: len(e.absolute_path))[-1])
    return err


def _discriminator_match(branch: Any, instance: dict[str, Any]) -> bool:
    props = branch.get("properties", {}) if isinstance(branch, dict) else {}
    for key, sub in props.items():
        if key in instance and isinstance(sub, dict):
            if "const" in sub and sub["const"] == instance[key]:
                return True
            if "enum" in sub and instance[key] in sub["enum"]:
                return True
    return False


def _dotted(path: list[Any]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value][:20]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in list(value.items())[:20]}
    return str(value)


def _dedupe(violations: list[Violation]) -> list[Violation]:
    """One violation per parameter and place: the schema's verdict first, then the rule tables', then ours."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for v in violations:
        key = (v.parameter, v.location, v.severity) if v.parameter else (v.location, v.rule, v.message)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def validate_response(provider: str, request: Any, response: Any) -> list[Violation]:
    """Check a response against what the spec says the operation returns (``side='provider'``).

    Statuses, content types, headers and bodies are checked; JSON and form bodies against their schemas.
    """
    ctx = match(provider, request)
    resp = as_response(response)
    op = ctx.operation
    if op is None:
        return [_phrased(provider, None, None, "response", "unknown-operation", "provider",
                         {"method": ctx.request.method, "path": ctx.request.path})]
    core_req = _CoreRequest(op.base_url, ctx.request.path, op.path, ctx.request.method.lower(),
                            RequestParameters(path=dict(ctx.path_params)), None,
                            ctx.request.content_type or "application/octet-stream")
    core_resp = _CoreResponse(resp.status, resp.headers, resp.body, resp.content_type or "application/octet-stream")
    result = openapi(provider).unmarshal_response(core_req, core_resp)
    out = []
    for error in result.errors:
        out.extend(_response_error(ctx, error, resp))
    return _dedupe(out)


def _response_error(ctx: RequestContext, error: Exception, resp: HttpResponse) -> list[Violation]:
    def make(parameter: str | None, location: str, rule: str, **detail: Any) -> Violation:
        return _phrased(ctx.provider, ctx.operation, parameter, location, rule, "provider", detail)

    cause = error.__cause__
    if isinstance(error, ResponseNotFound) or isinstance(cause, ResponseNotFound):
        return [make(None, "response", "undocumented-status", status=resp.status)]
    if isinstance(error, MediaTypeNotFound) or isinstance(cause, MediaTypeNotFound):
        return [make("Content-Type", "header", "content-type", value=resp.mimetype or None)]
    if isinstance(error, resp_exc.MissingRequiredHeader):
        return [make(error.name, "header", "required")]
    if isinstance(error, resp_exc.InvalidHeader):
        return [make(error.name, "header", "invalid", reason=_reason(cause or error))]
    if isinstance(error, resp_exc.MissingData):
        return [make(None, "body", "required-body")]
    if isinstance(error, resp_exc.DataValidationError):
        if isinstance(cause, InvalidSchemaValue):
            out = []
            for err in cause.schema_errors:
                if isinstance(err, SchemaError):
                    out.extend(_from_schema_error(ctx, err, None, "body", side="provider"))
            return out
        return [make(None, "body", "malformed-body", reason=_reason(cause or error))]
    return [make(None, "response", "invalid", reason=str(error))]
