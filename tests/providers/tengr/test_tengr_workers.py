"""``segmock serve --workers 2``: artworks created through one worker are polled and listed through any."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from tengr_support import auth, data_url, poll, text_body, two_objects

KEYS = [f"worker-key-{i}" for i in range(10)]  # 10 artworks per key stays under the per-key rate limit
PER_KEY = 10


def test_hundred_concurrent_artworks_all_succeed_and_are_listed_once(serve_process) -> None:
    server = serve_process("--workers", "2", "--provider", "tengr")
    image_url = data_url(two_objects(48, 36))
    owners = [key for key in KEYS for _ in range(PER_KEY)]

    with httpx.Client(base_url=server.url, timeout=30, limits=httpx.Limits(max_connections=16)) as client:
        def create(key: str) -> str:
            response = client.post("/v2/artworks/segmentation", headers=auth(key), json=text_body(image_url))
            assert response.status_code == 202, response.text
            return str(response.json()["id"])

        def settle(key: str, artwork_id: str) -> str:
            final = poll(lambda: client.get(f"/v2/artworks/{artwork_id}", headers=auth(key)))[-1]
            return str(final.json()["status"])

        with ThreadPoolExecutor(max_workers=16) as pool:
            ids = list(pool.map(create, owners))
            statuses = list(pool.map(settle, owners, ids))
        pages = [client.get("/v2/artworks", params={"limit": 500}, headers=auth(key)) for key in KEYS]

    assert len(set(ids)) == 100
    assert statuses == ["succeeded"] * 100
    assert [page.status_code for page in pages] == [200] * len(KEYS)
    listed = [(artwork["id"], artwork["status"]) for page in pages for artwork in page.json()]
    assert sorted(listed) == sorted((artwork_id, "succeeded") for artwork_id in ids)
