"""The web inspector at ``/__segmock/``: recent requests, their parameters, and each returned mask laid
over the input image. Server-rendered HTML plus a few lines of vanilla JS; overlays are composed per request
from the journal's thumbnails, so nothing needs building and nothing large is kept."""

from __future__ import annotations

import datetime
import json
from typing import Any

from flask import Blueprint, Response, render_template, request

from .admin import PREFIX, operator
from .pictures import overlay

PAGE_LIMIT = 100
IMMUTABLE = "public, max-age=31536000, immutable"


def inspector_blueprint() -> Blueprint:
    bp = Blueprint("segmock_inspector", __name__, url_prefix=PREFIX, template_folder="templates")
    bp.add_url_rule("/", view_func=page, methods=["GET"])
    bp.add_url_rule("/requests/<int:seq>/input.jpg", view_func=input_image, methods=["GET"])
    bp.add_url_rule("/requests/<int:seq>/overlay/<int:idx>.png", view_func=overlay_image, methods=["GET"])
    return bp


def page() -> str:
    args = request.args
    status = args.get("status", "")
    operator().settle()
    entries = operator().journal.entries(provider=args.get("provider") or None,
                                         operation=args.get("operation") or None,
                                         status=int(status) if status.isdigit() else None, limit=PAGE_LIMIT)
    rows = [_row(e) for e in reversed(entries)]
    return render_template("inspector.html", rows=rows, prefix=PREFIX, args=args, size=operator().journal.size,
                           providers=_served())


def _served() -> list[str]:
    from flask import current_app

    return list(current_app.extensions["segmock.providers"])


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    params = entry["params"]
    prompts = {k: v for k, v in _flat(params).items() if "prompt" in k.lower() and isinstance(v, str)}
    others = {k: v for k, v in _flat(params).items() if k not in prompts}
    return {
        **entry,
        "time": datetime.datetime.fromtimestamp(entry["at"]).strftime("%H:%M:%S.%f")[:-3],
        "prompts": prompts,
        "others": {k: _short(v) for k, v in others.items()},
        "status_class": "fault" if entry["fault"] else "ok" if (entry["status"] or 0) < 400 else "error",
        "job_status": job_status(entry),
    }


def job_status(entry: dict[str, Any]) -> str | None:
    """An async job's state as a successful answer shows it: tengr's ``status``, Prodia's ``state.current`` (or
    the plain-text ``job.state.current``), SellerPic's ``data.resultList[].status``; None for other answers."""
    text, status = entry.get("response_text"), entry.get("status") or 0
    if not text or not 200 <= status < 300:
        return None
    if (entry.get("content_type") or "").startswith("text/plain"):
        word = text.strip()
        return word if word and len(word) <= 40 and word.isidentifier() else None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if isinstance(body, dict):
        if isinstance(body.get("status"), str):
            return str(body["status"])
        state = body.get("state")
        if isinstance(state, dict) and isinstance(state.get("current"), str):
            return str(state["current"])
        items = (body.get("data") or {}).get("resultList") if isinstance(body.get("data"), dict) else None
        if isinstance(items, list):
            found = [str(i["status"]) for i in items if isinstance(i, dict) and isinstance(i.get("status"), str)]
            return ", ".join(found) or None
    return None


def _flat(params: Any, prefix: str = "") -> dict[str, Any]:
    """Nested JSON bodies as dotted names; an upload's description stays one value."""
    if isinstance(params, dict) and not ("sha256" in params and "bytes" in params):
        out: dict[str, Any] = {}
        for key, value in params.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): params}


def _short(value: Any) -> str:
    if isinstance(value, dict) and "sha256" in value:
        size = f" {value['width']}×{value['height']} {value.get('format', '')}" if "width" in value else ""
        return f"<{value['bytes']} bytes{size} sha256 {value['sha256'][:12]}…>"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 160 else text[:160] + "…"


def input_image(seq: int) -> Response:
    operator().settle()
    data = operator().journal.input_thumb(seq)
    if data is None:
        return Response("no input thumbnail", status=404, mimetype="text/plain")
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": IMMUTABLE})


def overlay_image(seq: int, idx: int) -> Response:
    """Output ``idx`` of entry ``seq`` over its input (a mask on a checkerboard when there was no input)."""
    operator().settle()
    output = operator().journal.output(seq, idx)
    if output is None:
        return Response("no such output", status=404, mimetype="text/plain")
    png = overlay(operator().journal.input_thumb(seq), output)
    return Response(png, mimetype="image/png", headers={"Cache-Control": IMMUTABLE})
