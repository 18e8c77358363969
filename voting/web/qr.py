"""QR codes as SVG (qrcode library) for pages: receipts and invitations."""

from __future__ import annotations

import base64

import qrcode
from qrcode.image.svg import SvgPathImage


def svg(text: str) -> bytes:
    return qrcode.make(text, image_factory=SvgPathImage, border=2).to_string()


def data_uri(text: str) -> str:
    """An SVG QR code as a data: URI (the CSP allows data: images)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg(text)).decode()
