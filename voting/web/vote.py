"""The delegate's voting page: the card token stays in the URL fragment."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from .security import public

bp = Blueprint("vote", __name__, url_prefix="/vote")


@bp.get("")
@public
def page():
    return render_template("vote/page.html")
