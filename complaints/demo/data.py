"""The demo data set: the 3 April 2011 extraordinary presidential election in Kazakhstan.

Bulky, mostly textual data lives beside this module as files (``territory.csv`` in the
polling-station import format, ``categories.json``, ``complaints.json``); this module
loads them into typed structures and holds the small bits (election, users, workflow routes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from complaints.models import ElectionKind

DATA_DIR = Path(__file__).resolve().parent
TERRITORY_CSV = DATA_DIR / "territory.csv"
LOCAL_TZ = ZoneInfo("Asia/Almaty")

ELECTION: dict[str, Any] = {
    "slug": "kz-2011-presidential",
    "kind": ElectionKind.PRESIDENTIAL,
    "voting_day": date(2011, 4, 3),
    "country": "KZ",
    "name_ru": "Внеочередные выборы Президента Республики Казахстан 3 апреля 2011 года",
    "name_kk": "Қазақстан Республикасы Президентінің 2011 жылғы 3 сәуірдегі кезектен тыс сайлауы",
    "name_en": "Extraordinary presidential election in Kazakhstan, 3 April 2011",
}

COUNTRY: dict[str, str] = {
    "code": "kz",
    "name_ru": "Республика Казахстан",
    "name_kk": "Қазақстан Республикасы",
    "name_en": "Republic of Kazakhstan",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    units: tuple[str, ...] = ()
    nationwide: bool = False  # staff with no units see nothing unless nationwide
    superuser: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@example.org"


USERS: tuple[DemoUser, ...] = (
    DemoUser("observer", "observer", "Асель", "Нурланова"),
    DemoUser("reviewer", "reviewer", "Дмитрий", "Ковалёв", units=("pav",)),
    DemoUser("reviewer_almaty", "reviewer", "Айгерим", "Сейткали", units=("ala",)),
    DemoUser("coordinator", "coordinator", "Марат", "Ахметов", nationwide=True),
    DemoUser("admin", "admin", "Администратор", "Реестра", superuser=True),
)

# Who handles complaints from a region in the demo (others go to the coordinator).
HANDLERS: dict[str, str] = {"pav": "reviewer", "ala": "reviewer_almaty"}

_REVIEW = ("triage", "assign", "start_review")
# A route is the sequence of workflow actions that brings a demo complaint to its status.
ROUTES: dict[str, tuple[str, ...]] = {
    "submitted": (),
    "triaged": ("triage",),
    "under_review": _REVIEW,
    "needs_info": (*_REVIEW, "request_info"),
    "info_provided": (*_REVIEW, "request_info", "provide_info"),
    "substantiated": (*_REVIEW, "substantiate"),
    "unsubstantiated": (*_REVIEW, "unsubstantiate"),
    "escalated": (*_REVIEW, "substantiate", "escalate"),
    "resolved": (*_REVIEW, "substantiate", "escalate", "resolve"),
    "closed": (*_REVIEW, "substantiate", "close"),
    "closed_unsubstantiated": (*_REVIEW, "unsubstantiate", "close"),
    "rejected": ("reject",),
    "duplicate": ("triage", "mark_duplicate"),
    "withdrawn": ("withdraw",),
}
# Actions fired by the coordinator or by the complainant; the rest by the region's handler.
COORDINATOR_ACTIONS = frozenset({"assign", "escalate", "resolve", "close"})
COMPLAINANT_ACTIONS = frozenset({"provide_info", "withdraw"})

DEFAULT_COMMENTS: dict[str, str] = {
    "request_info": "Уточните, пожалуйста, подробности и приложите фото или видео, если они есть.",
    "provide_info": "Дополнительные сведения направлены.",
    "substantiate": "Факты подтверждены показаниями свидетелей и приложенными материалами.",
    "unsubstantiate": "В ходе проверки факты не подтвердились.",
    "reject": "Обращение не относится к нарушениям избирательного законодательства.",
    "resolve": "Уполномоченный орган сообщил о принятых мерах.",
}
DEFAULT_AUTHORITY = "Центральная избирательная комиссия Республики Казахстан"


@dataclass(frozen=True)
class DemoCategory:
    code: str
    parent: str | None
    default_severity: int
    name: dict[str, str]
    help: dict[str, str]
    legal_reference: str


@dataclass(frozen=True)
class DemoComplaint:
    key: str
    category: str
    occurred_at: datetime
    description: str
    route: str
    reporter: str | dict[str, str]
    station: tuple[str, str] | None = None
    unit: str | None = None
    place: str = ""
    comments: dict[str, str] = field(default_factory=dict)
    duplicate_of: str | None = None
    authority: str = ""
    authority_reference: str = ""
    note: str = ""

    @property
    def region(self) -> str:
        code = self.station[0] if self.station else self.unit or ""
        return code.split("-", 1)[0]

    def comment(self, action: str) -> str:
        return self.comments.get(action, DEFAULT_COMMENTS.get(action, ""))


def _read_json(name: str) -> list[dict[str, Any]]:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        data: list[dict[str, Any]] = json.load(fh)
    return data


@cache
def categories() -> tuple[DemoCategory, ...]:
    return tuple(DemoCategory(**item) for item in _read_json("categories.json"))


@cache
def complaints() -> tuple[DemoComplaint, ...]:
    items = []
    for item in _read_json("complaints.json"):
        station: tuple[str, str] | None = None
        if "station" in item:
            unit, number = item.pop("station").split("/", 1)
            station = (unit, number)
        # Local wall-clock time at the polling station (Almaty time, UTC+6 in 2011).
        occurred_at = datetime.fromisoformat(item.pop("occurred_at")).replace(tzinfo=LOCAL_TZ)
        items.append(DemoComplaint(**item, occurred_at=occurred_at, station=station))
    return tuple(items)
