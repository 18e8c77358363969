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
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user

from ..db import get_session
from ..services import accounts
from ..services import audit_trail
from .forms import EmptyForm
from .forms import LoginForm
from .security import limiter
from .security import public
from .security import start_session_clock

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc:
        return target
    return url_for("chair.index")


def _account_key() -> str:
    """The limit's key for the account a login names (case and spaces as
    ``accounts.authenticate`` ignores them), whatever address it comes from."""
    return "login-account:" + (request.form.get("username") or "").strip().casefold()[:120]


def _failed(response) -> bool:
    """Only failed logins count: a successful one redirects. So a hall
    behind one address (NAT) is never locked out by its own chairs."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute; 200 per hour", methods=["POST"], deduct_when=_failed)
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_account_key,
               deduct_when=_failed)
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(get_session(), form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            start_session_clock()
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@public
def logout():
    if EmptyForm().validate_on_submit():
        if current_user.is_authenticated:
            session = get_session()
            audit_trail.act_as(session, audit_trail.Actor(
                "user", current_user.id, current_user.username, current_user.role.value))
            accounts.end_sessions(session, current_user)  # every copy of the cookie too
        logout_user()
    return redirect(url_for("public.index"))
