"""The public board: every round's events, trackers and records."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from .security import public

bp = Blueprint("board", __name__, url_prefix="/board")


@bp.get("/")
@public
def index():
    return render_template("board/index.html")
