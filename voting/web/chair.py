"""The chair's pages (conference set-up, rounds, cards, check-in)."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from .security import staff_required

bp = Blueprint("chair", __name__, url_prefix="/chair")


@bp.get("/")
@staff_required
def index():
    return render_template("chair/index.html")
