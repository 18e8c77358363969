"""Logging in and out (chairs and auditors)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import login_user
from flask_login import logout_user

from ..db import get_session
from ..services import accounts
from .forms import EmptyForm
from .forms import LoginForm
from .security import limiter
from .security import public

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc:
        return target
    return url_for("chair.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(get_session(), form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@public
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
    return redirect(url_for("public.index"))
