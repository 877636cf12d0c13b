"""Splitting a multipart body keeps every byte: the parts are what was sent, and joining gives the body back."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from contracts.wire.rawmultipart import split

BOUNDARY = "b0und"
heads = st.sampled_from([b'\r\nContent-Disposition: form-data; name="a"\r\n\r\n', b"\r\n\r\n",
                         b'\r\nContent-Disposition: form-data; name="f"; filename="x.png"\r\nX: y\r\n\r\n'])
datas = st.binary(max_size=64) | st.sampled_from([b"--b0und", b"\r\n--b0un", b"\r\n\r\n", b""])


@given(st.sampled_from([b"", b"preamble\r\n"]), st.lists(st.tuples(heads, datas), max_size=4),
       st.sampled_from([b"--\r\n", b"--", b"--\r\nepilogue"]))
def test_split_returns_the_parts_sent_and_joins_back_to_the_body(preamble, parts, epilogue):
    body = preamble + b"--b0und" + b"\r\n--b0und".join([head + data for head, data in parts] + [epilogue])
    assume(not any(b"\r\n--b0und" in head + data for head, data in parts))  # it would end the part there
    raw = split(body, BOUNDARY)
    assert raw is not None and raw.join() == body
    assert [(p.head, p.data) for p in raw.parts] == parts
    assert raw.preamble == preamble and raw.epilogue == epilogue


@given(st.binary(max_size=200))
def test_anything_split_joins_back_to_itself(body):
    raw = split(b"--b0und" + body, BOUNDARY)
    assert raw is None or raw.join() == b"--b0und" + body


def test_a_body_without_a_closing_delimiter_is_not_multipart():
    assert split(b'--b0und\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue\r\n--b0und\r\n', BOUNDARY) is None
    assert split(b"no delimiter at all", BOUNDARY) is None
