"""The cards blueprint (see voting/web/__init__.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cards", __name__, url_prefix="/cards")
