"""One log line per request, on the ``voting.request`` logger.

Each line is a JSON object: the request's id (random, or the proxy's
``X-Request-Id`` if it looks like one; sent back in ``X-Request-Id``), the
method, the path *without* its query string, the endpoint, the status, the
duration in milliseconds, and who asked: an account's id, ``trustee <id>``
or ``-``. Nothing else of the request is logged: no query string, no
header, no cookie, no form or JSON body; so no token, passphrase, share,
credential, password or CSRF token can reach the log this way (card tokens
and invitations live in URL fragments, which never reach the server).

Secrecy by table design (README, §Audit trail): the board's ballots carry
no time, and a log of each cast with its time would give them one. So the
delegates' own requests (``api.*``) that succeed are logged at DEBUG, which
the default INFO level leaves out; their failures are logged at INFO.

:func:`init_app` also sets ``voting.request`` and ``voting.audit`` to INFO
and, unless the host configured logging (a handler on the root or the
``voting`` logger), sends the ``voting`` loggers to stderr (``make run``'s
terminal, gunicorn's error log). werkzeug's and gunicorn's own loggers are
left alone, so no line is printed twice.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from flask import Flask
from flask import g
from flask import request
from flask.logging import wsgi_errors_stream

log = logging.getLogger("voting.request")
HEADER = "X-Request-Id"
#: An incoming request id is kept only if it is this plain.
INCOMING = re.compile(r"[A-Za-z0-9-]{8,64}")
#: Blueprints whose successful requests are logged at DEBUG only.
QUIET_BLUEPRINTS = {"api"}
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def init_app(app: Flask) -> None:
    _configure_logging()
    app.before_request_funcs.setdefault(None, []).insert(0, _start)  # before any other hook
    app.after_request(_finish)


def _configure_logging() -> None:
    base = logging.getLogger("voting")
    if not (base.handlers or logging.getLogger().handlers):  # else the host's handlers
        # As Flask's own handler: the request's wsgi.errors, else the stderr
        # of the moment (never a stream captured at import and closed since).
        handler = logging.StreamHandler(wsgi_errors_stream)
        handler.setFormatter(logging.Formatter(FORMAT))
        base.addHandler(handler)  # then Flask's app.logger ("voting") adds none of its own
    for name in ("voting.request", "voting.audit"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


def request_id() -> str:
    """This request's id (made on first use)."""
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if INCOMING.fullmatch(incoming) else secrets.token_hex(16)
    return g.request_id


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _who() -> str:
    """The account this request was served to, as loaded for it (never
    loaded here), or its trustee, or ``-``."""
    user = g.get("_login_user")
    if user is not None and user.is_authenticated:
        return str(user.id)
    trustee = g.get("trustee")
    return f"trustee {trustee.id}" if trustee is not None else "-"


#: Route variables never logged: a ballot's tracker, beside the time a
#: phone looked it up, would help link the ballot to that phone.
HIDDEN_VARIABLES = {"tracker"}


def _path() -> str:
    """The path without its query string, with a hidden variable shown as
    its name (``/board/r-…/ballots/<tracker>``)."""
    path = request.path
    for name in HIDDEN_VARIABLES & set(request.view_args or {}):
        path = path.replace(str(request.view_args[name]), f"<{name}>")
    return path[:300]


def _finish(response):
    rid = request_id()
    response.headers[HEADER] = rid
    started = g.get("request_started", time.perf_counter())
    blueprint = request.blueprint or ""
    level = (logging.DEBUG if blueprint in QUIET_BLUEPRINTS and response.status_code < 400
             else logging.INFO)
    log.log(level, "%s", json.dumps({
        "request_id": rid, "method": request.method, "path": _path(),
        "endpoint": request.endpoint or "-", "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1), "user": _who()},
        ensure_ascii=False))
    return response
