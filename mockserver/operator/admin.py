"""The operator's HTTP API under ``/__segmock/``: health, journal, faults, canned answers, reset.

No provider path starts with ``/__``, the blueprint is not a provider blueprint (so its requests are neither
validated as provider operations nor journaled), and every answer is JSON.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

import contracts

from .answers import canned_rule
from .faults import CANNED, FaultError, FaultRule

PREFIX = "/__segmock"


def operator() -> Any:
    return current_app.extensions["segmock.operator"]


def admin_blueprint() -> Blueprint:
    bp = Blueprint("segmock_admin", __name__, url_prefix=PREFIX)
    bp.add_url_rule("/health", view_func=health, methods=["GET"])
    bp.add_url_rule("/requests", view_func=list_requests, methods=["GET"])
    bp.add_url_rule("/requests", view_func=clear_requests, methods=["DELETE"])
    bp.add_url_rule("/requests/<int:seq>", view_func=one_request, methods=["GET"])
    bp.add_url_rule("/faults", view_func=list_faults, methods=["GET"])
    bp.add_url_rule("/faults", view_func=add_fault, methods=["POST"])
    bp.add_url_rule("/faults", view_func=clear_faults, methods=["DELETE"])
    bp.add_url_rule("/faults/<int:rule_id>", view_func=remove_fault, methods=["DELETE"])
    bp.add_url_rule("/answers", view_func=list_answers, methods=["GET"])
    bp.add_url_rule("/answers", view_func=add_answer, methods=["POST"])
    bp.add_url_rule("/reset", view_func=reset, methods=["POST"])
    return bp


def health() -> Response:
    """Cheap enough to poll while a server starts: touches no store."""
    return jsonify(status="ok", providers=list(current_app.extensions["segmock.providers"]), pid=os.getpid())


def _problem(status: int, message: str) -> Response:
    response = jsonify(error="bad_request" if status == 400 else "not_found", message=message)
    response.status_code = status
    return response


def list_requests() -> Response:
    args = request.args
    try:
        status = int(args["status"]) if "status" in args else None
        limit = int(args["limit"]) if "limit" in args else None
        after = int(args["after"]) if "after" in args else None
    except ValueError:
        return _problem(400, "status, limit and after must be integers")
    operator().settle()
    entries = operator().journal.entries(provider=args.get("provider"), operation=args.get("operation"),
                                         status=status, limit=limit, after=after)
    return jsonify(requests=entries, size=operator().journal.size)


def clear_requests() -> Response:
    operator().journal.clear()
    return Response(status=204)


def one_request(seq: int) -> Response:
    operator().settle()
    entry = operator().journal.entry(seq)
    return jsonify(entry) if entry else _problem(404, f"no journal entry {seq} (the journal keeps the last "
                                                      f"{operator().journal.size})")


def list_faults() -> Response:
    return jsonify(faults=operator().faults.rules())


def add_fault() -> Response:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _problem(400, "send the rule as a JSON object, e.g. {\"provider\": \"photoroom\", \"status\": 429}")
    try:
        rule = FaultRule.from_json(data)
        _check_target(rule)
    except FaultError as exc:
        return _problem(400, str(exc))
    stored = operator().faults.add(rule)
    response = jsonify(stored.to_json())
    response.status_code = 201
    return response


def _check_target(rule: FaultRule) -> None:
    """A rule naming a provider this server does not serve, or an unknown operation, would never fire."""
    served = current_app.extensions["segmock.providers"]
    if rule.provider is not None and rule.provider not in served:
        raise FaultError(f"provider {rule.provider!r} is not served here ({', '.join(served)})")
    scope = [rule.provider] if rule.provider else list(served)
    if rule.operation is not None and not any(rule.operation in contracts.spec(p).operations for p in scope):
        raise FaultError(f"no operation {rule.operation!r} in {', '.join(scope)}")
    if rule.error is not None and not any(rule.error in contracts.spec(p).errors for p in scope):
        raise FaultError(f"no error {rule.error!r} in the catalog of {', '.join(scope)}")


def list_answers() -> Response:
    """Canned answers still queued, without their bytes (they share the fault rules' queue, so
    ``DELETE /faults`` clears them too)."""
    return jsonify(answers=[{k: v for k, v in r.items() if k not in ("body", "mask")}
                            for r in operator().faults.rules() if r["kind"] in CANNED and r["remaining"] != 0])


def add_answer() -> Response:
    """Queue a canned answer for the next call(s) of one operation; 400 naming the problem when it would
    break the operation's contract (see ``answers.canned_rule``)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _problem(400, "send the answer as a JSON object, e.g. {\"provider\": \"tengr\", \"operation\": "
                             "\"create-segmentation-artwork\", \"mask_base64\": \"...\"}")
    try:
        rule = canned_rule(data, tuple(current_app.extensions["segmock.providers"]))
    except FaultError as exc:
        return _problem(400, str(exc))
    stored = operator().faults.add(rule)
    response = jsonify({k: v for k, v in stored.to_json().items() if k not in ("body", "mask")})
    response.status_code = 201
    return response


def clear_faults() -> Response:
    operator().faults.clear()
    return Response(status=204)


def remove_fault(rule_id: int) -> Response:
    return Response(status=204) if operator().faults.remove(rule_id) else _problem(404, f"no fault rule {rule_id}")


def reset() -> Response:
    """Everything ``segmock_server.reset()`` forgets: quotas, jobs, journal, faults."""
    current_app.extensions["segmock"].reset()
    return Response(status=204)
