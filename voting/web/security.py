"""Cross-cutting web security: CSRF, login, rate limits, headers, and the
policy decorators views use (``@chair_required``, ``@trustee_required``)."""

from __future__ import annotations

import hmac
import logging
import time
from functools import wraps

from flask import abort
from flask import current_app
from flask import Flask
from flask import g
from flask import request
from flask import session
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_login import LoginManager
from flask_login import logout_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from ..db import get_session
from ..models import Role
from ..models import Round
from ..models import Trustee
from ..models import User
from ..services import audit_trail
from ..services import memberships

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)

#: No inline script or style anywhere: every page's code is a static file.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    limiter.init_app(app)
    if app.config["VOTING_SHARED_LIMITS_REQUIRED"] \
            and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        logging.getLogger("voting.security").warning(
            "RATE LIMITS ARE PER WORKER: VOTING_RATELIMIT_STORAGE_URI is not set, so each "
            "worker counts logins and casts on its own and the limits multiply with the "
            "workers. Set VOTING_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379 in production.")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.user_loader(_load_user)
    app.before_request(_session_lifetime)
    app.after_request(_security_headers)
    app.context_processor(_role_context)


def _load_user(session_id: str) -> User | None:
    """The account of a session cookie (``User.get_id``: id and session
    version), if the account is enabled and the version is still its own:
    logging out, a new password or disabling raises the version, so an old
    cookie, even a copy, opens nothing any more."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = get_session().get(User, int(user_id))
    if user is None or user.is_disabled or user.session_version != int(version):
        return None
    return user


def _session_lifetime():
    """End a session idle for longer than VOTING_SESSION_IDLE_MINUTES, or
    older than VOTING_SESSION_MAX_HOURS, whatever the cookie says."""
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    config = current_app.config
    started, seen = session.get(LOGIN_AT_KEY, 0), session.get(SEEN_AT_KEY, 0)
    if now - seen > 60 * config["VOTING_SESSION_IDLE_MINUTES"] \
            or now - started > 3600 * config["VOTING_SESSION_MAX_HOURS"]:
        logout_user()
        session.pop(LOGIN_AT_KEY, None)
        session.pop(SEEN_AT_KEY, None)
        return login_manager.unauthorized()
    session[SEEN_AT_KEY] = now
    return None


#: When the session was opened, and when it was last used (Unix seconds).
LOGIN_AT_KEY, SEEN_AT_KEY = "login_at", "seen_at"


def start_session_clock() -> None:
    """Call at login: the session's lifetimes count from now."""
    session[LOGIN_AT_KEY] = session[SEEN_AT_KEY] = int(time.time())


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Tokens live in URL fragments, which browsers never send; this keeps
    # even paths and queries out of other sites' logs.
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    return response


def _conference_of(kwargs: dict) -> int | None:
    """The conference a route's arguments name (directly, or through its
    round), or None for a route about no conference; 404 for a round that
    does not exist."""
    if "conference_id" in kwargs:
        return kwargs["conference_id"]
    if "round_id" in kwargs:
        conference_id = get_session().scalar(select(Round.conference_id)
                                             .where(Round.id == kwargs["round_id"]))
        if conference_id is None:
            abort(404)
        return conference_id
    return None


def _policy(allowed: tuple[Role, ...], global_roles: tuple[Role, ...]):
    """Allow only logged-in accounts whose role in the route's conference
    (``memberships.role_in``) is one of ``allowed``; on a route about no
    conference, accounts whose own role is one of ``global_roles``. 401 for
    anonymous visitors (via the login redirect), 403 otherwise. The view
    then acts as that account in that role (``audit_trail.act_as``)."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            conference_id = _conference_of(kwargs)
            if conference_id is None:
                role = current_user.role if current_user.role in global_roles else None
            else:
                role = memberships.role_in(get_session(), current_user, conference_id)
                role = role if role in allowed else None
            if role is None:
                abort(403)
            g.conference_role = role if conference_id is not None else None
            audit_trail.act_as(get_session(), audit_trail.Actor(
                "user", current_user.id, current_user.username,
                "admin" if current_user.is_admin else role.value))
            return view(*args, **kwargs)
        wrapped.required_roles = allowed
        return wrapped
    return decorator


#: Open, close, publish, the rules, the key ceremony, the members: the
#: conference's chair (or an administrator).
chair_required = _policy((Role.CHAIR,), (Role.ADMIN, Role.CHAIR))
#: Check-in, cards and the closing time: a chair or a secretary.
secretary_required = _policy((Role.CHAIR, Role.SECRETARY), (Role.ADMIN, Role.CHAIR))
#: Reading: any member of the conference, and the installation's auditors.
staff_required = _policy((Role.CHAIR, Role.SECRETARY, Role.AUDITOR), tuple(Role))


def admin_required(view):
    """Account administration: administrators only."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        audit_trail.act_as(get_session(), audit_trail.Actor(
            "user", current_user.id, current_user.username, "admin"))
        return view(*args, **kwargs)
    wrapped.required_roles = (Role.ADMIN,)
    return wrapped


def _role_context() -> dict:
    """What the pages may offer: ``is_chair`` (the conference's chair; on a
    page about no conference, an account that may create conferences) and
    ``is_secretary`` (check-in, cards and the closing time)."""
    if not current_user.is_authenticated:
        return {"is_chair": False, "is_secretary": False}
    role = g.get("conference_role")
    if role is None:
        role = Role.CHAIR if memberships.may_create_conferences(current_user) else None
    return {"is_chair": role == Role.CHAIR,
            "is_secretary": role in (Role.CHAIR, Role.SECRETARY)}


TRUSTEE_SESSION_KEY = "trustee_id"
#: The invitation hash the trustee session was opened with. Re-naming the
#: trustees replaces their rows, and a database may give a deleted row's id
#: to a new trustee: a session counts only while its trustee still has the
#: invitation it was opened with.
TRUSTEE_BINDING_KEY = "trustee_invite"


def log_in_trustee(trustee: Trustee) -> None:
    session[TRUSTEE_SESSION_KEY] = trustee.id
    session[TRUSTEE_BINDING_KEY] = trustee.invite_hash


def log_out_trustee() -> None:
    session.pop(TRUSTEE_SESSION_KEY, None)
    session.pop(TRUSTEE_BINDING_KEY, None)


def session_trustee() -> Trustee | None:
    """The trustee this browser opened an invitation for, if still valid."""
    trustee_id = session.get(TRUSTEE_SESSION_KEY)
    trustee = get_session().get(Trustee, trustee_id) if trustee_id else None
    if trustee is None or not hmac.compare_digest(
            str(session.get(TRUSTEE_BINDING_KEY, "")), trustee.invite_hash):
        return None
    return trustee


class TrusteeSessionEnded(Forbidden):
    """No trustee session in this browser: never opened, left, or ended by a
    server restart (the development SECRET_KEY is per process). Reopening
    the invitation link opens a new one; web/errors.py says so."""


def trustee_required(view):
    """Allow only a trustee who opened their invitation in this browser."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        trustee = session_trustee()
        if trustee is None:
            raise TrusteeSessionEnded()
        g.trustee = trustee
        audit_trail.act_as(get_session(), audit_trail.Actor("trustee", trustee.id, trustee.name,
                                                            "trustee"))
        return view(*args, **kwargs)
    wrapped.required_roles = ("trustee",)
    return wrapped


def public(view):
    """Mark a view as intentionally open to everyone (the route walk checks
    that every view is either public or guarded)."""
    view.is_public = True
    return view
