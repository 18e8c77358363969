"""The web layer: one blueprint per audience, thin views.

Each audience's module, blueprint, template folder and URL prefix share one
word: ``auth``, ``chair``, ``cards``, ``ceremony``, ``trustee``, ``vote``,
``board``, ``api``, plus
``public`` for the landing page.
"""

from __future__ import annotations

from flask import Flask

BLUEPRINTS = ("public", "auth", "chair", "cards", "ceremony", "trustee", "vote", "board", "api")


def init_app(app: Flask) -> None:
    from importlib import import_module

    from . import errors

    errors.init_app(app)
    for name in BLUEPRINTS:
        app.register_blueprint(import_module(f"{__name__}.{name}").bp)
