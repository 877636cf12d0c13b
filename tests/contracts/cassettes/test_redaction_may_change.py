"""``Redactor.may_change``: the journal keeps an answer's text as sent when it says False, so it must never say
False for a text that redaction would change."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from contracts.cassettes.redaction import DEFAULT

KEYS = st.sampled_from(["id", "status", "apiKey", "API_KEY", "token", "results", "imageUrl", "secret", "x"])
TEXTS = st.sampled_from(["ok", "https://cdn.example/a.png", "https://u:p@h/x", "https://h/x?token=abc123",
                         "https://h/x?size=2", "plain", "é"]) | st.text(max_size=12)
VALUES = st.recursive(TEXTS | st.integers() | st.booleans() | st.none(),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS | st.text(max_size=6), inner,
                                                                                  max_size=3), max_leaves=12)


@given(VALUES, st.booleans())
def test_a_text_it_lets_through_is_one_redaction_leaves_alone(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    if not DEFAULT.may_change(text):
        assert DEFAULT.redact_json(json.loads(text)) == json.loads(text)


def test_secret_fields_credentials_secret_parameters_and_escapes_are_looked_at() -> None:
    for text in ['{"apiKey":"k"}', '{"Token":"k"}', '{"u":"https://u:p@h/x"}', '{"u":"https://h/x?key=1"}',
                 '{"\\u0061piKey":"k"}']:
        assert DEFAULT.may_change(text), text
    assert not DEFAULT.may_change('{"id":"a1","status":"succeeded","results":["https://h/r/0.webp"]}')
