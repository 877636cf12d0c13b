"""``MockConfig``: what a user may pass is coerced or refused when the config is made, never on a request."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver import MockConfig, create_app


def test_a_string_state_dir_serves_the_first_request(tmp_path: Path) -> None:
    config = MockConfig(providers=("photoroom",), state_dir=str(tmp_path / "state"))
    assert config.state_dir == tmp_path / "state"
    client = create_app(config).test_client()
    assert client.get("/v2/account", headers={"x-api-key": "k"}).status_code == 200
    assert (tmp_path / "state").is_dir()


@pytest.mark.parametrize(("settings", "says"), [
    ({"providers": ("photoroom", "nobody")}, "unknown provider(s): nobody"),
    ({"rate_limits": {"nobody": {"limit": 1}}}, "unknown provider 'nobody'"),
    ({"rate_limits": {"tengr": {"windowSeconds": 1}}}, "tengr has no rate-limit key 'windowSeconds'"),
    ({"rate_limits": {"tengr": {"limit": -1}}}, "must be a non-negative number"),
    ({"journal_size": 0}, "journal_size must be at least 1"),
])
def test_settings_the_mock_cannot_honour_raise_when_made(settings: dict, says: str) -> None:
    with pytest.raises(ValueError) as raised:
        MockConfig(**settings)
    assert says in str(raised.value)


def test_provider_words_for_rate_limit_keys_are_accepted() -> None:
    config = MockConfig(rate_limits={"photoroom": {"images_per_minute": 5}, "prodia": {"requests": 2}})
    assert config.rate_limits["photoroom"] == {"images_per_minute": 5}
