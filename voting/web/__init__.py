"""The web layer: one blueprint per audience, thin views.

Each audience's module, blueprint, template folder and URL prefix share one
word: ``auth``, ``chair``, ``cards``, ``ceremony``, ``trustee``, ``vote``,
``board``, ``api``, plus
``public`` for the landing page.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

BLUEPRINTS = ("public", "auth", "chair", "cards", "ceremony", "trustee", "vote", "board", "api")


class BoundedInt(IntegerConverter):
    """``<int:…>`` in every route: at most 2^53 (PROTOCOL §3.2), so that an
    absurd id is a 404, never an integer the database cannot hold."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - Werkzeug's name
        kwargs.setdefault("max", 2**53)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    from importlib import import_module

    from . import errors

    errors.init_app(app)
    app.url_map.converters["int"] = BoundedInt  # before any route is added
    for name in BLUEPRINTS:
        app.register_blueprint(import_module(f"{__name__}.{name}").bp)
