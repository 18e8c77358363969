"""The printable sheet of ballot cards: A4 pages of 8 cards with cut lines.

Each card shows the conference, the rounds it covers, a QR code of
``{VOTING_PUBLIC_URL}/vote#{token text}``, the grouped manual code, its serial
and a short instruction. The sheet is the only place a card's token ever
exists: it is rendered for one download (or one offline file) and never kept.
It is written in the conference's language (the default locale), whatever
the chair's own language. It is one self-contained file, opened and printed
from disk: its stylesheet (``cards.css``) is embedded in one ``<style>``
element, which its own Content-Security-Policy allows by hash (``Sheet.csp``,
also sent with the download); nothing else is allowed, no script, no
request to any server (the QR codes are inline SVG).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import qrcode
from flask import current_app
from flask_babel import force_locale
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Conference
from ..models import Round
from . import cards

#: Cards per A4 page: 2 columns of 4 (the stylesheet's grid).
CARDS_PER_PAGE = 8
#: The sheet's stylesheet, under the app's static folder.
STYLESHEET = Path("css") / "cards.css"


@dataclass(frozen=True)
class Sheet:
    html: str
    filename: str
    #: The sheet's Content-Security-Policy (:func:`sheet_policy`).
    csp: str


def sheet_css() -> str:
    """The text of ``cards.css``, as the sheet embeds it (needs an app context)."""
    return (Path(current_app.static_folder) / STYLESHEET).read_text(encoding="utf-8")


def sheet_policy(css: str) -> str:
    """The sheet's Content-Security-Policy: its one ``<style>`` (by SHA-256)
    and nothing else: no script, no image, font or request from anywhere."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"


def vote_url(public_url: str, token_text: str) -> str:
    """The address a card's QR code holds; the token stays in the fragment,
    which browsers never send to the server."""
    return f"{public_url.rstrip('/')}/vote#{token_text}"


def qr_svg(data: str) -> Markup:
    """``data`` as an inline SVG QR code (one path, no style attribute)."""
    image = qrcode.make(data, image_factory=SvgPathImage, border=2,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    image.path.attrib.pop("id", None)  # ids must stay unique in the page
    root = image.get_image()
    root.set("class", "qr-code")
    root.set("aria-hidden", "true")
    root.set("shape-rendering", "crispEdges")  # no hairline seams between modules
    return Markup(image.to_string(encoding="unicode"))


def render_sheet(issued: list[cards.IssuedCard], *, conference_name: str,
                 round_titles: list[str], public_url: str) -> str:
    """The sheet's HTML for ``issued`` (needs an app context, not a request),
    its stylesheet embedded under the policy of :func:`sheet_policy`."""
    items = [{"serial": c.serial, "is_spare": c.is_spare,
              "code": cards.format_manual_code(c.token_text),
              "qr": qr_svg(vote_url(public_url, c.token_text))} for c in issued]
    pages = [items[i:i + CARDS_PER_PAGE] for i in range(0, len(items), CARDS_PER_PAGE)]
    template = current_app.jinja_env.get_template("cards/sheet.html")
    lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    css = sheet_css()
    with force_locale(lang):
        return template.render(
            lang=lang, pages=pages, conference_name=conference_name, round_titles=round_titles,
            vote_address=f"{public_url.rstrip('/')}/vote", count=len(items),
            first=issued[0].serial if issued else None,
            last=issued[-1].serial if issued else None,
            css=Markup(css), csp=sheet_policy(css))


def issue_sheet(session: Session, conference: Conference, *, count: int, spares: int,
                round_ids, public_url: str) -> Sheet:
    """Issue cards (``cards.issue_cards``) and render their one and only sheet."""
    issued = cards.issue_cards(session, conference, count=count, spares=spares,
                               round_ids=round_ids)
    titles = session.scalars(select(Round.title).where(Round.id.in_(set(round_ids)))
                             .order_by(Round.position))
    html = render_sheet(issued, conference_name=conference.name, round_titles=list(titles),
                        public_url=public_url)
    filename = f"ballot-cards-{conference.id}-{issued[0].serial}-{issued[-1].serial}.html"
    return Sheet(html, filename, sheet_policy(sheet_css()))
