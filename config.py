"""Configuration classes; ``create_app`` picks one by ``VOTING_ENV``.

Nothing here is read at import time by the application: ``create_app``
instantiates a class, so environment variables are read when the app is
made, not when this module is imported.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def default_public_url(environ=os.environ) -> str:
    """The public URL when VOTING_PUBLIC_URL is unset: the address ``make
    run`` serves on, ``http://{HOST}:{PORT}`` (defaults 127.0.0.1 and 5000).

    HOST 0.0.0.0 or :: (every interface) is kept, since guessing which of
    the machine's addresses the phones reach would be wrong as often as
    right; a warning says to set VOTING_PUBLIC_URL instead.
    """
    host = (environ.get("HOST") or "").strip() or "127.0.0.1"
    port = (environ.get("PORT") or "").strip() or "5000"
    bare = host.strip("[]")
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        address = None  # a host name
    if address is not None and address.version == 6:
        host = f"[{bare}]"  # RFC 3986: an IPv6 literal in brackets
    url = f"http://{host}:{port}"
    if address is not None and address.is_unspecified:
        logging.getLogger("voting.config").warning(
            "HOST=%s listens on every interface, but %s is no address a phone can open: "
            "set VOTING_PUBLIC_URL to this machine's address on the venue network "
            "(e.g. VOTING_PUBLIC_URL=http://192.168.1.10:%s), or card QR codes and "
            "invitation links will not work.", bare, url, port)
    return url


class Config:
    def __init__(self) -> None:
        #: Signs session cookies. Production refuses to start without one.
        self.SECRET_KEY = os.environ.get("VOTING_SECRET_KEY", "")
        #: Public base URL: every absolute link (card QR codes, invitation
        #: links, the minutes' board link) starts with it. Unset: the
        #: address ``make run`` serves on, from HOST and PORT.
        self.VOTING_PUBLIC_URL = (os.environ.get("VOTING_PUBLIC_URL", "").strip()
                                  or default_public_url())
        #: SQLAlchemy URL; empty means SQLite under the instance folder.
        self.VOTING_DATABASE_URL = os.environ.get("VOTING_DATABASE_URL", "")
        #: Where key material lives (server signing key, offline shares).
        self.VOTING_KEYS_DIR = os.environ.get("VOTING_KEYS_DIR", str(ROOT / "keys"))
        #: The installation's record-signing key, the PEM text that
        #: ``voting record-key new`` writes; empty: the key file in
        #: VOTING_KEYS_DIR. Every host and worker must get the same key.
        self.VOTING_RECORD_KEY = os.environ.get("VOTING_RECORD_KEY", "")
        #: Make the record key on first use when there is none. Production
        #: never does: it refuses to start without one.
        self.VOTING_CREATE_RECORD_KEY = False
        #: Flask-Limiter storage; memory is per process, so production
        #: with several workers should point this at Redis.
        self.RATELIMIT_STORAGE_URI = os.environ.get("VOTING_RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        #: A sliding window: a fixed one lets twice the limit through
        #: around the end of each window.
        self.RATELIMIT_STRATEGY = "moving-window"
        #: Whether to warn when the limits' storage is per process (memory).
        self.VOTING_SHARED_LIMITS_REQUIRED = False
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        #: Cookies only over HTTPS when the public URL is HTTPS (behind TLS).
        self.SESSION_COOKIE_SECURE = self.VOTING_PUBLIC_URL.startswith("https://")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.MAX_CONTENT_LENGTH = 1024 * 1024
        #: Number of reverse proxies in front (TLS terminator): their
        #: X-Forwarded-For/-Proto headers are trusted, so that HTTPS is seen.
        self.VOTING_PROXIES = int(os.environ.get("VOTING_PROXIES", "0"))
        self.WTF_CSRF_TIME_LIMIT = None
        #: A chair's session ends after this long without a request, and
        #: this long after login whatever happens (a conference day).
        self.VOTING_SESSION_IDLE_MINUTES = int(os.environ.get("VOTING_SESSION_IDLE_MINUTES",
                                                              "60"))
        self.VOTING_SESSION_MAX_HOURS = int(os.environ.get("VOTING_SESSION_MAX_HOURS", "14"))
        self.BABEL_DEFAULT_LOCALE = "vi"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
        self.LANGUAGES = ("vi", "en")


class DevelopmentConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        # A per-process random key: fine for one local process, never for production.
        self.SECRET_KEY = self.SECRET_KEY or os.urandom(32).hex()
        # A record key made on first use, per keys folder: fine on one machine.
        self.VOTING_CREATE_RECORD_KEY = True


class TestingConfig(DevelopmentConfig):
    TESTING = True
    RATELIMIT_ENABLED = True


class ProductionConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            raise RuntimeError("set VOTING_SECRET_KEY in production")
        self.SESSION_COOKIE_SECURE = True
        #: Several workers share nothing in memory: login and casting limits
        #: then multiply with the workers (the app says so loudly at start).
        self.VOTING_SHARED_LIMITS_REQUIRED = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
