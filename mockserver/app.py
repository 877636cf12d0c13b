"""The Flask app factory: one blueprint per provider, all at the providers' real paths on one port."""

from __future__ import annotations

import json

from flask import Flask, Response, request
from werkzeug.exceptions import MethodNotAllowed

from .config import MockConfig
from .core import registry as provider_registry
from .core import unrouted
from .core.dispatch import blueprint
from .core.imagelimits import set_pixel_ceiling
from .core.provider import respond
from .core.services import Services
from .operator import install as install_operator


def create_app(config: MockConfig | None = None) -> Flask:
    """Build a mock serving ``config.providers`` (all available providers when empty)."""
    config = config or MockConfig()
    names = config.providers or provider_registry.available()
    defs = [provider_registry.load(name) for name in names]
    app = Flask("segmock", static_folder=None)
    app.config["MAX_FORM_MEMORY_SIZE"] = None  # provider limits are enforced per operation
    app.config["MAX_FORM_PARTS"] = 10_000
    set_pixel_ceiling(config.max_image_pixels)
    svc = Services(config, defs)
    app.extensions["segmock"] = svc
    app.extensions["segmock.providers"] = tuple(names)
    for provider in defs:
        app.register_blueprint(blueprint(provider))
    install_operator(app)

    @app.errorhandler(404)
    def not_found(_: Exception) -> Response:
        owned = unrouted.answer(names, request.method, request.host, request.path)
        if owned is not None:
            return respond(owned)
        body = {"error": "not_found", "message": f"segmock serves no route {request.method} {request.path}",
                "providers": list(names)}
        return Response(json.dumps(body), status=404, mimetype="application/json")

    @app.errorhandler(405)
    def not_allowed(error: MethodNotAllowed) -> Response:
        owned = unrouted.answer(names, request.method, request.host, request.path)
        if owned is not None:
            return respond(owned)
        body = {"error": "method_not_allowed", "message": f"{request.method} is not allowed on {request.path}"}
        allow = ", ".join(sorted(error.valid_methods or []))
        return Response(json.dumps(body), status=405, mimetype="application/json", headers={"Allow": allow})

    return app
