"""The installation's record-signing key in the app (PROTOCOL §13).

``init_app`` makes production refuse to start without the key (no silent
generation: each host would make its own); development and tests make one
on first use. ``get_record_key()`` is the key every view signs with, loaded
once per app. Templates get the ``key_groups`` filter to show a fingerprint
in groups of 4.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask import Flask

from .crypto.record import fingerprint_groups
from .crypto.record import key_fingerprint
from .services.server_key import installation_key
from .services.server_key import public_key_bytes

_EXTENSION = "voting.record_key"


def init_app(app: Flask) -> None:
    """:raises MissingRecordKey: in production, no usable key is configured."""
    app.add_template_filter(fingerprint_groups, "key_groups")
    if not app.config["VOTING_CREATE_RECORD_KEY"]:
        get_record_key(app)


def get_record_key(app: Flask | None = None) -> Ed25519PrivateKey:
    """The installation's key (made now in development if there is none)."""
    app = app or current_app
    key = app.extensions.get(_EXTENSION)
    if key is None:
        key = installation_key(app.config["VOTING_RECORD_KEY"], app.config["VOTING_KEYS_DIR"],
                               create=app.config["VOTING_CREATE_RECORD_KEY"])
        app.extensions[_EXTENSION] = key
    return key


def get_fingerprint(app: Flask | None = None) -> str:
    """The installation key's fingerprint (§13): its public key, 64 hex."""
    return key_fingerprint(public_key_bytes(get_record_key(app)))
