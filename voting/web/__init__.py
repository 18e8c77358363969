"""The web layer: one blueprint per audience, thin views."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import public

    app.register_blueprint(public.bp)
