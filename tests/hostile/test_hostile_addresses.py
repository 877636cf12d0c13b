"""An attacker's spellings of addresses, against every outbound connection of the mock.

Each case runs in-process (Flask's test client), over real HTTP on loopback (the plugin's ``LiveServer``) and,
for what needs no resolver of ours, against ``segmock serve`` itself. Validation refusals must be the
provider's own 4xx; a refused fetch or delivery must record why; and no connection may reach a forbidden
address. Nothing here sends a packet beyond loopback: ``socket.getaddrinfo`` is answered by a table for the
``*.test`` names, and ``socket.create_connection`` (which httpcore's backend calls) records every address the
mock connects to, so a forbidden address shows up as a recorded attempt long before any packet could leave.
"""

from __future__ import annotations

import base64
import io
import socket
import socketserver
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from contracts.check.addresses import Kind, host_kinds
from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.core.fetch import FetchError, FetchPolicy, fetch
from mockserver.core.outbound import AddressPolicy, Refused
from mockserver.pytest_plugin import LiveServer

LOOPBACK = ["2130706433", "0x7f000001", "0X7F000001", "127.1", "0177.0.0.1", "0x7f.1", "127.000.000.001",
            "127.0.0.1.", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]",
            "[2002:7f00:1::]", "[::1]", "localhost", "LOCALHOST.", "hooks.localhost"]
METADATA = ["169.254.169.254", "2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518",
            "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]", "[::a9fe:a9fe]", "[64:ff9b::a9fe:a9fe]",
            "[2002:a9fe:a9fe::]", "[2001:0:4136:e378:8000:63bf:5601:5601]", "[fe80::1]", "[fe80::1%25eth0]",
            "[fd00:ec2::254]", "100.100.100.200", "metadata.google.internal", "0", "0.0.0.0", "[::]"]
PRIVATE = ["167772161", "0xa000001", "10.1", "012.0.0.1", "[::ffff:10.0.0.1]", "192.168.1.1", "172.16.0.1",
           "100.64.0.1", "[fd00::1]", "intranet", "build.internal"]
INVALID = ["256.1", "1.2.3.4.5", "08.0.0.1", "0x", "127.0.0.%31"]
HOSTILE = LOOPBACK + METADATA + PRIVATE + INVALID
NEVER_FETCHED = METADATA + INVALID
KEY = {"x-api-key": "sk_test_addresses"}
TENGR_KEY = {"Authorization": "Bearer tengr-addresses"}
EDIT = "/v2/edit"
CREATE = "/v2/artworks/segmentation"
TENGR_REFUSAL = {"message": ["webhook must point to a publicly routable host"], "error": "Bad Request",
                 "statusCode": 400}
NOT_A_URI = {**TENGR_REFUSAL, "message": ["webhook must be a URL address"]}  # a zone id breaks RFC 3986 first


def tengr_refusal(host: str) -> dict[str, Any]:
    return NOT_A_URI if "%25" in host else TENGR_REFUSAL
PHOTOROOM_REFUSAL = {"error": {"message": "imageUrl: could not be downloaded"}}


def png(width: int = 96, height: int = 64) -> bytes:
    """A red square on white: a subject the segmenter finds."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    img.paste((200, 30, 30), (width // 3, height // 4, 2 * width // 3, 3 * height // 4))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


IMAGE = png()
DATA_URL = "data:image/png;base64," + base64.b64encode(IMAGE).decode()


# -- the network as the mock sees it ---------------------------------------------------------------------------
@dataclass
class Network:
    """``getaddrinfo`` answered from ``names`` (a list of answers per name: one per call, the last repeated),
    and every ``create_connection`` recorded."""

    names: dict[str, list[list[str]]] = field(default_factory=dict)
    stalled: threading.Event = field(default_factory=threading.Event)  # ``stalled.test`` waits for it
    lookups: list[str] = field(default_factory=list)
    connections: list[tuple[str, int]] = field(default_factory=list)

    def answer(self, name: str, *answers: list[str]) -> None:
        self.names[name] = list(answers)

    def outbound(self, *ignore_ports: int) -> list[tuple[str, int]]:
        """Connections the mock made (the test's own client calls to the server are left out)."""
        return [c for c in self.connections if c[1] not in ignore_ports]


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    net = Network()
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in net.names:
            net.lookups.append(name)
            answers = net.names[name]
            chosen = answers.pop(0) if len(answers) > 1 else answers[0]
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (a, port or 0) if ":" not in a else (a, port or 0, 0, 0)) for a in chosen]
        if name == "stalled.test":
            net.lookups.append(name)
            net.stalled.wait(30)
        if name.endswith(".test"):
            raise socket.gaierror(socket.EAI_NONAME, "no such test name")
        return real_getaddrinfo(host, port, *args, **kwargs)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        net.connections.append((str(address[0]), int(address[1])))
        host = str(address[0])
        assert host in ("127.0.0.1", "::1", "localhost"), f"a test tried to leave loopback: {address}"
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return net


class Listener(socketserver.ThreadingTCPServer):
    """A loopback port that records every connection made to it (and answers any request with 200)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.accepted: list[bytes] = []
        super().__init__(("127.0.0.1", 0), _Answer200)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.accepted.append(b"")
        super().process_request(request, client_address)


class _Answer200(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.server.accepted[-1] = self.rfile.readline()  # type: ignore[attr-defined]
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def _running(server: Listener | ImageServer) -> Iterator[Any]:
    """A module fixture's server, shut down and closed after the module."""
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def _listener() -> Iterator[Listener]:
    yield from _running(Listener())


@pytest.fixture
def listener(_listener: Listener) -> Listener:
    _listener.accepted.clear()
    return _listener


class ImageServer(ThreadingHTTPServer):
    """Serves ``/image.png``, and ``/redirect?to=URL`` as a 302 (the hop the mock must check again)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), _ImageHandler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _ImageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/redirect?to="):
            self.send_response(302)
            self.send_header("Location", self.path.split("=", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(IMAGE)))
        self.end_headers()
        self.wfile.write(IMAGE)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def _images() -> Iterator[ImageServer]:
    yield from _running(ImageServer())


@pytest.fixture
def images(_images: ImageServer) -> ImageServer:
    _images.paths.clear()
    return _images


# -- the mock, in-process and over loopback HTTP --------------------------------------------------------------
@dataclass
class Mock:
    kind: str
    app: Any
    send: Callable[..., tuple[int, Any, Any]]
    port: int = 0

    @property
    def services(self) -> Any:
        return self.app.extensions["segmock"]


@pytest.fixture(scope="module")
def _served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Photoroom and tengr as ``segmock serve`` configures them by default (private webhooks refused)."""
    config = MockConfig(providers=("photoroom", "tengr"), state_dir=tmp_path_factory.mktemp("addresses"),
                        journal_thumbnails=False, job_progression="immediate",
                        webhook_delivery={"base_delay": 0.01, "timeout": 2.0})
    server = LiveServer(create_app(config)).start()
    yield server
    server.stop()


@pytest.fixture(params=["inprocess", "live"])
def mock(request: pytest.FixtureRequest, _served: LiveServer) -> Iterator[Mock]:
    """The same app through Flask's test client or over real HTTP on loopback, reset for the test."""
    _served.reset()
    app = _served.app
    if request.param == "inprocess":
        client = app.test_client()

        def send(method: str, path: str, **kwargs: Any) -> tuple[int, Any, Any]:
            r = client.open(path, method=method, **kwargs)
            return r.status_code, r.get_json(silent=True), r.headers  # case-insensitive

        yield Mock("inprocess", app, send, _served.port)
        return
    http = httpx.Client(base_url=_served.url, timeout=30)

    def send_http(method: str, path: str, **kwargs: Any) -> tuple[int, Any, Any]:
        if "query_string" in kwargs:
            kwargs["params"] = kwargs.pop("query_string")
        r = http.request(method, path, **kwargs)
        try:
            body = r.json()
        except ValueError:
            body = None
        return r.status_code, body, r.headers  # case-insensitive

    try:
        yield Mock("live", app, send_http, _served.port)
    finally:
        http.close()


def wait_for(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    return check()


def create_artwork(mock: Mock, webhook: str | None = None, image_url: str = DATA_URL) -> tuple[int, Any, dict]:
    body: dict[str, Any] = {"imageUrl": image_url, "method": "text", "textPrompt": "object"}
    if webhook is not None:
        body["webhook"] = webhook
    return mock.send("POST", CREATE, json=body, headers=TENGR_KEY)


def edit_from(mock: Mock, url: str) -> tuple[int, Any, dict]:
    return mock.send("GET", EDIT, query_string={"imageUrl": url, "outputSize": "64x64"}, headers=KEY)


# -- the pure part: what each spelling is -------------------------------------------------------------------------
@pytest.mark.parametrize("host", LOOPBACK)
def test_every_loopback_spelling_is_loopback(host: str) -> None:
    assert host_kinds(host) == {Kind.LOOPBACK}


@pytest.mark.parametrize("host", METADATA + PRIVATE + INVALID)
def test_every_other_hostile_spelling_is_known_for_what_it_is(host: str) -> None:
    kinds = host_kinds(host)
    assert kinds - {Kind.PUBLIC}, kinds  # something in it is not public: the policy refuses the host


@pytest.mark.parametrize("host", ["8.8.8.8", "134744072", "[2606:4700::1111]", "[::ffff:8.8.8.8]",
                                  "[64:ff9b::808:808]", "hooks.example.com", "xn--bcher-kva.example"])
def test_public_hosts_stay_public(host: str) -> None:
    assert host_kinds(host) <= {Kind.PUBLIC}


# -- webhooks: refused at validation with tengr's 400, never connected to ------------------------------------------
def test_hostile_webhook_hosts_get_tengrs_400_and_no_connection(mock: Mock, network: Network,
                                                                 listener: Listener) -> None:
    for host in HOSTILE:
        status, body, _ = create_artwork(mock, webhook=f"https://{host}:{listener.port}/hook")
        assert (status, body) == (400, tengr_refusal(host)), host
        mock.services.reset()  # the corpus is longer than tengr's per-minute allowance for one key
    assert mock.services.jobs.drain(timeout=5)
    assert listener.accepted == [] and network.outbound(mock.port) == []


def test_a_name_resolving_to_loopback_is_accepted_then_never_delivered(mock: Mock, network: Network,
                                                                         listener: Listener) -> None:
    """Validation cannot resolve names (tengr's rule is checked offline); the delivery resolves and refuses."""
    network.answer("hooks.rebind.test", ["127.0.0.1"])
    status, created, _ = create_artwork(mock, webhook=f"https://hooks.rebind.test:{listener.port}/hook")
    assert status == 202, created
    [attempt] = wait_for(lambda: mock.services.jobs.deliveries(created["id"]))
    assert mock.services.jobs.drain(timeout=10)
    assert attempt.ok is False and attempt.status_code is None
    assert attempt.error.startswith("refused: ") and "loopback" in attempt.error
    assert mock.services.jobs.deliveries(created["id"]) == [attempt]  # refused for good: no retry
    assert listener.accepted == [] and network.outbound(mock.port) == []


def test_one_forbidden_address_among_a_names_addresses_refuses_it(network: Network, listener: Listener) -> None:
    from mockserver.core.outbound import PRIVATE_WEBHOOK_KINDS, open_url

    network.answer("mixed.test", ["127.0.0.1", "169.254.169.254"])
    policy = AddressPolicy(PRIVATE_WEBHOOK_KINDS)
    with pytest.raises(Refused, match="metadata"), open_url("POST", f"http://mixed.test:{listener.port}/", policy,
                                                             timeout=2, body=b"{}"):
        pass
    assert network.connections == [] and listener.accepted == []


def test_allowed_private_webhooks_still_never_reach_metadata(tmp_path: Path, network: Network,
                                                             listener: Listener) -> None:
    app = create_app(MockConfig(providers=("tengr",), state_dir=tmp_path / "s", allow_private_webhooks=True,
                                job_progression="immediate", journal_thumbnails=False))
    network.answer("hooks.metadata.test", ["169.254.169.254"])
    r = app.test_client().post(CREATE, json={"imageUrl": DATA_URL, "method": "text", "textPrompt": "x",
                                             "webhook": "http://hooks.metadata.test/hook"}, headers=TENGR_KEY)
    assert r.status_code == 202
    jobs = app.extensions["segmock"].jobs
    [attempt] = wait_for(lambda: jobs.deliveries(r.get_json()["id"]))
    assert "refused: " in attempt.error and "metadata" in attempt.error
    assert network.connections == []
    # ... while a loopback receiver, the reason for the option, is delivered to
    r = app.test_client().post(CREATE, json={"imageUrl": DATA_URL, "method": "text", "textPrompt": "y",
                                             "webhook": f"http://2130706433:{listener.port}/hook"}, headers=TENGR_KEY)
    assert r.status_code == 202
    assert wait_for(lambda: listener.accepted and listener.accepted[0].startswith(b"POST /hook"))
    assert network.connections == [("127.0.0.1", listener.port)]


# -- image fetches ------------------------------------------------------------------------------------------------
def test_hostile_image_urls_get_photorooms_400_and_no_connection(mock: Mock, network: Network,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    for host in NEVER_FETCHED:
        caplog.clear()
        status, body, _ = edit_from(mock, f"http://{host}/latest/meta-data/")
        assert (status, body) == (400, PHOTOROOM_REFUSAL), host
        assert "imageUrl not fetched (refused)" in caplog.text, host
    assert network.outbound(mock.port) == [] and network.lookups == []


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "[::ffff:127.0.0.1]"])
def test_loopback_image_servers_in_any_spelling_are_fetched_at_the_checked_address(
        mock: Mock, network: Network, images: ImageServer, host: str) -> None:
    status, _, headers = edit_from(mock, f"http://{host}:{images.port}/image.png")
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert images.paths == ["/image.png"]
    assert set(network.outbound(mock.port)) <= {("127.0.0.1", images.port)}


@pytest.mark.parametrize("target", ["http://[::ffff:a9fe:a9fe]/latest/meta-data/", "http://2852039166/",
                                    "http://metadata.google.internal/computeMetadata/v1/", "file:///etc/passwd"])
def test_a_redirect_from_an_allowed_server_to_a_forbidden_one_is_not_followed(
        mock: Mock, network: Network, images: ImageServer, target: str, caplog: pytest.LogCaptureFixture) -> None:
    status, body, _ = edit_from(mock, f"http://127.0.0.1:{images.port}/redirect?to={target}")
    assert (status, body) == (400, PHOTOROOM_REFUSAL)
    assert images.paths == [f"/redirect?to={target}"]
    assert network.outbound(mock.port) == [("127.0.0.1", images.port)]
    assert "refused" in caplog.text


def test_a_name_is_resolved_once_and_connected_to_at_the_checked_address(mock: Mock, network: Network,
                                                                          images: ImageServer) -> None:
    """DNS rebinding: a second lookup would answer the metadata address; there is no second lookup."""
    network.answer("images.rebind.test", ["127.0.0.1"], ["169.254.169.254"])
    status, _, _ = edit_from(mock, f"http://images.rebind.test:{images.port}/image.png")
    assert status == 200
    assert network.lookups == ["images.rebind.test"]
    assert network.outbound(mock.port) == [("127.0.0.1", images.port)]
    status, _, _ = edit_from(mock, f"http://images.rebind.test:{images.port}/image.png")  # now it rebinds
    assert status == 400 and network.outbound(mock.port) == [("127.0.0.1", images.port)]


def test_tengr_records_why_a_refused_image_url_failed(mock: Mock, network: Network) -> None:
    status, created, _ = create_artwork(mock, image_url="http://[::ffff:169.254.169.254]/latest/meta-data/")
    assert status == 202
    status, final, headers = mock.send("GET", f"/v2/artworks/{created['id']}", headers=TENGR_KEY)
    assert final["status"] == "failed"
    assert headers["x-segmock-failure-reason"]
    assert network.outbound(mock.port) == []


def test_the_allow_list_admits_a_listed_host_in_any_spelling_and_nothing_else(tmp_path: Path, network: Network,
                                                                               images: ImageServer) -> None:
    app = create_app(MockConfig(providers=("photoroom",), state_dir=tmp_path / "s", journal_thumbnails=False,
                                fetch_allow_hosts=("127.0.0.1",)))
    client = app.test_client()
    ok = client.get(EDIT, query_string={"imageUrl": f"http://127.1:{images.port}/image.png"}, headers=KEY)
    refused = client.get(EDIT, query_string={"imageUrl": "http://167772161/x.png"}, headers=KEY)
    assert (ok.status_code, refused.status_code) == (200, 400)
    assert network.connections == [("127.0.0.1", images.port)]


def test_a_resolver_that_does_not_answer_is_given_up_after_the_timeout(network: Network) -> None:
    """A client's name must not hold a request thread for as long as a stalled DNS server likes."""
    try:
        with pytest.raises(FetchError, match="took longer than 0.2 s"):
            fetch("http://stalled.test/image.png", FetchPolicy(timeout=0.2))
        assert network.lookups == ["stalled.test"] and network.connections == []
    finally:
        network.stalled.set()


# -- the production server ----------------------------------------------------------------------------------------
def test_segmock_serve_refuses_every_spelling(serve_process: Any, listener: Listener, images: ImageServer) -> None:
    """``segmock serve`` itself: the webhook rule, the fetch policy and a redirect hop, end to end."""
    server = serve_process("--provider", "tengr", "--provider", "photoroom")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for n, host in enumerate(HOSTILE):
            body = {"imageUrl": DATA_URL, "method": "text", "textPrompt": "x",
                    "webhook": f"https://{host}:{listener.port}/hook"}
            r = http.post(CREATE, json=body, headers={"Authorization": f"Bearer key-{n}"})  # under the rate limit
            assert (r.status_code, r.json()) == (400, tengr_refusal(host)), host
        for host in NEVER_FETCHED:
            r = http.get(EDIT, params={"imageUrl": f"http://{host}/latest/meta-data/"}, headers=KEY)
            assert (r.status_code, r.json()) == (400, PHOTOROOM_REFUSAL), host
        target = "http://[::ffff:a9fe:a9fe]/latest/meta-data/"
        r = http.get(EDIT, params={"imageUrl": f"http://127.0.0.1:{images.port}/redirect?to={target}"}, headers=KEY)
        assert (r.status_code, r.json()) == (400, PHOTOROOM_REFUSAL)
        fetched = http.get(EDIT, params={"imageUrl": f"http://2130706433:{images.port}/image.png"}, headers=KEY)
        assert fetched.status_code == 200
        assert http.get("/__segmock/health").status_code == 200
    assert images.paths == [f"/redirect?to={target}", "/image.png"]
    assert listener.accepted == []
    assert "imageUrl not fetched (refused)" in server.stop()


# -- TLS stays with the name while the socket goes to the checked address -------------------------------------------
@pytest.fixture(scope="module")
def tls_images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ImageServer, ssl.SSLContext]]:
    """The image server behind TLS, with a self-signed certificate for ``images.tls.test`` only, and a client
    context that trusts that certificate."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=images.tls.test", "-addext", "subjectAltName=DNS:images.tls.test",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server = ImageServer()
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(cert, key)
    server.socket = serving.wrap_socket(server.socket, server_side=True)
    trusting = ssl.create_default_context(cafile=str(cert))
    yield server, trusting
    server.shutdown()
    server.server_close()


def test_https_is_verified_against_the_url_host_not_the_pinned_address(
        network: Network, tls_images: tuple[ImageServer, ssl.SSLContext], monkeypatch: pytest.MonkeyPatch) -> None:
    from mockserver.core import pinned

    server, trusting = tls_images
    network.answer("images.tls.test", ["127.0.0.1"])
    network.answer("impostor.tls.test", ["127.0.0.1"])
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):  # not trusted: verification is on
        fetch(f"https://images.tls.test:{server.port}/image.png", FetchPolicy(timeout=5))
    monkeypatch.setattr(pinned, "_tls", lambda: trusting)
    assert fetch(f"https://images.tls.test:{server.port}/image.png", FetchPolicy(timeout=5)) == IMAGE
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):  # same address, another name: refused
        fetch(f"https://impostor.tls.test:{server.port}/image.png", FetchPolicy(timeout=5))
    assert set(network.connections) == {("127.0.0.1", server.port)}
