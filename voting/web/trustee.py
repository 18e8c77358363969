"""The trustee blueprint (see voting/web/__init__.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("trustee", __name__, url_prefix="/trustee")
