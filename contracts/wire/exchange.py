"""One representation of an HTTP request and response, whatever produced it.

The mock (werkzeug requests), the pytest fixtures (httpx, requests), the recording proxy and cassettes all
hand their traffic to the same checks; these records are the common form, and ``as_request`` /
``as_response`` build them from each library's objects.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header
from werkzeug.sansio.utils import get_current_url


@dataclass(frozen=True)
class FilePart:
    """A file part of a multipart body."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


class FormError(ValueError):
    """The body claims to be a form but cannot be parsed as one."""


def _headers(value: Any) -> Headers:
    if isinstance(value, Headers):
        return value
    if value is None:
        return Headers()
    items = value.multi_items() if hasattr(value, "multi_items") else getattr(value, "items", lambda: value)()
    return Headers([(str(k), str(v)) for k, v in items])


class _Typed:
    """What both messages say about their body's type."""

    headers: Headers

    @property
    def content_type(self) -> str:
        # getlist, not get: werkzeug's get raises (and builds) an HTTP exception for every absent header
        found = self.headers.getlist("Content-Type")
        return found[0] if found else ""

    @property
    def mimetype(self) -> str:
        return _mimetype(self.content_type)


@functools.lru_cache(maxsize=256)
def _mimetype(content_type: str) -> str:
    """The media type of a Content-Type value (asked for many times per request, by every check)."""
    return parse_options_header(content_type)[0].lower()


@dataclass
class HttpRequest(_Typed):
    """A request as sent on the wire: method, absolute URL, headers, body.

    ``form``/``files`` may be given already parsed (the mock passes werkzeug's parse) so a 30 MB upload is
    never parsed twice; otherwise they are parsed from ``body`` on first use.
    """

    method: str
    url: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    _form: MultiDict | None = field(default=None, repr=False)
    _files: MultiDict | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.headers = _headers(self.headers)
        if isinstance(self.body, str):
            self.body = self.body.encode()

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def host_url(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""

    @property
    def query(self) -> MultiDict:
        return MultiDict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    @property
    def is_form(self) -> bool:
        return self.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded")

    def form_parts(self) -> tuple[MultiDict, MultiDict]:
        """Text fields and file parts of a form body (raises ``FormError`` when it cannot be parsed)."""
        if self._form is None or self._files is None:
            self._form, self._files = parse_form(self.body, self.content_type)
        return self._form, self._files


@dataclass
class HttpResponse(_Typed):
    """A response as received: status, headers, body."""

    status: int
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def __post_init__(self) -> None:
        self.headers = _headers(self.headers)
        if isinstance(self.body, str):
            self.body = self.body.encode()


def parse_form(body: bytes, content_type: str) -> tuple[MultiDict, MultiDict]:
    mimetype, options = parse_options_header(content_type)
    if mimetype == "multipart/form-data" and not options.get("boundary"):
        raise FormError("multipart body without a boundary")
    parser = FormDataParser(stream_factory=_in_memory, silent=False, max_form_parts=10_000)
    try:
        _, form, files = parser.parse(io.BytesIO(body), mimetype, len(body), options)
    except ValueError as exc:
        raise FormError(f"malformed form body: {exc}") from exc
    return _named(form), _file_parts(files)


def _named(form: MultiDict) -> MultiDict:
    """The fields that have a name: werkzeug keys a part whose ``name`` it cannot read as ``None``, and form
    parsers such as Go's ``ReadForm`` skip a part without a name."""
    if None not in form:
        return form
    return MultiDict([(k, v) for k, v in form.items(multi=True) if isinstance(k, str)])


def _in_memory(*_: Any, **__: Any) -> io.BytesIO:
    """Where werkzeug puts a file part: memory, not its temporary file for parts over 500 KB (the body is in
    memory already, and a recorded upload must never reach the disk)."""
    return io.BytesIO()


def _file_parts(files: Mapping[str, FileStorage] | MultiDict) -> MultiDict:
    out: MultiDict = MultiDict()
    for name, storage in files.items(multi=True) if isinstance(files, MultiDict) else files.items():
        if not isinstance(name, str):
            continue
        out.add(name, FilePart(name, storage.filename, storage.mimetype or None, storage.read()))
    return out


def as_request(obj: Any) -> HttpRequest:
    """Build an ``HttpRequest`` from werkzeug/Flask, httpx or requests objects, or a plain mapping.

    A mapping needs ``method`` and ``url``, and may carry ``headers`` and ``body``.
    """
    if isinstance(obj, HttpRequest):
        return obj
    if isinstance(obj, Mapping):
        return HttpRequest(obj["method"], obj["url"], _headers(obj.get("headers")), obj.get("body") or b"")
    module = type(obj).__module__.split(".")[0]
    if module in ("werkzeug", "flask") or hasattr(obj, "environ"):
        return _from_werkzeug(obj)
    if module == "httpx":
        return HttpRequest(obj.method, str(obj.url), Headers(list(obj.headers.multi_items())), obj.read())
    if module == "requests":
        body = obj.body or b""
        if hasattr(body, "read"):
            body = body.read()
        return HttpRequest(obj.method, obj.url, _headers(obj.headers), body)
    raise TypeError(f"cannot read a request from {type(obj).__name__}")


def _from_werkzeug(req: Any) -> HttpRequest:
    headers = Headers(list(req.headers.items()))
    mimetype = (req.mimetype or "").lower()
    if mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        out = HttpRequest(req.method, _url_of(req), headers, b"")
        try:
            form = _named(MultiDict(req.form.items(multi=True)))
            files = _file_parts(req.files)
        except ValueError as exc:  # werkzeug refuses malformed multipart bodies
            raise FormError(str(exc)) from exc
        if mimetype == "multipart/form-data" and not req.mimetype_params.get("boundary"):
            raise FormError("multipart body without a boundary")
        out._form, out._files = form, files
        return out
    return HttpRequest(req.method, _url_of(req), headers, req.get_data(cache=True))


def _url_of(req: Any) -> str:
    return _current_url(req.scheme, req.host, req.root_path, req.path, req.query_string)


@functools.lru_cache(maxsize=1024)
def _current_url(scheme: str, host: str, root_path: str, path: str, query_string: bytes) -> str:
    """werkzeug's ``request.url`` (an IRI, costly to build), remembered: clients poll the same URLs."""
    return get_current_url(scheme, host, root_path, path, query_string)


def as_response(obj: Any) -> HttpResponse:
    """Build an ``HttpResponse`` from werkzeug/Flask, httpx or requests responses, or a plain mapping."""
    if isinstance(obj, HttpResponse):
        return obj
    if isinstance(obj, Mapping):
        return HttpResponse(int(obj["status"]), _headers(obj.get("headers")), obj.get("body") or b"")
    module = type(obj).__module__.split(".")[0]
    if module == "httpx":
        return HttpResponse(obj.status_code, Headers(list(obj.headers.multi_items())), obj.read())
    if module == "requests":
        return HttpResponse(obj.status_code, _headers(obj.headers), obj.content)
    if hasattr(obj, "get_data"):
        return HttpResponse(obj.status_code, Headers(list(obj.headers.items())), obj.get_data())
    raise TypeError(f"cannot read a response from {type(obj).__name__}")
