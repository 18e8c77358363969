"""Cross-cutting web security: CSRF, login, rate limits, headers, and the
policy decorators views use (``@chair_required``, ``@trustee_required``)."""

from __future__ import annotations

import hmac
from functools import wraps

from flask import abort
from flask import Flask
from flask import g
from flask import request
from flask import session
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from ..db import get_session
from ..models import Role
from ..models import Trustee
from ..models import User

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
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.user_loader(_load_user)
    app.after_request(_security_headers)


def _load_user(user_id: str) -> User | None:
    return get_session().get(User, int(user_id)) if user_id.isdigit() else None


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


def role_required(*roles: Role):
    """Allow only logged-in users with one of ``roles``; 401 for anonymous
    users (via the login redirect), 403 for the wrong role."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        wrapped.required_roles = roles
        return wrapped
    return decorator


chair_required = role_required(Role.CHAIR)
staff_required = role_required(Role.CHAIR, Role.AUDITOR)

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


def trustee_required(view):
    """Allow only a trustee who opened their invitation in this browser."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        trustee = session_trustee()
        if trustee is None:
            abort(403)
        g.trustee = trustee
        return view(*args, **kwargs)
    wrapped.required_roles = ("trustee",)
    return wrapped


def public(view):
    """Mark a view as intentionally open to everyone (the route walk checks
    that every view is either public or guarded)."""
    view.is_public = True
    return view
