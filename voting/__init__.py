"""voting: end-to-end verifiable secret ballots for award conferences."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_overrides: dict | None = None) -> Flask:
    """Application factory: load configuration, then wire each part.

    :param config_overrides: values applied after the configuration class,
        used by tests.
    """
    import config

    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                instance_path=os.environ.get("VOTING_INSTANCE_PATH", str(ROOT / "instance")))
    env = os.environ.get("VOTING_ENV", "development")
    app.config.from_object(config.CONFIGS[env]())
    if config_overrides:
        app.config.update(config_overrides)

    from . import cli
    from . import db
    from . import i18n
    from . import record_key
    from . import web
    from .web import security

    if app.config.get("VOTING_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["VOTING_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    record_key.init_app(app)  # first: production without the key stops here
    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app
