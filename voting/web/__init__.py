"""The web layer: one blueprint per audience, thin views.

Each audience's module, blueprint, template folder and URL prefix share one
word: ``auth``, ``admin`` (accounts), ``chair``, ``cards``, ``ceremony``, ``trustee``, ``vote``,
``board``, ``api``, ``screen`` (the hall's projector), plus
``public`` for the landing page.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

BLUEPRINTS = ("public", "auth", "admin", "chair", "cards", "ceremony", "trustee", "vote", "board",
              "api", "screen")


class BoundedInt(IntegerConverter):
    """``<int:…>`` in every route: at most 2^53 (PROTOCOL §3.2), so that an
    absurd id is a 404, never an integer the database cannot hold."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - Werkzeug's name
        kwargs.setdefault("max", 2**53)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    from importlib import import_module

    from . import errors
    from . import figures
    from . import links
    from . import request_log
    from . import vocabulary

    errors.init_app(app)
    figures.init_app(app)
    links.init_app(app)
    request_log.init_app(app)
    vocabulary.init_app(app)
    app.url_map.converters["int"] = BoundedInt  # before any route is added
    for name in BLUEPRINTS:
        app.register_blueprint(import_module(f"{__name__}.{name}").bp)
    app.before_request(_close_due_rounds)


def _close_due_rounds() -> None:
    """A round whose closing time has come closes on the next request of
    anyone (the hall screen asks every few seconds), before that request
    reads it; ``flask voting close-due`` does the same from cron."""
    from flask import request

    from ..db import get_session
    from ..services.rounds import close_due_rounds

    if request.endpoint != "static":
        close_due_rounds(get_session())
