"""How the pages and documents write a share of a base: one rule for the
hall screen, the board, the minutes and the exports.

A percentage is ``results.percent_value`` (count/base rounded half up to
two decimals, computed exactly, never a float) written in the page's
locale: "66,67 %" in Vietnamese, "66.67 %" in English. A base of 0 has no
percentage ("—").
"""

from __future__ import annotations

from flask import Flask
from flask_babel import format_decimal

from ..services.results import percent_value

NO_PERCENT = "—"


def percent(count: int, base: int) -> str:
    """``percent_value`` written for the current locale."""
    value = percent_value(count, base)
    if value is None:
        return NO_PERCENT
    return f"{format_decimal(value, format='0.00')}\u00a0%"


def init_app(app: Flask) -> None:
    app.add_template_filter(percent, "percent")
