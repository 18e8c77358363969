"""Conferences: create and list them, import units and delegates from CSV,
set what the minutes print (organiser, place, counting committee), build
the sample conference.

CSV import is all or nothing: every row is checked first and the whole file
is refused, with one :class:`RowError` per faulty row, if any row fails.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Conference
from ..models import Delegate
from ..models import Round
from ..models import Unit
from ..models import User
from . import audit_trail
from . import memberships
from . import results
from . import runoffs
from .errors import Invalid
from .errors import NotFound

#: Column limits, as in the models.
NAME_MAX, NOTE_MAX, ORGANISATION_MAX = 300, 500, 300
#: A per-unit round has one contest per unit and a manifest at most 200 (PROTOCOL §5.1).
MAX_UNITS = 200
MAX_DELEGATES = 5000


@dataclass(frozen=True)
class RowError:
    """Why one row of an import was refused. ``row`` is the line number in
    the file (the header is row 1), None for the file as a whole."""

    row: int | None
    #: not_utf8, empty_file, bad_csv, bad_header, columns, empty_name,
    #: too_long, duplicate, exists, too_many, conflict (a concurrent change)
    code: str
    params: dict = field(default_factory=dict)


class ImportFailed(Invalid):
    """The file was refused; nothing was imported."""

    code = "import_failed"

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} row(s) refused; nothing was imported")
        self.errors = errors


@dataclass(frozen=True)
class ConferenceRow:
    conference: Conference
    units: int
    delegates: int
    rounds: int


def get_conference(session: Session, conference_id: int) -> Conference:
    conference = session.get(Conference, conference_id)
    if conference is None:
        raise NotFound("no such conference")
    return conference


def create_conference(session: Session, name: str, owner: User | None = None) -> Conference:
    """A new conference; ``owner`` (the account creating it) becomes its chair.

    :raises Invalid: an empty or over-long name.
    """
    name = clean(name or "")
    if not name or len(name) > NAME_MAX:
        raise Invalid(f"a conference name is 1 to {NAME_MAX} characters")
    conference = Conference(name=name, trustee_count=3, threshold=2)
    add_created(session, conference, owner)
    session.commit()
    return conference


def add_created(session: Session, conference: Conference, owner: User | None,
                **detail) -> None:
    """Add a new conference (no commit: part of its creation's transaction),
    its reserve rounds (``runoffs``), its owner's membership and its audit
    row."""
    session.add(conference)
    session.flush()
    runoffs.make_reserves(session, conference.id)
    if owner is not None:
        memberships.make_owner(session, conference, owner)
    audit_trail.record(session, "conference.create", conference_id=conference.id,
                       target=f"conference {conference.id}",
                       detail={"name": conference.name, **detail})


def list_conferences(session: Session, visible: set[int] | None = None) -> list[ConferenceRow]:
    """Every conference (or those whose ids are ``visible``), newest first,
    with its numbers of units, delegates, rounds."""
    def counts(model, *where) -> dict[int, int]:
        return dict(session.execute(select(model.conference_id, func.count()).where(*where)
                                    .group_by(model.conference_id)).all())

    units, delegates = counts(Unit), counts(Delegate)
    sittings = counts(Round, Round.is_reserve.is_(False))
    query = select(Conference).order_by(Conference.id.desc())
    if visible is not None:
        query = query.where(Conference.id.in_(visible))
    conferences = session.scalars(query)
    return [ConferenceRow(c, units.get(c.id, 0), delegates.get(c.id, 0), sittings.get(c.id, 0))
            for c in conferences]


def conference_rounds(session: Session, conference: Conference) -> list[Round]:
    return list(session.scalars(select(Round).where(Round.conference_id == conference.id,
                                                    Round.is_reserve.is_(False))
                                .order_by(Round.position)))


def clean(text: str) -> str:
    """NFC (spreadsheets on some systems write decomposed Vietnamese), with
    control characters dropped and runs of whitespace collapsed to one space."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def _key(text: str) -> str:
    return text.casefold()


# -- CSV import -----------------------------------------------------------------

UNIT_HEADERS = ({"name", "tên", "tên đơn vị", "đơn vị"}, {"note", "ghi chú"})
DELEGATE_HEADERS = ({"name", "tên", "họ tên", "họ và tên"},
                    {"organisation", "organization", "đơn vị", "cơ quan", "đơn vị công tác"})


def import_units(session: Session, conference: Conference, data: bytes | str) -> int:
    """Append the units of a CSV file (header ``name[,note]``); returns how many.

    :raises ImportFailed: with every row's error; nothing is imported.
    """
    rows, errors = _checked_rows(data, UNIT_HEADERS, (NAME_MAX, NOTE_MAX), ("name", "note"))
    existing = {_key(u.name) for u in conference.units}
    errors += _duplicates(rows, lambda values: _key(values[0]), existing)
    if len(conference.units) + len(rows) > MAX_UNITS and not errors:
        errors.append(RowError(None, "too_many", {"limit": MAX_UNITS}))
    _raise_if(errors)
    start = len(conference.units)
    for offset, (_, values) in enumerate(rows, start=1):
        conference.units.append(Unit(position=start + offset, name=values[0],
                                     note=values[1] if len(values) > 1 else ""))
    return _commit(session, conference, "import.units", len(rows))


def import_delegates(session: Session, conference: Conference, data: bytes | str) -> int:
    """Append the delegates of a CSV file (header ``name[,organisation]``).

    Two rows with the same name and organisation are refused as duplicates;
    namesakes from different organisations are fine.

    :raises ImportFailed: with every row's error; nothing is imported.
    """
    rows, errors = _checked_rows(data, DELEGATE_HEADERS, (NAME_MAX, ORGANISATION_MAX),
                                 ("name", "organisation"))

    def identity(values):
        return _key(values[0]), _key(values[1] if len(values) > 1 else "")

    existing = {(_key(d.name), _key(d.organisation)) for d in conference.delegates}
    errors += _duplicates(rows, identity, existing)
    if len(conference.delegates) + len(rows) > MAX_DELEGATES and not errors:
        errors.append(RowError(None, "too_many", {"limit": MAX_DELEGATES}))
    _raise_if(errors)
    start = len(conference.delegates)
    for offset, (_, values) in enumerate(rows, start=1):
        conference.delegates.append(Delegate(
            position=start + offset, name=values[0],
            organisation=values[1] if len(values) > 1 else ""))
    return _commit(session, conference, "import.delegates", len(rows))


def _raise_if(errors: list[RowError]) -> None:
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: (e.row or 0)))


def _commit(session: Session, conference: Conference, action: str, count: int) -> int:
    audit_trail.record(session, action, conference_id=conference.id,
                       target=f"conference {conference.id}", detail={"count": count})
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ImportFailed([RowError(None, "conflict")]) from exc
    return count


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed([RowError(None, "not_utf8")]) from exc


def _dialect(first_line: str) -> str:
    """Tab for text pasted from a spreadsheet, semicolon for locales that
    use it in CSV, else comma."""
    if "\t" in first_line:
        return "\t"
    if ";" in first_line and "," not in first_line:
        return ";"
    return ","


def _checked_rows(data: bytes | str, headers: tuple[set, set], limits: tuple[int, int],
                  fields: tuple[str, str]) -> tuple[list, list[RowError]]:
    """Parse and check every data row: the good rows as (row number, cleaned
    values), and the bad rows' errors.

    :raises ImportFailed: an error of the file as a whole.
    """
    text = _decode(data)
    if not text.strip():
        raise ImportFailed([RowError(None, "empty_file")])
    records = _records(csv.reader(io.StringIO(text, newline=""), strict=True,
                                  delimiter=_dialect(text.lstrip().splitlines()[0])))
    if not records:
        raise ImportFailed([RowError(None, "empty_file")])
    (header_row, header), body = records[0], records[1:]
    width = len(header)
    if not 1 <= width <= 2 or any(_key(h) not in allowed
                                  for h, allowed in zip(header, headers, strict=False)):
        raise ImportFailed([RowError(header_row, "bad_header", {"expected": ",".join(fields)})])
    if not body:
        raise ImportFailed([RowError(None, "empty_file")])
    errors, rows = [], []
    for row, values in body:
        error = _row_error(row, values, width, limits, fields)
        if error:
            errors.append(error)
        else:
            rows.append((row, values))
    return rows, errors


def _records(reader) -> list[tuple[int, list[str]]]:
    """The non-empty records, each with the line it starts on.

    A quoted field may span lines in CSV, but no name or note holds a line
    break: such a field is a quotation mark never closed, which would
    silently merge the following rows into one.

    :raises ImportFailed: ``unbalanced_quote`` or ``bad_csv``, with the line.
    """
    records, start = [], 1
    try:
        for values in reader:
            if any("\n" in v or "\r" in v for v in values):
                raise ImportFailed([RowError(start, "unbalanced_quote")])
            if any(v.strip() for v in values):
                records.append((start, [clean(v) for v in values]))
            start = reader.line_num + 1
    except csv.Error as exc:
        code = "unbalanced_quote" if "end of data" in str(exc) else "bad_csv"
        raise ImportFailed([RowError(start, code)]) from exc
    return records


def _row_error(row: int, values: list[str], width: int, limits, fields) -> RowError | None:
    if len(values) != width:
        return RowError(row, "columns", {"expected": width, "found": len(values)})
    if not values[0]:
        return RowError(row, "empty_name")
    for value, limit, name in zip(values, limits, fields, strict=False):
        if len(value) > limit:
            return RowError(row, "too_long", {"field": name, "limit": limit})
    return None


def _duplicates(rows, key, existing: set) -> list[RowError]:
    seen: dict = {}
    errors = []
    for row, values in rows:
        k = key(values)
        if k in existing:
            errors.append(RowError(row, "exists"))
        elif k in seen:
            errors.append(RowError(row, "duplicate", {"other": seen[k]}))
        else:
            seen[k] = row
    return errors


def preselected_units(session: Session, conference: Conference,
                      from_round_id: int | None) -> list[int]:
    """A new round's default candidates: the units elected in the given
    published round of this conference, and in its published run-off (which
    decided its tie), else every unit."""
    rnd = session.get(Round, from_round_id) if from_round_id else None
    if rnd is not None and rnd.conference_id == conference.id:
        elected = set(results.elected_unit_ids(session, rnd))
        runoff = runoffs.runoff_of(session, rnd)
        if runoff is not None:
            elected |= set(results.elected_unit_ids(session, runoff))
        return [u.id for u in rnd.units if u.id in elected]
    return [u.id for u in conference.units]
