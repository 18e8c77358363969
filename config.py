"""Configuration classes; ``create_app`` picks one by ``VOTING_ENV``.

Nothing here is read at import time by the application: ``create_app``
instantiates a class, so environment variables are read when the app is
made, not when this module is imported.
"""

from __future__ import annotations

import os


class Config:
    def __init__(self) -> None:
        #: Signs session cookies. Production refuses to start without one.
        self.SECRET_KEY = os.environ.get("VOTING_SECRET_KEY", "")
        #: Public base URL printed in ballot-card QR codes.
        self.VOTING_PUBLIC_URL = os.environ.get("VOTING_PUBLIC_URL", "http://127.0.0.1:5000")
        #: SQLAlchemy URL; empty means SQLite under the instance folder.
        self.VOTING_DATABASE_URL = os.environ.get("VOTING_DATABASE_URL", "")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.MAX_CONTENT_LENGTH = 1024 * 1024


class DevelopmentConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        # A per-process random key: fine for one local process, never for production.
        self.SECRET_KEY = self.SECRET_KEY or os.urandom(32).hex()


class TestingConfig(DevelopmentConfig):
    TESTING = True


class ProductionConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            raise RuntimeError("set VOTING_SECRET_KEY in production")
        self.SESSION_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
