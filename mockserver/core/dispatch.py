"""Turn a provider folder into a Flask blueprint at the provider's real paths.

Every request goes through the same pipeline before its handler runs: body-size limit from the headers,
match to the spec's operation, key check, ``contracts`` validation, and the provider's own error shapes
for anything refused. Handlers only ever see requests the real provider would accept.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
import time
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

import contracts
from contracts.check.forms import coerce
from contracts.check.providers import error_response, render_error
from contracts.check.violations import errors_only
from contracts.openapi.budget import request_budget, takes_uploads
from contracts.wire.exchange import FormError

from .fetch import FetchError
from .imagelimits import ImageProblem
from .provider import Call, ProviderDef, explain, fetch_reason, respond
from .services import Services

log = logging.getLogger("segmock")

# Violations ``--allow-private-webhooks`` waives, so tests can use a plain-HTTP receiver on loopback.
PRIVATE_WEBHOOK_RULES = frozenset({"webhook-host", "webhook-scheme"})


def services() -> Services:
    return current_app.extensions["segmock"]


def flask_rule(path: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: f"<{m.group(1)}>", path)


def blueprint(provider: ProviderDef) -> Blueprint:
    """A blueprint serving every operation of the provider's spec that its folder implements."""
    bp = Blueprint(provider.name, __name__)
    spec = contracts.spec(provider.name)
    missing = set(spec.operations) - set(provider.urls) - spec.unmocked
    if missing:
        raise RuntimeError(f"{provider.name}: no handler for {', '.join(sorted(missing))}")
    for op in spec.operations.values():
        # No automatic OPTIONS: the providers document none, so it is a method they refuse (core.unrouted).
        bp.add_url_rule(flask_rule(op.path), endpoint=op.operation_id, methods=[op.method.upper()],
                        view_func=_view(provider, op.operation_id), provide_automatic_options=False)
    return bp


def _view(provider: ProviderDef, operation: str) -> Any:
    def view(**_: str) -> Any:
        return respond_to(provider, operation)

    view.__name__ = f"{provider.name}_{operation}".replace("-", "_")
    return view


def respond_to(provider: ProviderDef, operation: str) -> Any:
    """Run the pipeline for one request, between the injectors (faults) and observers (journal)."""
    svc = services()
    started = time.perf_counter()
    req = request._get_current_object()  # type: ignore[attr-defined] # the request itself: every read through the proxy costs a lookup
    for inject in svc.injectors:
        injected = inject(provider.name, operation, req)
        if injected is not None:
            response = injected if not isinstance(injected, contracts.HttpResponse) else respond(injected)
            _observe(svc, provider.name, operation, req, None, response, started, injected=True)
            return response
    ctx_box: list[Any] = []
    with svc.work_gate.request():
        response = _pipeline(provider, operation, svc, req, ctx_box)
    if not isinstance(response, Response):
        response = current_app.make_response(response)
    _observe(svc, provider.name, operation, req, ctx_box[0] if ctx_box else None, response, started)
    return response


def _observe(svc: Services, provider: str, operation: str, req: Any, ctx: Any, response: Any, started: float,
             injected: bool = False) -> None:
    if not svc.observers:
        return
    elapsed = time.perf_counter() - started
    for observe in svc.observers:
        try:
            observe(provider, operation, req, ctx, response, elapsed, injected)
        except Exception:  # an observer must never break a response
            log.exception("segmock observer failed")


def _pipeline(provider: ProviderDef, operation: str, svc: Services, request: Any, ctx_box: list[Any]) -> Any:
    """Every refusal is the provider's documented error response; handlers see only acceptable requests."""
    name = provider.name
    budget = request_budget(name)
    uploads = takes_uploads(name, operation) and not request.mimetype.endswith("json")
    limit = provider.max_body(operation) if uploads else None
    limit = limit if limit is not None else budget.body_limit(uploads)
    try:
        if request.content_length is not None and request.content_length > limit:
            return respond(_too_large(name, operation, uploads, limit))
        request.max_content_length = limit
        request.max_form_parts = budget.max_form_parts
        if request.content_length is None and not request.mimetype.startswith("multipart/") \
                and len(request.get_data(cache=True)) >= limit:
            request.stream.read(1)  # werkzeug's read stops quietly at the limit; one byte more raises past it
        try:
            ctx, violations = svc.matcher.match(name, request)
            ctx_box.append(ctx)
        except FormError as exc:
            violation = _malformed(name, operation, str(exc))
            return respond(render_error(name, [violation], operation))
        api_key = provider.credential(request)
        admission: Any = None
        errors = errors_only(violations)
        if not provider.public(operation):
            auth = [v for v in errors if v.rule == "auth"]
            if auth or not api_key:
                return respond(render_error(name, auth or [_auth(name, operation)], operation))
            if svc.config.api_keys and api_key not in svc.config.api_keys:
                return respond(error_response(name, "auth_invalid", operation))
            admission = _guard(provider, svc, api_key, operation)
            if isinstance(admission, contracts.HttpResponse):
                return respond(admission)
        errors = [v for v in errors if v.rule != "auth"]
        if svc.config.allow_private_webhooks:
            errors = [v for v in errors if v.rule not in PRIVATE_WEBHOOK_RULES]
        if errors:
            return respond(render_error(name, errors, operation))
        if operation in ctx.spec.unmocked:
            return respond(error_response(name, "not_mocked", operation))
        call = Call(name, operation, ctx, request, svc, backend_of(provider, svc), api_key,
                    with_defaults(ctx), [v for v in violations if v.severity == "warning"], admission)
        result = provider.urls[operation](call)
        return respond(result) if isinstance(result, contracts.HttpResponse) else result
    except RequestEntityTooLarge:
        if request.content_length is not None and request.content_length <= limit:  # werkzeug counted parts
            reason = f"more than {budget.max_form_parts} form parts"
            return respond(render_error(name, [_malformed(name, operation, reason)], operation))
        return respond(_too_large(name, operation, uploads, limit))
    except ImageProblem as exc:
        explain(str(exc))
        return respond(_catalog_answer(name, operation, exc.kind, "image_invalid", str(exc)))
    except FetchError as exc:  # the provider's answer says little; the journal and the log say why
        log.warning("segmock: %s %s: imageUrl not fetched (%s): %s", name, operation, exc.kind, exc)
        explain(fetch_reason(exc))
        return respond(_catalog_answer(name, operation, "image_url_unreachable", "image_invalid", str(exc)))
    except Exception:  # a bug in the mock: answer in the provider's 5xx shape and say so in the log
        log.exception("segmock: %s %s failed", name, operation)
        return respond(error_response(name, "server_error", operation))


def _too_large(provider: str, operation: str, uploads: bool, limit: int) -> contracts.HttpResponse:
    """An upload over its limit is the catalog's ``image_too_large``; any other body over the budget is a
    validation refusal that says so (``x-segmock-request-budget``)."""
    if uploads:
        return error_response(provider, "image_too_large", operation)
    return _catalog_answer(provider, operation, "body_too_large", "validation",
                           f"The request body is larger than {limit} bytes.")


def _guard(provider: ProviderDef, svc: Services, api_key: str | None, operation: str) -> Any:
    """The backend's ``guard(api_key, operation)``, checked after auth and before validation as NestJS runs
    guards before pipes: a refusal (``HttpResponse``: scope, rate limit), or what the request was admitted
    with (handed to the handler as ``Call.admission``). Backends without a guard admit everything."""
    guard = getattr(backend_of(provider, svc), "guard", None)
    return guard(api_key, operation) if guard is not None else None


def _catalog_answer(provider: str, operation: str, key: str, fallback: str, message: str) -> contracts.HttpResponse:
    """The catalog's own answer for ``key``; when the provider lists no such entry, ``fallback`` with our words."""
    if key in contracts.spec(provider).errors:
        return error_response(provider, key, operation)
    return error_response(provider, fallback, operation, message=message)


def backend_of(provider: ProviderDef, svc: Services) -> Any:
    backend = svc.backends.get(provider.name)
    if backend is None:
        backend = svc.backends.setdefault(provider.name, provider.backend(svc))
    return backend


def _auth(provider: str, operation: str) -> contracts.Violation:
    return contracts.Violation(provider, operation, None, "header", "auth", "missing credentials")


def _malformed(provider: str, operation: str, reason: str) -> contracts.Violation:
    from contracts.check.providers import provider_module

    message = provider_module(provider).phrase("malformed-body", None, "body", {"reason": reason})
    return contracts.Violation(provider, operation, None, "body", "malformed-body", message, detail={"reason": reason})


def with_defaults(ctx: Any) -> dict[str, Any]:
    """What the client sent, plus the spec's defaults for what it did not (typed)."""
    params = dict(ctx.sent)
    for name, value in _defaults(ctx.spec, ctx.operation, ctx.request.mimetype):
        if name not in params:
            params[name] = value if isinstance(value, (str, int, float, type(None))) else copy.deepcopy(value)
    return params


@functools.lru_cache(maxsize=256)  # a spec does not change once loaded; the walk was ~90 ref lookups a request
def _defaults(spec: Any, op: Any, mimetype: str) -> tuple[tuple[str, Any], ...]:
    """(name, default) of the operation's parameters, then of its body's properties, in the order they apply."""
    out = []
    for param in spec.parameters(op):
        schema = spec.resolve(param.get("schema", {}))
        if "default" in schema:
            out.append((param["name"], coerce(schema["default"], schema, spec.resolve)))
    body = spec.resolve(op.node.get("requestBody", {}))
    media = body.get("content", {}).get(mimetype)
    if media:
        schema = spec.resolve(media.get("schema", {}))
        for name, prop in schema.get("properties", {}).items():
            prop = spec.resolve(prop)
            if "default" in prop:
                out.append((name, prop["default"]))
    return tuple(out)
