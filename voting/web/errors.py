"""Domain errors mapped at the edge: JSON for the API, pages elsewhere."""

from __future__ import annotations

from flask import Flask
from flask import g
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..services.errors import DomainError


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
