"""The vote-counting minutes (biên bản kiểm phiếu) as a PDF made on the server.

Made with fpdf2: it is pure Python (no system Pango or Cairo, as WeasyPrint
needs), and it embeds a subset of the TrueType fonts bundled in
``voting/fonts`` (DejaVu Serif, DejaVu Sans Mono), so the Vietnamese
diacritics render the same on any machine, whatever fonts it has.

The layout is the administrative form (Nghị định 30/2020/NĐ-CP): the
organising body top left, the national header and motto top right with the
place and date line, the title, the numbered sections
(voting/web/minutes_sections.py), then the signatures. The national header
and motto are the state's formula and stay in Vietnamese in every language;
everything else is in the request's language.

:func:`render_minutes_pdf` is given plain data (the view gathers it) and
reads no database. The creation date is the round's publication time, so
one round always gives the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import UTC

from flask_babel import format_date
from flask_babel import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import to_user_timezone

from ..services.results import RoundResult
from . import minutes_sections as sections
from .minutes_layout import BODY
from .minutes_layout import LINE
from .minutes_layout import MinutesPDF
from .minutes_layout import SERIF

NATIONAL_HEADER = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập – Tự do – Hạnh phúc"
SECTIONS = (("I", sections.committee), ("II", sections.figures), ("III", sections.votes),
            ("IV", sections.conclusion), ("V", sections.verification))


@dataclass(frozen=True)
class Minutes:
    """Everything the minutes print, gathered by the view."""

    organiser: str
    conference: str
    place: str
    round_title: str
    opened_at: datetime
    closed_at: datetime
    published_at: datetime
    result: RoundResult
    fingerprint: str
    head: str
    event_count: int
    server_key: str
    ballot_client: str | None
    board_url: str
    #: {"name", "role"}, the head first; empty when not entered.
    committee: list[dict] = field(default_factory=list)
    #: The names of the trustees who decrypted.
    trustees: list[str] = field(default_factory=list)
    #: The title of the run-off round that decides this round's tie, once made.
    runoff_title: str | None = None


def render_minutes_pdf(minutes: Minutes) -> bytes:
    """The minutes of a published round: A4, in the current language."""
    pdf = MinutesPDF()
    published = minutes.published_at
    pdf.set_creation_date(published if published.tzinfo else published.replace(tzinfo=UTC))
    pdf.set_lang(str(get_locale()))
    pdf.set_title(f"{_('Vote-counting minutes')} – {minutes.round_title}")
    pdf.set_author(minutes.organiser or minutes.conference)
    pdf.set_creator("voting")
    pdf.add_page()
    _header(pdf, minutes)
    _title(pdf, minutes)
    for number, section in SECTIONS:
        section(pdf, minutes, number)
    _signatures(pdf, minutes.committee)
    return bytes(pdf.output())


# -- Header and title ---------------------------------------------------------------

def _header(pdf: MinutesPDF, m: Minutes, left_w: float = 66, gap: float = 4) -> None:
    """Two columns: the organising body over the conference, underlined; the
    national header, the motto underlined, and the place and date line."""
    top, right_x, right_w = pdf.get_y(), pdf.l_margin + left_w + gap, pdf.epw - left_w - gap
    if m.organiser:
        pdf.text_block(m.organiser.upper(), width=left_w, height=5.2, size=11, align="C")
    pdf.text_block(m.conference.upper(), width=left_w, height=5.2, style="B", size=11,
                   align="C")
    pdf.rule(pdf.l_margin + left_w / 2, pdf.get_y() + 1, 24)
    left_bottom = pdf.get_y() + 1
    pdf.set_xy(right_x, top)
    pdf.text_block(NATIONAL_HEADER, width=right_w, height=5.2, style="B",
                   size=_fitting(pdf, NATIONAL_HEADER, right_w, 11.5), align="C")
    pdf.text_block(MOTTO, width=right_w, height=6, style="B", size=12, align="C")
    pdf.rule(right_x + right_w / 2, pdf.get_y() + 0.3, pdf.get_string_width(MOTTO))
    pdf.set_xy(right_x, pdf.get_y() + 4)
    pdf.text_block(date_line(m.place, m.published_at), width=right_w, style="I",
                   align="C")
    pdf.set_xy(pdf.l_margin, max(left_bottom, pdf.get_y()) + 8)


def _fitting(pdf: MinutesPDF, text: str, width: float, size: float) -> float:
    """The largest bold size up to ``size`` at which ``text`` fits one line."""
    while size > 8:
        pdf.set_font(SERIF, "B", size)
        if pdf.get_string_width(text) <= width - 2:
            break
        size -= 0.5
    return size


def date_line(place: str, at: datetime) -> str:
    """"<place>, ngày 05 tháng 3 năm 2025", with a leading zero for a day
    below 10 and for the months 1 and 2 (Nghị định 30/2020/NĐ-CP, appendix
    I); in English "<place>, 5 March 2025". The date is the publication's,
    in the app's time zone (BABEL_DEFAULT_TIMEZONE)."""
    if get_locale().language == "vi":
        local = to_user_timezone(at)
        month = f"{local.month:02d}" if local.month <= 2 else str(local.month)
        date = f"ngày {local.day:02d} tháng {month} năm {local.year}"
    else:
        date = format_date(at, "d MMMM yyyy")
    return f"{place}, {date}" if place else date[:1].upper() + date[1:]


def _title(pdf: MinutesPDF, m: Minutes) -> None:
    pdf.text_block(_("Vote-counting minutes").upper(), height=7.5, style="B", size=15,
                   align="C")
    pdf.text_block(m.round_title, height=6.5, style="B", size=12.5, align="C")
    pdf.ln(3)
    stamp = "HH:mm dd/MM/yyyy"
    pdf.paragraph(_("Voting opened at %(opened)s and closed at %(closed)s; the result was "
                    "published at %(published)s.",
                    opened=format_datetime(m.opened_at, stamp),
                    closed=format_datetime(m.closed_at, stamp),
                    published=format_datetime(m.published_at, stamp)))


# -- Signatures ---------------------------------------------------------------------

def _signatures(pdf: MinutesPDF, committee: list[dict]) -> None:
    """A block per member, the head first: the title, "(signature and full
    name)", room to sign, the name; in rows of at most three, all on one
    page. Without a committee: blank blocks for the head and two members."""
    head, member = _("Head of the counting committee"), _("Committee member")
    blocks = ([(head if i == 0 else c["role"] or member, c["name"])
               for i, c in enumerate(committee)]
              or [(head, ""), (member, ""), (member, "")])
    per_row = math.ceil(len(blocks) / math.ceil(len(blocks) / 3))  # 4: 2 + 2, 5: 3 + 2
    rows = [blocks[i:i + per_row] for i in range(0, len(blocks), per_row)]
    width = pdf.epw / per_row
    closing = _("These minutes are drawn from the result published on the public board; the "
                "members of the counting committee sign them.")
    total = LINE * pdf.line_count(closing, pdf.epw) + 10 + sum(
        _signature_height(pdf, row, width) for row in rows)
    if total < pdf.eph and pdf.will_page_break(total):
        pdf.add_page()
    pdf.ln(4)
    pdf.paragraph(closing, "I")
    pdf.ln(4)
    for row in rows:
        _signature_row(pdf, row, width)


ROOM, GAP = 24, 8  # mm to sign in; between rows


def _signature_heights(pdf: MinutesPDF, blocks: list[tuple[str, str]], width: float):
    """The height of the row's titles and of its names (each may wrap)."""
    return (5 * max(pdf.line_count(t.upper(), width - 4, "B", 10.5) for t, _n in blocks),
            5 * max(pdf.line_count(n, width - 4, "B", 10.5) for _t, n in blocks))


def _signature_height(pdf: MinutesPDF, blocks: list[tuple[str, str]], width: float) -> float:
    title_h, name_h = _signature_heights(pdf, blocks, width)
    return title_h + 5 + ROOM + name_h + GAP


def _signature_row(pdf: MinutesPDF, blocks: list[tuple[str, str]], width: float) -> None:
    """Blocks side by side, centred, never split by a page break."""
    note = _("(signature and full name)")
    note = note[:1] + note[1:2].upper() + note[2:]  # "(Ký, ghi rõ họ tên)"
    title_h, name_h = _signature_heights(pdf, blocks, width)
    if pdf.will_page_break(title_h + 5 + ROOM + name_h):
        pdf.add_page()
    top, inner = pdf.get_y(), width - 4
    left = pdf.l_margin + (pdf.epw - width * len(blocks)) / 2
    for i, (title, name) in enumerate(blocks):
        x = left + i * width + 2
        pdf.set_xy(x, top)
        pdf.text_block(title.upper(), width=inner, height=5, style="B", size=10.5, align="C")
        pdf.set_xy(x, top + title_h)
        pdf.text_block(note, width=inner, height=5, style="I", size=9.5, align="C")
        pdf.set_xy(x, top + title_h + 5 + ROOM)
        pdf.text_block(name, width=inner, height=5, style="B", size=10.5, align="C")
    pdf.set_xy(pdf.l_margin, top + title_h + 5 + ROOM + name_h + GAP)
    pdf.set_font(SERIF, "", BODY)
