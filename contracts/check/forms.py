"""Schema-aware coercion of form and query strings, registered with openapi-core.

Form fields and query parameters arrive as strings. openapi-core 0.23 does not cast multipart/urlencoded
fields to the schema's number/boolean types (so ``padding=0.1`` or ``removeBackground=false`` sent as form
fields fail), crashes on 3.1 multi-type fields such as ``type: [number, string]``, and under OpenAPI 3.1
rejects bytes for ``format: binary``. This module fixes all three once: ``FormMediaTypeDeserializer``
replaces openapi-core's form decoding, ``coerce`` turns each string into the type its schema allows, and
``BINARY_AWARE_VALIDATORS`` lets ``type: string`` accept bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from jsonschema import validators as js_validators
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema_path import SchemaPath
from openapi_core.deserializing.media_types.deserializers import MediaTypeDeserializer
from openapi_core.deserializing.media_types.factories import MediaTypeDeserializersFactory
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_schema_validator import OAS30ReadValidator, OAS31Validator
from werkzeug.datastructures import MultiDict

from contracts.openapi.schemas import Resolver, is_binary, schema_types
from contracts.wire import jsonbody
from contracts.wire.exchange import FilePart, parse_form

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")



def coerce(value: Any, schema: Any, resolve: Resolver) -> Any:
    """Turn a wire string into the most specific type its schema admits.

    ``"0.1"`` becomes ``0.1`` where a number is allowed (even when a string is too, as for Photoroom's
    ``padding``), ``"false"`` becomes ``False`` where a boolean is allowed, JSON text becomes an object
    where an object is allowed; anything else stays a string so the schema reports it. NaN and infinities
    stay strings: no provider accepts them as numbers.
    """
    if not isinstance(value, str):
        return value
    types = schema_types(schema, resolve)
    text = value.strip()
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    if "integer" in types and _INT.fullmatch(text):
        return int(text)
    if "number" in types and _FLOAT.fullmatch(text):
        number = float(text)
        if math.isfinite(number):
            return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if ("object" in types or "array" in types) and text[:1] in ("{", "["):
        try:
            return jsonbody.loads(text)
        except ValueError:
            return value
    if "null" in types and text == "null":
        return None
    return value


def decode_form(
    fields: MultiDict, files: MultiDict, properties: dict[str, Any], resolve: Resolver
) -> dict[str, Any]:
    """Build the body object a form stands for, typed by the schema's ``properties``.

    Array properties take every value of a repeated field; others take the first. File parts of binary
    properties stay bytes; a text field sent as a file part is decoded as UTF-8 text.
    """
    out: dict[str, Any] = {}
    names = list(dict.fromkeys([*fields.keys(), *files.keys()]))
    for name in names:
        schema = properties.get(name, {})
        resolved = resolve(schema) if schema else {}
        values: list[Any] = [*fields.getlist(name), *files.getlist(name)]
        item_schema = resolved.get("items", {}) if "array" in schema_types(resolved, resolve) else None
        target = item_schema if item_schema is not None else schema
        decoded = [_decode_value(v, target, resolve) for v in values]
        out[name] = decoded if item_schema is not None else decoded[0]
    return out


def _decode_value(value: Any, schema: Any, resolve: Resolver) -> Any:
    if isinstance(value, FilePart):
        if is_binary(schema, resolve) or not schema:
            return value.data
        try:
            value = value.data.decode("utf-8")
        except UnicodeDecodeError:
            return value.data
    return coerce(value, schema, resolve)


class FormBody(bytes):
    """Request body bytes that carry their already-parsed form, so openapi-core never re-parses it."""

    fields: MultiDict
    files: MultiDict

    present: bool

    def __new__(cls, raw: bytes, fields: MultiDict, files: MultiDict, present: bool = False) -> FormBody:
        obj = super().__new__(cls, raw)
        obj.fields = fields
        obj.files = files
        obj.present = present
        return obj

    def __bool__(self) -> bool:
        return self.present or bool(self.fields) or bool(self.files) or len(self) > 0


class FormMediaTypeDeserializer(MediaTypeDeserializer):
    """Replaces openapi-core's form decoding with ``decode_form`` (see the module docstring)."""

    def deserialize(self, value: bytes) -> Any:
        if self.schema is None:
            return super().deserialize(value)
        if isinstance(value, FormBody):
            fields, files = value.fields, value.files
        else:
            boundary = self.parameters.get("boundary", "")
            content_type = f"{self.mimetype}; boundary={boundary}" if boundary else self.mimetype
            fields, files = parse_form(bytes(value), content_type)
        with self.schema.resolve() as resolved:
            contents = resolved.contents
            resolver = resolved.resolver

        def resolve(node: Any) -> Any:
            while isinstance(node, dict) and "$ref" in node:
                node = resolver.lookup(node["$ref"]).contents
            return node

        properties = resolve(contents).get("properties", {})
        return decode_form(fields, files, properties, resolve)


class FormAwareDeserializersFactory(MediaTypeDeserializersFactory):
    """Hands form media types to ``FormMediaTypeDeserializer``; everything else as openapi-core does."""

    def create(self, spec: SchemaPath, mimetype: str, schema: SchemaPath | None = None, **kwargs: Any):  # type: ignore[override]
        base = super().create(spec, mimetype, schema=schema, **kwargs)
        if schema is None or not (mimetype.startswith("multipart/") or mimetype == "application/x-www-form-urlencoded"):
            return base
        return FormMediaTypeDeserializer(
            base.spec,
            base.style_deserializers_factory,
            base.media_types_deserializer,
            mimetype=base.mimetype,
            schema=base.schema,
            schema_validator=base.schema_validator,
            schema_caster=base.schema_caster,
            encoding=base.encoding,
            **base.parameters,
        )


def _string_or_bytes(checker: Any, instance: Any) -> bool:
    return isinstance(instance, (str, bytes))


def _discriminated(keyword: Callable[..., Any]) -> Callable[..., Any]:
    """openapi-schema-validator looks a discriminator's value up in a dict, and raises ``TypeError`` when a
    client sends a list or object there (Prodia's ``"type": [null]``): such a value is reported as the wrong
    type instead."""

    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        discriminator = schema.get("discriminator") if isinstance(schema, dict) else None
        if isinstance(discriminator, dict) and isinstance(instance, dict):
            name = discriminator.get("propertyName")
            found = instance.get(name)
            if found is not None and not isinstance(found, str):
                yield SchemaError(f"{found!r} is not of type 'string'", validator="type", validator_value="string",
                                  instance=found, path=[name], schema={"type": "string"})
                return
        yield from keyword(validator, value, instance, schema)

    return check


BinaryAwareOAS31Validator = js_validators.extend(
    OAS31Validator, type_checker=OAS31Validator.TYPE_CHECKER.redefine("string", _string_or_bytes),
    validators={k: _discriminated(OAS31Validator.VALIDATORS[k]) for k in ("oneOf", "anyOf", "allOf")},
)


class BinaryAwareValidatorsFactory(SchemaValidatorsFactory):
    """OAS 3.1 validation where ``type: string, format: binary`` accepts the bytes of an upload."""

    def __init__(self) -> None:
        super().__init__(BinaryAwareOAS31Validator, OAS30ReadValidator.FORMAT_CHECKER)
        self._checker = super().get_format_checker()
        self._created: dict[Any, Any] = {}

    def get_format_checker(self, format_validators: Any = None, extra_format_validators: Any = None) -> Any:
        # openapi-core deep-copies the format checker for every schema of every request; segmock registers
        # no per-call format validators, so one shared checker is equivalent and much faster.
        if format_validators is None and not extra_format_validators:
            return self._checker
        return super().get_format_checker(format_validators, extra_format_validators)

    def create(self, spec: SchemaPath, schema: SchemaPath, *args: Any, **kwargs: Any) -> Any:
        """Validators are pure functions of their schema: build each once per process."""
        key = (id(spec), tuple(schema.parts), args, tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))
        try:
            return self._created[key]
        except (KeyError, TypeError):
            pass
        validator = super().create(spec, schema, *args, **kwargs)
        try:
            self._created[key] = validator
        except TypeError:
            pass
        return validator

