"""In-process ``POST /v2/edit`` latency on 1 MP and 16 MP JPEG inputs, next to a baseline measured in the
same run: Pillow decoding the input and encoding the returned image with the same settings (the floor any
implementation pays). Target: mock / baseline <= 1.5.

Run: python benchmarks/bench_photoroom_edit.py [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from contracts.generate import scenes
from contracts.generate.scenes import ObjectSpec
from mockserver import MockConfig, create_app

SIZES = {"1 MP": (1155, 866), "16 MP": (4619, 3464)}


def jpeg(width: int, height: int) -> bytes:
    spec = [ObjectSpec("bottle", "red", (0.45, 0.5), (0.25, 0.75))]
    return scenes.make_scene("packshot", width, height, spec).encode("jpeg", quality=90)


def baseline(data: bytes, output: Image.Image) -> float:
    """Decode the input, then encode the very image the mock returned, with the mock's PNG settings."""
    start = time.perf_counter()
    image = Image.open(io.BytesIO(data))
    image.load()
    buf = io.BytesIO()
    output.save(buf, "PNG", compress_level=6)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app(MockConfig(providers=("photoroom",), state_dir=Path(tempfile.mkdtemp())))
    client = app.test_client()
    print(f"{'input':6} {'mock ms':>9} {'baseline ms':>12} {'ratio':>6}")
    for name, (w, h) in SIZES.items():
        data = jpeg(w, h)
        mock_times, base_times = [], []
        for i in range(args.repeat + 1):
            form = {"imageFile": (io.BytesIO(data), "in.jpg", "image/jpeg"), "referenceBox": "originalImage"}
            start = time.perf_counter()
            resp = client.post("/v2/edit", data=form, headers={"x-api-key": f"bench-{i}"},
                               content_type="multipart/form-data")
            elapsed = time.perf_counter() - start
            assert resp.status_code == 200, resp.data[:200]
            output = Image.open(io.BytesIO(resp.data))
            output.load()
            base = baseline(data, output)
            if i:  # the first round warms caches
                mock_times.append(elapsed)
                base_times.append(base)
        mock, base = statistics.median(mock_times) * 1000, statistics.median(base_times) * 1000
        print(f"{name:6} {mock:9.1f} {base:12.1f} {mock / base:6.2f}")


if __name__ == "__main__":
    main()
