"""State an older segmock stored from a poison request (a lone surrogate in a tengr ``textPrompt``, before the
JSON reader refused it) never breaks the answers that show it: listing, polling and the inspector, after a
restart on the same state directory."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from mockserver.app import create_app
from mockserver.config import MockConfig

KEY = {"Authorization": "Bearer poisoned"}
POISON = {"imageUrl": "https://example.com/a.png", "method": "text", "textPrompt": "\ud800 cat"}


def _sqlite_files(state: Path) -> list[Path]:
    return [p for p in state.rglob("*") if p.is_file() and p.read_bytes()[:15] == b"SQLite format 3"]


def _poison(state: Path) -> int:
    """Write the surrogate into every stored job and journal entry, as the old version did."""
    written = 0
    for path in _sqlite_files(state):
        with sqlite3.connect(path) as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            for table in sorted({"jobs", "journal"} & tables):
                written += db.execute(f"UPDATE {table} SET params = ?", (json.dumps(POISON),)).rowcount
    return written


def test_poisoned_artworks_and_journal_still_list_and_show(tmp_path: Path) -> None:
    config = MockConfig(providers=("tengr",), state_dir=tmp_path, job_progression="immediate")
    created = create_app(config).test_client().post("/v2/artworks/segmentation", headers=KEY,
                                                    json={**POISON, "textPrompt": "cat"})
    assert created.status_code == 202
    assert _poison(tmp_path) >= 2  # the job and its journal entry

    client = create_app(config).test_client()  # a restart on the same state dir
    listed = client.get("/v2/artworks", headers=KEY)
    assert listed.status_code == 200
    assert listed.json[0]["parameters"]["textPrompt"] == "\ufffd\ufffd\ufffd cat"
    assert client.get(f"/v2/artworks/{created.json['id']}", headers=KEY).status_code == 200
    assert client.get("/__segmock/").status_code == 200
    journal = client.get("/__segmock/requests")
    assert journal.status_code == 200 and "\ufffd" in json.dumps(journal.json, ensure_ascii=False)
