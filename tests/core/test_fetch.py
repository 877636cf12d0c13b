"""``mockserver.core.fetch``: an ``imageUrl`` is fetched within its limits of size and redirects, each hop through the
address policy, and every failure is a ``FetchError`` whose kind the handlers turn into the provider's answer.
(Over real sockets, with hostile hosts: ``tests/hostile/test_hostile_addresses``.)"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from mockserver.core import fetch as fetching
from mockserver.core.fetch import FetchError, FetchPolicy, fetch

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@dataclass
class Served:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: list[bytes] = field(default_factory=lambda: [PNG])

    def chunks(self) -> Iterator[bytes]:
        yield from self.body


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``open_url`` answered from a table of URL → ``Served``; the URLs asked for are recorded in order."""
    table: dict[str, Any] = {"asked": []}

    @contextmanager
    def open_url(method: str, url: str, policy: Any, **_: Any) -> Iterator[Served]:
        table["asked"].append(url)
        yield table[url]

    monkeypatch.setattr(fetching, "open_url", open_url)
    return table


def kind_of(url: str, policy: FetchPolicy = FetchPolicy()) -> str:
    with pytest.raises(FetchError) as failed:
        fetch(url, policy)
    return failed.value.kind


def test_data_urls_are_decoded_in_place_within_the_size_limit(web: dict[str, Any]) -> None:
    assert fetch("data:image/png;base64," + base64.b64encode(PNG).decode(), FetchPolicy()) == PNG
    assert fetch("data:text/plain,a%20b", FetchPolicy()) == b"a b"
    assert kind_of("data:image/png;base64," + base64.b64encode(PNG).decode(), FetchPolicy(max_bytes=10)) == "too_large"
    assert kind_of("data:image/png;base64,not base64!") == "unreachable"
    assert kind_of("data:image/png;base64") == "unreachable"  # no comma: no payload
    assert web["asked"] == []


def test_redirects_are_followed_relative_to_each_hop_up_to_the_limit(web: dict[str, Any]) -> None:
    web["http://a.test/img"] = Served(302, {"location": "/moved"})
    web["http://a.test/moved"] = Served(301, {"location": "http://b.test/final"})
    web["http://b.test/final"] = Served()
    assert fetch("http://a.test/img", FetchPolicy(max_redirects=2)) == PNG
    assert web["asked"] == ["http://a.test/img", "http://a.test/moved", "http://b.test/final"]
    with pytest.raises(FetchError, match="Too many redirects") as failed:
        fetch("http://a.test/img", FetchPolicy(max_redirects=1))
    assert failed.value.kind == "unreachable"


def test_a_redirect_to_a_data_url_is_refused(web: dict[str, Any]) -> None:
    web["http://a.test/img"] = Served(302, {"location": "data:image/png;base64,AAAA"})
    assert kind_of("http://a.test/img") == "refused"


def test_an_image_over_the_limit_is_refused_whether_declared_or_streamed(web: dict[str, Any]) -> None:
    web["http://a.test/declared"] = Served(headers={"content-length": "1000"}, body=[])
    web["http://a.test/streamed"] = Served(body=[b"x" * 60, b"x" * 60])
    web["http://a.test/fits"] = Served(body=[b"x" * 60, b"x" * 40])
    policy = FetchPolicy(max_bytes=100)
    assert kind_of("http://a.test/declared", policy) == kind_of("http://a.test/streamed", policy) == "too_large"
    assert fetch("http://a.test/fits", policy) == b"x" * 100


def test_an_error_status_is_unreachable_saying_which(web: dict[str, Any]) -> None:
    web["http://a.test/gone"] = Served(404)
    with pytest.raises(FetchError, match="answered 404") as failed:
        fetch("http://a.test/gone", FetchPolicy())
    assert failed.value.kind == "unreachable"


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "file:///etc/passwd",
                                 "ftp://127.0.0.1/a.png"])
def test_a_forbidden_host_or_scheme_is_refused_before_anything_is_sent(url: str) -> None:
    assert kind_of(url) == "refused"
