"""Writers for the chair's exports (voting/services/exports.py): a table in
the page's language as CSV or XLSX, with spreadsheet formulas neutralised.

CSV is UTF-8 with a byte order mark (so that Excel reads Vietnamese
correctly), comma-separated, CRLF line ends; numbers are written as they
are (a percentage as "66.67", with a dot). XLSX has a bold header row,
column widths, counts as numbers and percentages as the number 66.67 with
the format 0.00 (the same figure as the CSV and the pages; the header says
"(%)").

Formula injection (OWASP "CSV Injection"): a text cell starting with =, +,
-, @, a tab or a carriage return gets a leading apostrophe, in both
formats; numbers are never touched. In XLSX every text cell is also stored
as a string, never as a formula or an error value.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask import Response
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from ..models import Conference
from ..services.exports import Cell
from ..services.exports import Table
from ..services.exports import TABLES
from . import vocabulary
from .chair_forms import BASE_LABELS
from .chair_forms import KIND_LABELS
from .chair_forms import STATE_LABELS

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
YES_NO = {"yes": _l("Yes"), "no": _l("No")}
#: The columns whose cells are codes, and the words for them.
CODE_LABELS = {"Base": BASE_LABELS, "State": STATE_LABELS, "Ballot shape": KIND_LABELS,
               "Present": YES_NO, "Card handed out": YES_NO}
TITLES = {"results": _l("Results"), "turnout": _l("Turnout"),
          "attendance": _l("Attendance list")}
MAX_WIDTH = 60


def download(session: Session, conference: Conference, what: str, fmt: str) -> Response:
    """The ``what`` table of ``conference`` as a ``fmt`` attachment, never cached."""
    table = TABLES[what](session, conference)
    body, mimetype = ((write_csv(table), CSV_MIMETYPE) if fmt == "csv"
                      else (write_xlsx(table, what), XLSX_MIMETYPE))
    filename = f"conference-{conference.id}-{what}.{fmt}"  # ASCII only
    return Response(body, headers={"Content-Type": mimetype, "Cache-Control": "no-store",
                                   "Content-Disposition": f'attachment; filename="{filename}"'})


def neutralised(text: str) -> str:
    """``text`` with a leading apostrophe if a spreadsheet could read it as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def translated(table: Table) -> tuple[list[str], list[list[Cell]]]:
    """The headers and rows in the current language (codes put in words;
    an outcome in the words of its round's ballot shape, as on the pages)."""
    labels = [CODE_LABELS.get(header) for header in table.headers]
    shape = table.headers.index("Ballot shape") if "Ballot shape" in table.headers else None
    rows = []
    for row in table.rows:
        kind = row[shape] if shape is not None else None
        rows.append([vocabulary.status_label(cell, kind) if header == "Outcome"
                     else str(words[cell]) if words and cell in words else cell
                     for header, words, cell in zip(table.headers, labels, row, strict=True)])
    return [gettext(header) for header in table.headers], rows


def write_csv(table: Table) -> bytes:
    headers, rows = translated(table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in [headers, *rows]:
        writer.writerow(["" if cell is None else neutralised(cell) if isinstance(cell, str)
                         else str(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(table: Table, what: str) -> bytes:
    headers, rows = translated(table)
    book = Workbook()
    sheet = book.active
    sheet.title = str(TITLES[what])[:31]
    for row in [headers, *rows]:
        sheet.append([_xlsx_text(c) if isinstance(c, str) else c for c in row])
    for column in sheet.iter_cols():
        for cell in column:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula ("=…") or an error ("#N/A")
            elif isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
        width = max(len(str(c.value)) for c in column if c.value is not None)
        sheet.column_dimensions[get_column_letter(column[0].column)].width = min(
            width + 2, MAX_WIDTH)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_text(text: str) -> str:
    # XML cannot hold most control characters; a round title might.
    return neutralised(ILLEGAL_CHARACTERS_RE.sub("", text))
