"""The numbered sections of the minutes PDF (voting/web/minutes_pdf.py): the
counting committee, the figures, the votes for each unit, the conclusion
and the verification data. Each is ``section(pdf, minutes, number)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _

from ..crypto.record import fingerprint_groups
from ..models import RoundKind
from . import chair_forms as labels
from . import vocabulary
from .figures import percent
from .minutes_layout import BODY
from .minutes_layout import BOLD
from .minutes_layout import HASH
from .minutes_layout import MinutesPDF
from .minutes_layout import MONO
from .minutes_layout import SERIF
from .vocabulary import status_label

if TYPE_CHECKING:
    from .minutes_pdf import Minutes


def committee(pdf: MinutesPDF, m: Minutes, number: str) -> None:
    pdf.heading(number, _("Counting committee"))
    if not m.committee:
        pdf.paragraph(_("The counting committee was not entered; write the members' names "
                        "by hand."), "I")
        return
    rows = [[_("No."), _("Name"), _("Role")]]
    rows += [[i, c["name"], c["role"]] for i, c in enumerate(m.committee, start=1)]
    pdf.grid((12, 88, 65), ("CENTER", "LEFT", "LEFT"), rows)


def figures(pdf: MinutesPDF, m: Minutes, number: str) -> None:
    pdf.heading(number, _("Delegates and ballots"))
    bases, contests = m.result.bases, m.result.contests
    rows = [[_("Delegates entitled to vote (members)"), bases["members"]],
            [_("Delegates present"), bases["present"]],
            [_("Ballot cards handed out (issued)"), bases["issued"]],
            [_("Ballots cast"), bases["cast"]]]
    if m.result.kind == RoundKind.CHOOSE and contests[0].blank is not None:
        rows += [[_("Valid ballots"), bases["cast"] - contests[0].blank],
                 [_("Blank ballots"), contests[0].blank]]
    pdf.grid((130, 35), ("LEFT", "RIGHT"), rows, headings=False)


def votes(pdf: MinutesPDF, m: Minutes, number: str) -> None:
    pdf.heading(number, _("Votes for each unit"))
    for rule, outcomes in zip(m.result.manifest["rules"], m.result.outcomes, strict=True):
        pdf.paragraph(vocabulary.rule_sentence(rule))
        bases = {o.base for o in outcomes}
        if len(bases) == 1 and rule["base"] != "valid":
            pdf.paragraph(_("Base of the percentages: %(count)s (%(noun)s).",
                            count=bases.pop(), noun=labels.BASE_NOUNS[rule["base"]]))
        by_candidate = {o.candidate_id: o for o in outcomes}
        if m.result.kind == RoundKind.PER_UNIT:
            _per_unit_table(pdf, m, by_candidate)
        else:
            _choose_table(pdf, m, by_candidate)


def _share_and_status(outcome, kind) -> tuple[str, str]:
    """The outcome's count as a share of its base, and the outcome in words."""
    if outcome is None:
        return "", ""
    return percent(outcome.count, outcome.base), status_label(outcome.status, kind)


def _per_unit_table(pdf: MinutesPDF, m: Minutes, by_candidate: dict) -> None:
    rows = [[_("No."), _("Unit"), _("Agree"), _("Share of the base"), _("Disagree"),
             _("Blank"), _("Valid"), _("Outcome")]]
    contests = zip(m.result.manifest["contests"], m.result.contests, strict=True)
    for i, (contest, counted) in enumerate(contests, start=1):
        share, status = _share_and_status(by_candidate.get(contest["id"]), m.result.kind)
        agree, disagree = counted.counts
        valid = m.result.bases["cast"] - counted.blank
        rows.append([i, counted.title, agree, share, disagree, counted.blank, valid, status])
    pdf.grid((10, 50, 15, 20, 18, 13, 15, 24),
             ("CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"), rows)


def _choose_table(pdf: MinutesPDF, m: Minutes, by_candidate: dict) -> None:
    rows = [[_("No."), _("Unit"), _("Votes"), _("Share of the base"), _("Outcome")]]
    options = m.result.manifest["contests"][0]["options"]
    counts = m.result.contests[0].counts
    for i, (option, count) in enumerate(zip(options, counts, strict=True), start=1):
        share, status = _share_and_status(by_candidate.get(option["id"]), m.result.kind)
        rows.append([i, option["title"], count, share, status])
    pdf.grid((10, 85, 20, 22, 28), ("CENTER", "LEFT", "RIGHT", "RIGHT", "LEFT"), rows)


def conclusion(pdf: MinutesPDF, m: Minutes, number: str) -> None:
    pdf.heading(number, _("Conclusion"))
    outcomes = m.result.all_outcomes
    elected = [o.candidate for o in outcomes if o.status == "elected"]
    tied = [o.candidate for o in outcomes if o.status == "runoff"]
    names = {"count": len(elected), "names": "; ".join(elected)}
    if m.result.kind == RoundKind.PER_UNIT:  # the words of vocabulary.status_label
        pdf.paragraph(_("Units that passed (%(count)s): %(names)s.", **names) if elected
                      else _("No unit passed."))
    else:
        pdf.paragraph(_("Units elected (%(count)s): %(names)s.", **names) if elected
                      else _("No unit is elected."))
    if tied:
        pdf.paragraph(_("Tied at the cut-off, a run-off round decides between: %(names)s.",
                        names="; ".join(tied)), "B")
        pdf.paragraph(_("Run-off round: %(title)s.", title=m.runoff_title)
                      if m.runoff_title else _("The run-off round is not created yet."))


def verification(pdf: MinutesPDF, m: Minutes, number: str) -> None:
    pdf.heading(number, _("Verification"))
    pdf.paragraph(_("Anyone can check this result against the public board with the "
                    "election record and the independent verifier."))
    # The hashes in monospace, grouped by 4 (PROTOCOL §13).
    rows = [(_("Trustees who decrypted"),
             ", ".join(m.trustees) or _("none (no ballot was cast)"), None),
            (_("Election fingerprint"), fingerprint_groups(m.fingerprint), HASH),
            (_("Board head hash"), fingerprint_groups(m.head), HASH),
            (_("Board events"), m.event_count, None),
            (_("Record-signing key"), fingerprint_groups(m.server_key), HASH),
            (_("Ballot client (SHA-256)"), fingerprint_groups(m.ballot_client or "—"), HASH)]
    pdf.grid((55, 110), "LEFT", [[(label, BOLD), (value, style)] for label, value, style in rows],
             headings=False)
    pdf.ln(1)
    _board_link(pdf, m.board_url)


def _board_link(pdf: MinutesPDF, url: str, size: float = 30) -> None:
    """The QR code of the round's page on the public board, the address beside it."""
    if pdf.will_page_break(size + 2):
        pdf.add_page()
    x, y = pdf.l_margin, pdf.get_y()
    pdf.qr(url, x, y, size)
    pdf.set_xy(x + size + 5, y + 4)
    pdf.text_block(_("Public board"), style="B", align="L")
    pdf.set_font(MONO, "", 9)
    pdf.multi_cell(pdf.epw - size - 5, 4.6, url, align="L", link=url, new_x="LEFT")
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), y + size) + 2)
    pdf.set_font(SERIF, "", BODY)
