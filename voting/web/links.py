"""Absolute links for outside the browser tab: card QR codes, invitation
links, receipts, the hall screen's and the minutes' board QR codes. They
start with VOTING_PUBLIC_URL (the address phones reach), never the address
the request happened to use."""

from __future__ import annotations

from flask import current_app
from flask import Flask
from flask import url_for


def public_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` under VOTING_PUBLIC_URL."""
    return current_app.config["VOTING_PUBLIC_URL"].rstrip("/") + url_for(endpoint, **values)


def init_app(app: Flask) -> None:
    app.add_template_global(public_url, "public_url")
