"""Public pages: landing page (the board and verification pages come later)."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    return render_template("public/index.html")
