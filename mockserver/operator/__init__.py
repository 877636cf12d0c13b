"""Operating the mock: request journal, fault injection, health, request log, web inspector.

Everything here is generic over providers: it hangs on the ``Services`` hooks the dispatch pipeline calls
around every provider request, and serves its own pages under ``/__segmock/``.
"""

from __future__ import annotations

from flask import Flask

from .admin import PREFIX, admin_blueprint
from .hooks import Operator
from .inspector import inspector_blueprint

__all__ = ["PREFIX", "Operator", "install"]


def install(app: Flask) -> Operator:
    """Attach the operator to an app built by ``create_app`` (its ``Services`` already in place)."""
    operator = Operator(app.extensions["segmock"])
    operator.install()
    app.extensions["segmock.operator"] = operator
    app.register_blueprint(admin_blueprint())
    app.register_blueprint(inspector_blueprint())
    app.after_request(operator.after_request)
    if operator.log_format:
        from .logs import request_logger

        request_logger()
        app.before_request(operator.before_request)
    return operator
