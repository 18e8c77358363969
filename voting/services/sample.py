"""The sample conference a new user tries the app with (*Create the sample
conference*): 8 units, 25 delegates and the three award rounds as drafts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Conference
from ..models import Delegate
from ..models import Unit
from ..models import User
from . import conferences
from . import rounds

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


def create_sample_conference(session: Session, owner: User | None = None) -> Conference:
    """A ready-to-try conference: 8 units, 25 delegates, three draft rounds;
    ``owner`` becomes its chair. One transaction, one audit row."""
    conference = Conference(name=SAMPLE_NAME, trustee_count=3, threshold=2)
    for position, (name, note) in enumerate(SAMPLE_UNITS, start=1):
        conference.units.append(Unit(position=position, name=name, note=note))
    people = [(name, SAMPLE_UNITS[i // 3][0]) for i, name in enumerate(SAMPLE_DELEGATES)]
    for position, (name, organisation) in enumerate([*people, SAMPLE_GUEST], start=1):
        conference.delegates.append(Delegate(position=position, name=name,
                                             organisation=organisation))
    conferences.add_created(session, conference, owner, sample=True, rounds=len(SAMPLE_ROUNDS))
    for template, title, positions in SAMPLE_ROUNDS:
        unit_ids = None if positions is None else [conference.units[p - 1].id
                                                   for p in positions]
        rounds.add_round(session, conference, template, title, unit_ids)
    session.commit()
    return conference
