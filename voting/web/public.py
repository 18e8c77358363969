"""Public pages: the landing page."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from .security import public

bp = Blueprint("public", __name__)


@bp.get("/")
@public
def index():
    return render_template("public/index.html")
