"""Domain errors mapped at the edge: JSON for the API, pages elsewhere."""

from __future__ import annotations

from flask import Flask
from flask import g
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..services.errors import DomainError
from .security import session_trustee
from .security import TrusteeSessionEnded


def wants_json() -> bool:
    """The API, JSON posts from page scripts and ``*.json`` endpoints get
    JSON errors; everything else an error page."""
    return (request.path.startswith("/api/") or request.is_json
            or request.path.endswith(".json"))


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        # A service may refuse after taking a lock: release it now.
        if "db_session" in g:
            g.db_session.rollback()
        if wants_json():
            return jsonify(error={"code": exc.code, "message": exc.message}), exc.status
        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            code = (exc.name or "error").lower().replace(" ", "_")
            return jsonify(error={"code": code, "message": exc.description}), exc.code
        message = {403: _("You are not allowed to see this page."),
                   404: _("This page does not exist."),
                   429: _("Too many attempts. Please wait a moment and try again.")
                   }.get(exc.code, exc.description)
        return render_template("error.html", status=exc.code, message=message), exc.code

    app.register_error_handler(TrusteeSessionEnded, trustee_session_ended)
    app.register_error_handler(CSRFError, csrf_error)


def trustee_session_ended(_exc=None):
    """403 saying what to do: the page for page loads, JSON for the trustee
    page scripts' calls (which show the message, templates/trustee)."""
    message = _("Your trustee session has ended. Open your invitation link again.")
    if wants_json() or request.method != "GET":
        return jsonify(error={"code": "trustee_session_ended", "message": message}), 403
    return render_template("trustee/session_ended.html", message=message), 403


def csrf_error(exc: CSRFError):
    """A form or script call whose CSRF token no longer matches the session,
    e.g. after a server restart: for a trustee's call, the trustee session
    ended with it; otherwise the page has to be reloaded."""
    if (request.blueprint == "trustee" and request.endpoint != "trustee.open_session"
            and session_trustee() is None):
        return trustee_session_ended()
    message = _("This page has expired (it was open for a long time, or the server was "
                "restarted). Reload the page and try again.")
    if wants_json():
        return jsonify(error={"code": "csrf_expired", "message": message}), 400
    return render_template("error.html", status=400, message=message), 400
