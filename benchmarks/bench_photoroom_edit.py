"""In-process ``POST /v2/edit`` latency on 1 MP and 16 MP JPEG inputs, next to a floor measured in the
same run: Pillow decoding the input and encoding an RGBA PNG of the answer's size at Pillow's fastest
compressing level (``compress_level=1``), whatever the mock itself uses: the least any implementation pays to
answer with a PNG. Target: mock / floor <= 1.5. Wall time and the process's CPU time are both printed as
medians (on a shared machine CPU time is the steadier of the two), and the least CPU time of each side, which
other work on the machine can only raise.

Run: python benchmarks/bench_photoroom_edit.py [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from PIL import Image

from contracts.generate import scenes
from contracts.generate.scenes import ObjectSpec
from mockserver import MockConfig, create_app

SIZES = {"1 MP": (1155, 866), "16 MP": (4619, 3464)}


def jpeg(width: int, height: int) -> bytes:
    spec = [ObjectSpec("bottle", "red", (0.45, 0.5), (0.25, 0.75))]
    return scenes.make_scene("packshot", width, height, spec).encode("jpeg", quality=90)


def multipart(data: bytes) -> tuple[bytes, str]:
    """The request's body as a client sends it, encoded before the clock starts (the client's own work is not
    the mock's), with a fresh boundary each time as real clients use (werkzeug compiles a pattern per boundary)."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="imageFile"; filename="in.jpg"\r\n'
             "Content-Type: image/jpeg\r\n\r\n".encode(), data,
             f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="referenceBox"\r\n\r\n'
             f"originalImage\r\n--{boundary}--\r\n".encode()]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


FASTEST = 1  # Pillow's fastest compressing zlib level (0 stores uncompressed: 20x the bytes)


def floor(data: bytes, output: Image.Image) -> tuple[float, float]:
    """Decode the input, then encode the very image the mock returned at Pillow's fastest level (wall, CPU)."""
    wall, cpu = time.perf_counter(), time.process_time()
    image = Image.open(io.BytesIO(data))
    image.load()
    buf = io.BytesIO()
    output.save(buf, "PNG", compress_level=FASTEST)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app(MockConfig(providers=("photoroom",), state_dir=Path(tempfile.mkdtemp()),
                                journal_thumbnails=False))  # thumbnails are made on a thread of their own
    client = app.test_client()
    print(f"load average at start: {', '.join(f'{v:.2f}' for v in os.getloadavg())}; median of {args.repeat}")
    print(f"{'input':6} {'mock ms':>9} {'floor ms':>9} {'ratio':>6} {'mock CPU ms':>12} {'floor CPU ms':>13}"
          f" {'ratio':>6} {'least CPU ms (mock / floor)':>28} {'ratio':>6}")
    for name, (w, h) in SIZES.items():
        data = jpeg(w, h)
        mock_times: list[tuple[float, float]] = []
        floor_times: list[tuple[float, float]] = []
        for i in range(args.repeat + 1):
            body, content_type = multipart(data)
            wall, cpu = time.perf_counter(), time.process_time()
            resp = client.post("/v2/edit", data=body, headers={"x-api-key": f"bench-{i}"}, content_type=content_type)
            spent = (time.perf_counter() - wall, time.process_time() - cpu)
            assert resp.status_code == 200, resp.data[:200]
            output = Image.open(io.BytesIO(resp.data))
            output.load()
            base = floor(data, output)
            if i:  # the first round warms caches
                mock_times.append(spent)
                floor_times.append(base)
        mock = [statistics.median(t[k] for t in mock_times) * 1000 for k in (0, 1)]
        base = [statistics.median(t[k] for t in floor_times) * 1000 for k in (0, 1)]
        least = [min(t[1] for t in times) * 1000 for times in (mock_times, floor_times)]
        print(f"{name:6} {mock[0]:9.1f} {base[0]:9.1f} {mock[0] / base[0]:6.2f} {mock[1]:12.1f} {base[1]:13.1f}"
              f" {mock[1] / base[1]:6.2f} {f'{least[0]:.1f} / {least[1]:.1f}':>28} {least[0] / least[1]:6.2f}")


if __name__ == "__main__":
    main()
