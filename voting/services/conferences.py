"""Conferences: create and list them, import units and delegates from CSV,
build the sample conference.

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
from . import results
from . import rounds
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


def create_conference(session: Session, name: str) -> Conference:
    """:raises Invalid: an empty or over-long name."""
    name = clean(name or "")
    if not name or len(name) > NAME_MAX:
        raise Invalid(f"a conference name is 1 to {NAME_MAX} characters")
    conference = Conference(name=name, trustee_count=3, threshold=2)
    session.add(conference)
    session.commit()
    return conference


def list_conferences(session: Session) -> list[ConferenceRow]:
    """Every conference, newest first, with its numbers of units, delegates, rounds."""
    def counts(model) -> dict[int, int]:
        return dict(session.execute(select(model.conference_id, func.count())
                                    .group_by(model.conference_id)).all())

    units, delegates, sittings = counts(Unit), counts(Delegate), counts(Round)
    conferences = session.scalars(select(Conference).order_by(Conference.id.desc()))
    return [ConferenceRow(c, units.get(c.id, 0), delegates.get(c.id, 0), sittings.get(c.id, 0))
            for c in conferences]


def conference_rounds(session: Session, conference: Conference) -> list[Round]:
    return list(session.scalars(select(Round).where(Round.conference_id == conference.id)
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
    return _commit(session, len(rows))


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
    return _commit(session, len(rows))


def _raise_if(errors: list[RowError]) -> None:
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: (e.row or 0)))


def _commit(session: Session, count: int) -> int:
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
    reader = csv.reader(io.StringIO(text, newline=""),
                        delimiter=_dialect(text.lstrip().splitlines()[0]))
    try:
        records = [(reader.line_num, [clean(v) for v in values]) for values in reader
                   if any(v.strip() for v in values)]
    except csv.Error as exc:
        raise ImportFailed([RowError(reader.line_num, "bad_csv")]) from exc
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


# -- Sample conference ----------------------------------------------------------

#: Drawn from the seed news item: a provincial police department's 2018
#: year-end conference of its police (Cảnh sát) emulation cluster.
SAMPLE_NAME = "Hội nghị tổng kết Cụm thi đua khối Cảnh sát năm 2018"
SAMPLE_UNITS = (
    ("Phòng Cảnh sát hình sự", "Cụm trưởng"),
    ("Phòng Cảnh sát kinh tế", ""),
    ("Phòng Cảnh sát điều tra tội phạm về ma túy", ""),
    ("Phòng Cảnh sát phòng chống tội phạm về môi trường", ""),
    ("Phòng Cảnh sát giao thông", "Cụm phó"),
    ("Phòng Cảnh sát quản lý hành chính về trật tự xã hội", ""),
    ("Phòng Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ", ""),
    ("Phòng Cảnh sát cơ động", ""),
)
#: Three delegates per unit (in unit order), then the director's representative.
SAMPLE_DELEGATES = (
    "Nguyễn Văn Hùng", "Trần Minh Tuấn", "Lê Thị Hồng Nhung",
    "Phạm Quốc Khánh", "Hoàng Văn Thắng", "Đỗ Thị Thu Hà",
    "Vũ Đức Long", "Bùi Thanh Sơn", "Ngô Thị Lan Anh",
    "Đặng Văn Quyết", "Dương Minh Đức", "Phan Thị Mai",
    "Trịnh Xuân Trường", "Lưu Văn Bình", "Nguyễn Thị Thanh Hương",
    "Lê Văn Dũng", "Hà Quang Huy", "Tạ Thị Ngọc Ánh",
    "Đinh Công Thành", "Cao Văn Hải", "Mai Thị Phương",
    "Kiều Văn Nam", "Lý Minh Hoàng", "Vương Đình Tú",
)
SAMPLE_GUEST = ("Nguyễn Quang Vinh", "Ban Giám đốc Công an tỉnh")
#: (template, title, candidate unit positions or None for all)
SAMPLE_ROUNDS = (
    ("advanced", "Bình xét danh hiệu “Đơn vị tiên tiến” năm 2018", None),
    ("determined", "Bình xét danh hiệu “Đơn vị quyết thắng” năm 2018", (1, 2, 4, 5, 7)),
    ("flag", "Suy tôn đơn vị đề nghị Bộ Công an tặng Cờ thi đua năm 2018", (1, 2, 4, 5, 7)),
)


def create_sample_conference(session: Session) -> Conference:
    """A ready-to-try conference: 8 units, 25 delegates, three draft rounds."""
    conference = Conference(name=SAMPLE_NAME, trustee_count=3, threshold=2)
    for position, (name, note) in enumerate(SAMPLE_UNITS, start=1):
        conference.units.append(Unit(position=position, name=name, note=note))
    people = [(name, SAMPLE_UNITS[i // 3][0]) for i, name in enumerate(SAMPLE_DELEGATES)]
    for position, (name, organisation) in enumerate([*people, SAMPLE_GUEST], start=1):
        conference.delegates.append(Delegate(position=position, name=name,
                                             organisation=organisation))
    session.add(conference)
    session.flush()
    for template, title, positions in SAMPLE_ROUNDS:
        unit_ids = None if positions is None else [conference.units[p - 1].id
                                                   for p in positions]
        rounds.create_round(session, conference, template, title, unit_ids)
    return conference


def preselected_units(session: Session, conference: Conference,
                      from_round_id: int | None) -> list[int]:
    """A new round's default candidates: the units elected in the given
    published round of this conference, else every unit."""
    rnd = session.get(Round, from_round_id) if from_round_id else None
    if rnd is not None and rnd.conference_id == conference.id:
        return results.elected_unit_ids(session, rnd)
    return [u.id for u in conference.units]
