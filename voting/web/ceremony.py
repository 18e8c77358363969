"""The ceremony blueprint (see voting/web/__init__.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ceremony", __name__, url_prefix="/ceremony")
