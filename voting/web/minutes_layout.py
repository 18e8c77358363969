"""The page of the minutes PDF (voting/web/minutes_pdf.py): A4 with the
administrative margins, the bundled fonts, a page number, and the few
shapes the document is made of (headings, paragraphs, tables, a rule, a QR
code)."""

from __future__ import annotations

import unicodedata

import qrcode
from fpdf import FPDF
from fpdf.fonts import FontFace

from .. import ROOT

FONTS = ROOT / "voting" / "fonts"
SERIF, MONO = "DejaVuSerif", "DejaVuSansMono"
#: Points of the body text and of the tables; millimetres of a body line.
BODY, SMALL, LINE = 11.5, 9.5, 5.6
BOLD = FontFace(emphasis="BOLD")
HEADINGS = FontFace(emphasis="BOLD", size_pt=8.5, fill_color=(235, 235, 235))
HASH = FontFace(family=MONO, size_pt=8.5)


class MinutesPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        # Nghị định 30/2020/NĐ-CP: margins 20-25 mm top and bottom, 30-35
        # left, 15-20 right.
        self.set_margins(30, 20, 15)
        self.set_auto_page_break(True, margin=20)
        for style, name in (("", "DejaVuSerif"), ("B", "DejaVuSerif-Bold"),
                            ("I", "DejaVuSerif-Italic")):
            self.add_font(SERIF, style, FONTS / f"{name}.ttf")
        self.add_font(MONO, "", FONTS / "DejaVuSansMono.ttf")

    def normalize_text(self, text: str) -> str:
        # The fonts have every precomposed Vietnamese letter, and fpdf2 does
        # no shaping here: decomposed input (some spreadsheets) is composed.
        return super().normalize_text(unicodedata.normalize("NFC", text))

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(SERIF, "", 9)
        self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="C")

    # -- Text ---------------------------------------------------------------------

    def text_block(self, text: str, *, width: float = 0, height: float = LINE,
                   style: str = "", size: float = BODY, align: str = "J",
                   family: str = SERIF) -> None:
        """Wrapped text from the current position; the next line starts at
        the same left edge."""
        self.set_font(family, style, size)
        self.multi_cell(width, height, text, align=align, new_x="LEFT", new_y="NEXT")

    def paragraph(self, text: str, style: str = "") -> None:
        self.text_block(text, style=style)
        self.ln(1)

    def heading(self, number: str, text: str) -> None:
        """A numbered section heading, kept with at least four lines after it."""
        if self.will_page_break(LINE * 5):
            self.add_page()
        self.ln(3)
        self.text_block(f"{number}. {text}", height=6.5, style="B", size=12, align="L")
        self.ln(1)

    def line_count(self, text: str, width: float, style: str = "", size: float = BODY) -> int:
        """How many lines ``text`` takes at ``width`` (nothing is drawn)."""
        self.set_font(SERIF, style, size)
        return len(self.multi_cell(width, 5, text, dry_run=True, output="LINES"))

    # -- Shapes -------------------------------------------------------------------

    def grid(self, widths: tuple, align, rows: list[list], *, headings: bool = True) -> None:
        """A bordered table over the text width (``widths`` in proportion),
        its heading row repeated on each page; a row that does not fit moves
        whole to the next page. A cell is a value, or (value, FontFace)."""
        self.set_font(SERIF, "", SMALL)
        with self.table(col_widths=widths, text_align=align, line_height=4.8, padding=1.2,
                        headings_style=HEADINGS, repeat_headings=1, width=self.epw,
                        align="LEFT", first_row_as_headings=headings) as table:
            for values in rows:
                row = table.row()
                for value in values:
                    value, style = value if isinstance(value, tuple) else (value, None)
                    row.cell("" if value is None else str(value), style=style)
        self.ln(2)

    def rule(self, centre: float, y: float, length: float) -> None:
        """A horizontal line of ``length`` centred at ``centre``."""
        self.set_line_width(0.3)
        self.line(centre - length / 2, y, centre + length / 2, y)

    def qr(self, text: str, x: float, y: float, size: float) -> None:
        """A QR code of ``text`` drawn as vector squares: sharp at any zoom."""
        code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(text)
        matrix = code.get_matrix()
        module = size / len(matrix)
        self.set_fill_color(0, 0, 0)
        for r, line in enumerate(matrix):
            for c, dark in enumerate(line):
                if dark:
                    self.rect(x + c * module, y + r * module, module, module, style="F")
