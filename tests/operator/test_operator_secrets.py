"""No secret at rest, none shown: keys are stored hashed, and the journal, the inspector and the webhook delivery
records blank ``?api_key=``, ``user:password@`` and secret form fields. Older state directories are migrated
so that the raw keys they held are gone from the files, while the quotas they counted carry over."""

from __future__ import annotations

import base64
import io
import sqlite3
from pathlib import Path
from typing import Any

from operator_support import KEY, packshot

from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.core.keys import owner_key

SECRET_KEY = "sk_live_Q7hYt4ZsV9kLwP2r"
SANDBOX_KEY = "sandbox_sk_live_N3bX8cRm1"
QUERY_SECRET = "qs-secret-8842719"
PASSWORD = "hunter2-webhook-pw"
FORM_SECRET = "form-secret-5512377"
SECRETS = (SECRET_KEY, SANDBOX_KEY, QUERY_SECRET, PASSWORD, FORM_SECRET)


def make(state: Path, **changes: Any) -> Any:
    config = MockConfig(providers=("photoroom", "tengr"), state_dir=state, job_progression="immediate",
                        allow_private_webhooks=True, webhook_delivery={"base_delay": 0.01, "timeout": 1.0},
                        journal_thumbnails=False, **changes)
    return create_app(config)


def files_holding(state: Path, *secrets: str) -> dict[str, list[str]]:
    """Every file under the state dir (databases, their write-ahead logs, blobs) that holds one of ``secrets``."""
    found: dict[str, list[str]] = {}
    for path in state.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [s for s in secrets if s.encode() in data]
            if hits:
                found[str(path.relative_to(state))] = hits
    return found


def exercise(app: Any) -> None:
    """Calls carrying every kind of secret: keys in headers, a key in the query, a password in a webhook URL,
    a secret form field; accounts charged (Photoroom), artworks stored and delivered (tengr)."""
    client = app.test_client()
    image_url = "data:image/png;base64," + base64.b64encode(packshot()).decode()
    r = client.get("/v2/edit", query_string={"imageUrl": image_url, "api_key": QUERY_SECRET},
                   headers={"x-api-key": SECRET_KEY})
    assert r.status_code == 200
    r = client.post("/v2/edit", data={"imageFile": (io.BytesIO(packshot()), "a.png"),
                                      "apiKey": FORM_SECRET}, headers={"x-api-key": SANDBOX_KEY},
                    content_type="multipart/form-data")
    assert r.status_code == 200
    r = client.post("/v2/artworks/segmentation", headers={"Authorization": f"Bearer {SECRET_KEY}"},
                    json={"imageUrl": image_url, "method": "text", "textPrompt": "red",
                          "webhook": f"http://hook-user:{PASSWORD}@127.0.0.1:9/hook"})
    assert r.status_code == 202
    jobs = app.extensions["segmock"].jobs
    assert jobs.drain(timeout=20)
    [*_, attempt] = jobs.deliveries(r.get_json()["id"])
    assert PASSWORD not in attempt.url and attempt.url.startswith("http://REDACTED@127.0.0.1:9/")


def test_no_key_or_password_is_shown_by_the_journal_or_the_inspector(tmp_path: Path) -> None:
    app = make(tmp_path / "state")
    exercise(app)
    client = app.test_client()
    journal = client.get("/__segmock/requests").get_data(as_text=True)
    page = client.get("/__segmock/").get_data(as_text=True)
    for shown in (journal, page):
        assert [s for s in SECRETS if s in shown] == []
        assert "REDACTED" in shown
    entries = client.get("/__segmock/requests").get_json()["requests"]
    get, post, create = entries
    assert get["query"].endswith("api_key=REDACTED")
    assert post["params"]["apiKey"] == "REDACTED"
    assert create["params"]["webhook"] == "http://REDACTED@127.0.0.1:9/hook"
    assert create["params"]["textPrompt"] == "red"  # what is no secret stays as sent


def test_no_state_file_holds_a_key_or_password(tmp_path: Path) -> None:
    state = tmp_path / "state"
    app = make(state)
    exercise(app)
    for entry in ("counters", "jobs"):
        getattr(app.extensions["segmock"], entry)  # every store of the app is open and written
    assert files_holding(state, SECRET_KEY, SANDBOX_KEY, QUERY_SECRET, FORM_SECRET) == {}
    # The webhook URL itself is the artwork's own parameter (tengr echoes it back), so only the delivery
    # records and the journal must not hold its password: both are checked above and in the journal test.
    journal = (state / "journal.sqlite").read_bytes() + _wal(state / "journal.sqlite")
    assert PASSWORD.encode() not in journal


def _wal(db: Path) -> bytes:
    wal = db.with_name(db.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


def test_quotas_still_count_per_key_after_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = make(state)
    account = first.test_client().get("/v2/account", headers=KEY).get_json()["images"]["available"]
    assert first.test_client().post("/v2/edit", data={"imageFile": (io.BytesIO(packshot()), "a.png")},
                                    headers=KEY, content_type="multipart/form-data").status_code == 200
    again = make(state)
    assert again.test_client().get("/v2/account", headers=KEY).get_json()["images"]["available"] < account
    other = again.test_client().get("/v2/account", headers={"x-api-key": "another-key"}).get_json()
    assert other["images"]["available"] == account


def test_an_older_state_dir_is_migrated_without_leaving_its_raw_keys(tmp_path: Path) -> None:
    """Before keys were hashed, counters named Photoroom accounts by their key and the journal kept queries as
    sent; opening such a directory renames the accounts (their quota carries over) and drops old entries."""
    state = tmp_path / "state"
    state.mkdir()
    with sqlite3.connect(state / "counters.sqlite") as db:
        db.execute("CREATE TABLE counters (scope TEXT, name TEXT, value REAL, PRIMARY KEY (scope, name))")
        db.executemany("INSERT INTO counters VALUES (?, ?, ?)", [
            (f"photoroom:{SECRET_KEY}", "available", 7.0),
            (f"photoroom-sandbox:{SANDBOX_KEY}", "day:2026-12-07", 3.0),
            ("sellerpic:charged", "1234", 2.0),
        ])
    make(state).test_client().get("/__segmock/requests")  # an older journal: created by the operator, then filled
    with sqlite3.connect(state / "journal.sqlite") as db:
        db.execute("PRAGMA user_version = 0")
        db.execute("INSERT INTO journal (at, method, path, query, provider, operation, params, elapsed_ms, worker)"
                   " VALUES (0, 'GET', '/v2/edit', ?, 'photoroom', 'edit-image-get', '{}', 1, 1)",
                   (f"api_key={QUERY_SECRET}",))

    app = make(state)
    services = app.extensions["segmock"]
    assert services.counters.get(f"photoroom:{owner_key(SECRET_KEY)}", "available") == 7.0
    assert services.counters.get(f"photoroom-sandbox:{owner_key(SANDBOX_KEY)}", "day:2026-12-07") == 3.0
    assert services.counters.get("sellerpic:charged", "1234") == 2.0  # not a key: left alone
    assert app.test_client().get("/v2/account", headers={"x-api-key": SECRET_KEY}).get_json()["images"] == {
        "available": 7, "subscription": 1000}
    entries = app.test_client().get("/__segmock/requests").get_json()["requests"]
    assert [e["operation"] for e in entries] == ["account-details-v2"]  # the old entry is gone
    assert files_holding(state, SECRET_KEY, SANDBOX_KEY, QUERY_SECRET) == {}
