"""The strict JSON reader every request body and JSON-valued form part goes through."""

from __future__ import annotations

import pytest

from contracts.wire import jsonbody


@pytest.mark.parametrize("text", ['{"a": NaN}', "[Infinity]", '{"a": -Infinity}', '"\\ud800"', '{"\\udc00": 1}',
                                  "[" * 1000 + "]" * 1000, '{"a":' * 65 + "1" + "}" * 65, "\x00", b"\xff\xfe"])
def test_what_the_providers_parsers_refuse_is_a_json_error(text: str | bytes) -> None:
    with pytest.raises(jsonbody.JsonError):
        jsonbody.loads(text)


NESTED_64 = "[" * 64 + "]" * 64


@pytest.mark.parametrize("text,value", [('"\\ud83d\\ude00"', "\U0001f600"), ('{"a": "[[[[{{"}', {"a": "[[[[{{"}),
                                        (NESTED_64, eval(NESTED_64)), ('{"a": 1e400}', {"a": 1e400})])
def test_strict_json_within_the_depth_reads_as_usual(text: str, value: object) -> None:
    assert jsonbody.loads(text) == value


def test_depth_is_counted_without_recursion_and_ignores_brackets_in_strings() -> None:
    assert jsonbody.depth("[" * 100_000) == 100_000
    assert jsonbody.depth('{"a": "[[[["}') == 1
    assert jsonbody.depth("3") == 0


def test_text_stored_by_an_older_version_reads_back_as_replacement_characters() -> None:
    assert jsonbody.stored('{"textPrompt": "\\ud800 cat"}') == {"textPrompt": "\ufffd\ufffd\ufffd cat"}
    assert jsonbody.stored('{"ok": "\\ud83d\\ude00"}') == {"ok": "\U0001f600"}
    assert jsonbody.dumps({"a": "\ud800"}) == b'{"a": "\\ud800"}'
