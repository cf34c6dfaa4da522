"""``manage.py generate_complaints --count N``: a large, realistic data set for benchmarks.

Complaints spread over the regions, categories and statuses of an election day, each
with its reporter and an audit trail that walked the workflow to its status (valid hash
chains: ``verify_audit`` passes). Rows are written in batches, with COPY on PostgreSQL
(made by a pool of processes, loaded in one transaction; see ``write_postgresql``) and
bulk_create elsewhere; services are bypassed on purpose (one million service calls
would take hours), so the rows mimic exactly what the services write.

Uses the reference data of ``seed_demo`` when present, else creates a minimal territory,
taxonomy and election of its own.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.db.models import Field, Max, Model
from django.utils import timezone

from complaints import audit, crypto
from complaints.access import GROUP_COORDINATOR, GROUP_OBSERVER, GROUP_REVIEWER
from complaints.models import (
    AuditEvent,
    Category,
    Channel,
    Complaint,
    Election,
    ElectionKind,
    ElectionStatus,
    Note,
    NoteVisibility,
    PollingStation,
    Profile,
    Reporter,
    Status,
    TerritorialUnit,
    UnitLevel,
)
from complaints.models.complaint import RECEIPT_ALPHABET
from complaints.models.fields import EncryptedTextField
from complaints.services.search import PG_DOCUMENT_SQL, search_index_refresh

S = Status
# How an election-day backlog looks: many new, fewer decided. (status, weight)
STATUS_MIX = [
    (S.SUBMITTED, 25),
    (S.TRIAGED, 14),
    (S.UNDER_REVIEW, 15),
    (S.NEEDS_INFO, 5),
    (S.SUBSTANTIATED, 8),
    (S.UNSUBSTANTIATED, 7),
    (S.DUPLICATE, 4),
    (S.ESCALATED, 4),
    (S.RESOLVED, 3),
    (S.CLOSED, 9),
    (S.REJECTED, 5),
    (S.WITHDRAWN, 1),
]
REVIEW = ["triage", "start_review"]
# The workflow actions that lead from "submitted" to each status.
PATHS: dict[str, list[str]] = {
    S.SUBMITTED: [],
    S.TRIAGED: ["triage"],
    S.UNDER_REVIEW: REVIEW,
    S.NEEDS_INFO: [*REVIEW, "request_info"],
    S.SUBSTANTIATED: [*REVIEW, "substantiate"],
    S.UNSUBSTANTIATED: [*REVIEW, "unsubstantiate"],
    S.DUPLICATE: ["mark_duplicate"],
    S.ESCALATED: [*REVIEW, "substantiate", "escalate"],
    S.RESOLVED: [*REVIEW, "substantiate", "escalate", "resolve"],
    S.CLOSED: [*REVIEW, "unsubstantiate", "close"],
    S.REJECTED: ["reject"],
    S.WITHDRAWN: ["withdraw"],
}
TARGET = {
    "triage": S.TRIAGED,
    "start_review": S.UNDER_REVIEW,
    "request_info": S.NEEDS_INFO,
    "substantiate": S.SUBSTANTIATED,
    "unsubstantiate": S.UNSUBSTANTIATED,
    "mark_duplicate": S.DUPLICATE,
    "escalate": S.ESCALATED,
    "resolve": S.RESOLVED,
    "close": S.CLOSED,
    "reject": S.REJECTED,
    "withdraw": S.WITHDRAWN,
}
COMMENTS = {
    "request_info": "Уточните номер участка и время, пожалуйста.",
    "unsubstantiate": "Нет подтверждений нарушения.",
    "reject": "Не относится к выборам.",
    "resolve": "Комиссия приняла меры.",
}
DESCRIPTIONS = [
    "Директор предприятия требует от сотрудников сфотографировать бюллетень.",
    "Наблюдателя не допустили к подсчёту голосов, председатель УИК попросил выйти.",
    "У входа раздают продуктовые наборы и просят голосовать за кандидата.",
    "В списке избирателей значатся умершие и выбывшие жители.",
    "Один и тот же человек голосовал несколько раз по открепительным.",
    "Копию протокола наблюдателям не выдали.",
    "Студентов организованно привезли на автобусах и проинструктировали.",
    "Журналиста не пустили на участок, сославшись на указание акимата.",
]
BATCH = 10_000
WORKERS = os.cpu_count() or 1  # processes that make the rows (PostgreSQL)
SPAN = timedelta(days=3)  # complaints arrive over the three days up to now


@dataclass
class Reference:
    election_ids: list[int]
    categories: list[tuple[int, str, int]]  # id, code, default severity
    stations: list[tuple[int, int, str]]  # id, unit id, unit path
    reviewers_by_region: dict[str, list[int]]
    reporters: list[int]
    start: datetime  # complaints arrive between start and start + SPAN
    first: int = 1  # the first id of this run: a duplicate's code is known from here on
    salt: str = ""  # receipt codes are derived from it and the id (``code_of``), in any worker


@dataclass
class Batch:
    complaints: list[dict[str, Any]] = field(default_factory=list)
    reporters: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)


# --- reference data -------------------------------------------------------------


def _ensure_territory() -> None:
    if PollingStation.objects.exists():
        return
    kz, _ = TerritorialUnit.objects.get_or_create(
        code="kz", defaults={"level": UnitLevel.COUNTRY, "name_ru": "Казахстан", "name_en": "Kazakhstan"}
    )
    for r in range(1, 15):
        region = TerritorialUnit.objects.create(
            parent=kz, code=f"gen-r{r}", level=UnitLevel.REGION, name_ru=f"Область {r}", name_en=f"Region {r}"
        )
        for d in range(1, 4):
            district = TerritorialUnit.objects.create(
                parent=region, code=f"gen-r{r}-d{d}", level=UnitLevel.DISTRICT, name_ru=f"Район {r}.{d}"
            )
            PollingStation.objects.bulk_create(
                PollingStation(unit=district, number=str(r * 1000 + d * 100 + n), address=f"ул. Абая, {n}, школа №{n}")
                for n in range(1, 11)
            )


def _ensure_taxonomy_and_election() -> None:
    if not Category.objects.filter(is_active=True).exists():
        for code, severity in [
            ("pressure.employer", 3),
            ("speech.media_access", 2),
            ("ballot.stuffing", 4),
            ("observer.obstruction", 3),
            ("vote_buying", 3),
            ("admin_resource", 2),
            ("count.falsification", 4),
            ("voter_list", 2),
        ]:
            Category.objects.get_or_create(
                code=code, defaults={"name_ru": code, "name_kk": code, "name_en": code, "default_severity": severity}
            )
    if not Election.objects.exclude(status=ElectionStatus.ARCHIVED).exists():
        Election.objects.get_or_create(
            slug="kz-2011-presidential",
            defaults={
                "name_ru": "Внеочередные выборы Президента Республики Казахстан",
                "name_en": "Extraordinary presidential election",
                "kind": ElectionKind.PRESIDENTIAL,
                "voting_day": datetime(2011, 4, 3, tzinfo=UTC).date(),
                "status": ElectionStatus.ACTIVE,
            },
        )


def _ensure_users(regions: list[TerritorialUnit], reporters: int) -> tuple[dict[str, list[int]], list[int]]:
    """Two reviewers per region, one coordinator, and a pool of observers who file."""
    User = get_user_model()
    password = make_password(None)  # unusable: these accounts only own generated rows
    groups = {g.name: g for g in Group.objects.filter(name__in=[GROUP_OBSERVER, GROUP_REVIEWER, GROUP_COORDINATOR])}
    wanted: list[tuple[str, str, TerritorialUnit | None]]
    wanted = [(f"gen-reviewer-{u.code}-{i}", GROUP_REVIEWER, u) for u in regions for i in (1, 2)]
    wanted += [("gen-coordinator", GROUP_COORDINATOR, None)]
    wanted += [(f"gen-observer-{i}", GROUP_OBSERVER, None) for i in range(reporters)]
    existing = set(User.objects.filter(username__startswith="gen-").values_list("username", flat=True))
    missing = [w for w in wanted if w[0] not in existing]
    User.objects.bulk_create([User(username=name, password=password) for name, _, _ in missing], batch_size=1000)
    ids = dict(User.objects.filter(username__startswith="gen-").values_list("username", "id"))
    Through = User.groups.through
    Through.objects.bulk_create([Through(user_id=ids[n], group_id=groups[g].pk) for n, g, _ in missing])
    profiles = Profile.objects.bulk_create([Profile(user_id=ids[n], language="ru") for n, _, _ in missing])
    units = Profile.units.through
    by_user = {p.user_id: p.pk for p in profiles}
    units.objects.bulk_create(
        [units(profile_id=by_user[ids[n]], territorialunit_id=u.pk) for n, _, u in missing if u is not None]
    )
    reviewers: dict[str, list[int]] = {}
    for name, group, unit in wanted:
        if group == GROUP_REVIEWER and unit is not None:
            reviewers.setdefault(unit.path, []).append(ids[name])
    return reviewers, [ids[n] for n, g, _ in wanted if g == GROUP_OBSERVER]


def load_reference(reporters: int) -> Reference:
    _ensure_territory()
    _ensure_taxonomy_and_election()
    regions = list(TerritorialUnit.objects.filter(level=UnitLevel.REGION))
    reviewers, observer_ids = _ensure_users(regions, reporters)
    elections = list(Election.objects.order_by("-voting_day"))
    return Reference(
        election_ids=[e.pk for e in elections if e.status != ElectionStatus.ARCHIVED] or [elections[0].pk],
        categories=list(Category.objects.filter(is_active=True).values_list("id", "code", "default_severity")),
        stations=list(PollingStation.objects.values_list("id", "unit_id", "unit__path")),
        reviewers_by_region=reviewers,
        reporters=observer_ids,
        start=timezone.now().astimezone(UTC).replace(microsecond=0) - SPAN,
    )


# --- one complaint and its history ------------------------------------------------


def _receipt_code(rng: random.Random) -> str:
    raw = "".join(rng.choices(RECEIPT_ALPHABET, k=12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def code_of(ref: Reference, pk: int) -> str:
    """The receipt code of complaint ``pk`` of this run: derived, so a batch made in another process
    can name the code of a duplicate's original without sharing state."""
    return _receipt_code(random.Random(f"{ref.salt}:{pk}"))


def _reviewer(ref: Reference, unit_path: str, rng: random.Random) -> int | None:
    for path, ids in ref.reviewers_by_region.items():
        if unit_path.startswith(path):
            return rng.choice(ids)
    return None


def _event(complaint_id: int, seq: int, action: str, at: datetime, **kw: Any) -> dict[str, Any]:
    return {
        "complaint_id": complaint_id,
        "seq": seq,
        "action": action,
        "actor_id": kw.get("actor_id"),
        "actor_label": kw.get("actor_label", ""),
        "from_status": kw.get("from_status", ""),
        "to_status": kw.get("to_status", ""),
        "payload": json.loads(audit.canonical_json(kw.get("payload", {}))),
        "created_at": at,
    }


def _chain(events: list[dict[str, Any]]) -> None:
    """Fill prev_hash/hash exactly as ``audit.audit_append`` does."""
    prev = audit.GENESIS
    for e in events:
        e["prev_hash"] = prev
        e["hash"] = prev = audit.compute_hash(prev, SimpleNamespace(**e))  # type: ignore[arg-type]


def make_complaint(ref: Reference, pk: int, rng: random.Random, out: Batch, now: datetime) -> None:
    status = rng.choices([s for s, _ in STATUS_MIX], weights=[w for _, w in STATUS_MIX])[0]
    if status == S.DUPLICATE and pk <= 1:
        status = S.SUBMITTED
    category_id, category_code, default_severity = rng.choice(ref.categories)
    station_id, unit_id, unit_path = rng.choice(ref.stations)
    severity = max(1, min(4, default_severity + rng.choice([-1, 0, 0, 0, 1])))
    created = ref.start + timedelta(seconds=rng.randrange(0, int(SPAN.total_seconds())))
    due = created + timedelta(minutes=settings.SLA_MINUTES[severity])
    reporter = rng.choice(ref.reporters)
    anonymous = rng.random() < 0.2
    reviewer = _reviewer(ref, unit_path, rng)
    label = "anonymous" if anonymous else f"gen-observer-{reporter}"
    payload = {"channel": "api", "severity": severity, "category": category_code, "due_at": due.isoformat()}
    events = [_event(pk, 1, "file", created, actor_id=None if anonymous else reporter, actor_label=label,
                     to_status=S.SUBMITTED, payload=payload)]  # fmt: skip
    at, current, paused, duplicate_of, assigned = created, S.SUBMITTED, None, None, None
    for action in PATHS[status]:
        at = min(now, at + timedelta(minutes=rng.randrange(3, 240)))
        actor = None if action == "withdraw" or reviewer is None else reviewer
        event_payload: dict[str, Any] = {"comment": COMMENTS[action]} if action in COMMENTS else {}
        if action == "mark_duplicate":
            duplicate_of = rng.randrange(max(1, pk - 50_000), pk)
            known = duplicate_of >= ref.first
            event_payload["duplicate_of"] = code_of(ref, duplicate_of) if known else f"#{duplicate_of}"
        if action == "escalate":
            event_payload.update(authority="ТИК", authority_reference=f"№ {rng.randrange(1, 9999)}")
        if action == "start_review":
            assigned = at
        if action == "request_info":
            paused = at
            out.notes.append(_note(pk, reviewer, COMMENTS[action], at))
        events.append(_event(pk, len(events) + 1, action, at, actor_id=actor,
                             actor_label="complainant" if actor is None else f"reviewer-{actor}",
                             from_status=current, to_status=TARGET[action], payload=event_payload))  # fmt: skip
        current = TARGET[action]
    _chain(events)
    out.events.extend(events)
    breached = due if current in (S.SUBMITTED, S.TRIAGED, S.UNDER_REVIEW) and due < now else None
    code = code_of(ref, pk)
    out.complaints.append(
        {
            "id": pk,
            "code": code,
            "election_id": rng.choice(ref.election_ids),
            "category_id": category_id,
            "polling_station_id": station_id,
            "unit_id": unit_id,
            "unit_path": unit_path,
            "place_text": "",
            "occurred_at": created - timedelta(minutes=rng.randrange(5, 180)),
            "description": rng.choice(DESCRIPTIONS),
            "severity": severity,
            "priority": 1 if breached else 0,
            "status": current,
            "assignee_id": reviewer if assigned else None,
            "assigned_at": assigned,
            "due_at": due,
            "sla_paused_at": paused,
            "sla_breached_at": breached,
            "duplicate_of_id": duplicate_of,
            "channel": rng.choice([Channel.API, Channel.WEB, Channel.WEB]),
            "version": len(events),
            "created_at": created,
            "updated_at": at,
        }
    )
    out.reporters.append(
        {
            "complaint_id": pk,
            "user_id": None if anonymous else reporter,
            "is_anonymous": anonymous,
            "full_name": "" if anonymous else f"Наблюдатель {reporter}",
            "email": "",
            "email_hash": "",  # of the empty email; COPY bypasses the field's pre_save
            "phone": "",
            "language": "ru",
            "secret_hash": "0" * 64,  # no secret can match: generated complaints have no follow-up
        }
    )


def _note(pk: int, author: int | None, body: str, at: datetime) -> dict[str, Any]:
    return {
        "complaint_id": pk,
        "author_id": author,
        "from_complainant": False,
        "visibility": NoteVisibility.COMPLAINANT,
        "body": body,
        "created_at": at,
    }


# --- writing ------------------------------------------------------------------------


def make_batch(ref: Reference, start: int, stop: int, now: datetime, seed: int | None) -> Batch:
    """Complaints ``start`` to ``stop - 1``; with a seed the same rows whichever process makes them."""
    rng = random.Random(f"{seed}:{start}") if seed is not None else random.Random()
    batch = Batch()
    for pk in range(start, stop):
        make_complaint(ref, pk, rng, batch, now)
    return batch


def _columns(model: type[Model], row: dict[str, Any]) -> list[str]:
    fields = [model._meta.get_field(name.removesuffix("_id") if name != "id" else name) for name in row]
    return [str(f.column) for f in fields if isinstance(f, Field)]


@lru_cache(maxsize=4096)
def _encrypted(value: str) -> str:
    """One token per distinct plaintext: the generated reporters share a few hundred names, and a new
    Fernet token per row was a fifth of the generation's time (every token decrypts the same)."""
    return crypto.encrypt(value)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_value(value: Any) -> str:
    """One value in COPY's text format (the common cases first: this runs for every field of every row)."""
    kind = type(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value
    if kind is int:
        return str(value)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime:
        return value.isoformat()
    return _copy_value(json.dumps(value) if kind is dict else str(value))


def render(model: type[Model], rows: list[dict[str, Any]]) -> tuple[list[str], bytes]:
    """The columns and COPY text of these rows; reporter identity encrypted, as the ORM would."""
    encrypted = {name for name in rows[0] if isinstance(model._meta.get_field(name), EncryptedTextField)}
    lines = ["\t".join(_copy_value(_encrypted(v) if k in encrypted else v) for k, v in row.items()) for row in rows]
    return _columns(model, rows[0]), ("\n".join(lines) + "\n").encode()


# Set in each worker process by the pool's initializer: what every batch needs.
_job: tuple[Reference, datetime, int | None] | None = None


def _start_worker(ref: Reference, now: datetime, seed: int | None) -> None:
    global _job
    _job = (ref, now, seed)


def _render_batch(bounds: tuple[int, int]) -> tuple[int, list[tuple[str, list[str], bytes]]]:
    """In a worker: one batch made and rendered as COPY text per table (notes first: the documents read them)."""
    assert _job is not None
    ref, now, seed = _job
    batch = make_batch(ref, *bounds, now, seed)
    plan: list[tuple[type[Model], list[dict[str, Any]]]] = [
        (Note, batch.notes),
        (Reporter, batch.reporters),
        (AuditEvent, batch.events),
        (Complaint, batch.complaints),
    ]
    return len(batch.complaints), [(m._meta.db_table, *render(m, rows)) for m, rows in plan if rows]


# PostgreSQL: each batch's complaints go to this temporary table first, get their search documents
# there (the statement search_index_refresh runs, pointed at it), then move in one INSERT: every row
# written once, with its document, instead of COPY and then an UPDATE of each row.
STAGING = "generated_complaint"


def _staged_document_sql() -> str:
    table = Complaint._meta.db_table
    sql = PG_DOCUMENT_SQL.format(where="TRUE", where_note=f"n.complaint_id IN (SELECT id FROM {STAGING})")  # noqa: S608
    for old, new in ((f"FROM {table} c", f"FROM {STAGING} c"), (f"UPDATE {table} t", f"UPDATE {STAGING} t")):
        assert sql.count(old) == 1, f"PG_DOCUMENT_SQL changed shape: {old!r}"
        sql = sql.replace(old, new)
    return sql


def _bulk_load_mode(cursor: Any, *, drop_indexes: bool) -> list[str]:
    """For the rest of the transaction: no foreign key checks or triggers when allowed (the rows are
    consistent, as the services write them), and with ``drop_indexes`` no secondary indexes of the four
    tables (built once at the end, far cheaper than a million inserts each): returns their definitions."""
    cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    if cursor.fetchone()[0]:
        cursor.execute("SET LOCAL session_replication_role = replica")
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    cursor.execute("SET LOCAL work_mem = '64MB'")  # the documents' sorts, in memory
    if not drop_indexes:
        return []
    tables = [m._meta.db_table for m in (Complaint, Reporter, AuditEvent, Note)]
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique",
        [tables],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in indexes]


def write_postgresql(ref: Reference, first: int, count: int, now: datetime, seed: int | None, progress: Any) -> None:
    """All batches in one transaction (a failure leaves nothing behind, indexes included), made by a pool
    of processes while this one only sends their COPY text: the Python work runs beside the database's."""
    bounds = [(start, min(start + BATCH, first + count)) for start in range(first, first + count, BATCH)]
    table = Complaint._meta.db_table
    drop_indexes = count >= Complaint.objects.count()  # rebuilding pays when the table at least doubles
    connection.close()  # the workers are forked: none may share this process's connection
    context = multiprocessing.get_context("fork")
    pool = context.Pool(WORKERS, initializer=_start_worker, initargs=(ref, now, seed))
    with pool, transaction.atomic(), connection.cursor() as cursor:
        indexes = _bulk_load_mode(cursor, drop_indexes=drop_indexes)
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGING} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
        document, columns = _staged_document_sql(), ""
        for made, parts in pool.imap(_render_batch, bounds):
            for name, names, data in parts:
                target = STAGING if name == table else name
                with cursor.cursor.copy(f"COPY {target} ({', '.join(names)}) FROM STDIN") as copy:
                    copy.write(data)
                if name == table:
                    columns = ", ".join(names)
            cursor.execute(document)
            move = f"INSERT INTO {table} ({columns}, search_vector) SELECT {columns}, search_vector FROM {STAGING}"  # noqa: S608
            cursor.execute(move)
            cursor.execute(f"TRUNCATE {STAGING}")
            progress(made)
        for definition in indexes:
            cursor.execute(definition)


@contextmanager
def _explicit_timestamps(*models: type[Model]) -> Iterator[None]:
    """bulk_create would overwrite auto_now/auto_now_add fields with "now"; keep our values."""
    changed = []
    for model in models:
        for f in model._meta.concrete_fields:
            for attr in ("auto_now", "auto_now_add"):
                if getattr(f, attr, False):
                    setattr(f, attr, False)
                    changed.append((f, attr))
    try:
        yield
    finally:
        for f, attr in changed:
            setattr(f, attr, True)


def write(batch: Batch) -> None:
    """One batch through the ORM (SQLite), then its search documents."""
    plan: list[tuple[type[Model], list[dict[str, Any]]]] = [
        (Complaint, batch.complaints),
        (Reporter, batch.reporters),
        (AuditEvent, batch.events),
        (Note, batch.notes),
    ]
    with transaction.atomic(), _explicit_timestamps(Complaint, Note):
        for model, rows in plan:
            model._default_manager.bulk_create([model(**row) for row in rows], batch_size=2000)
        search_index_refresh(complaint_ids=[row["id"] for row in batch.complaints])  # searchable, as filed


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Complaint, AuditEvent, Note):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}"  # noqa: S608
            )


class Command(BaseCommand):
    help = "Generate N realistic complaints (with reporters and valid audit chains) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="How many complaints to add.")
        parser.add_argument("--reporters", type=int, default=500, help="Observer accounts that file (default 500).")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for a reproducible data set.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        seed = options["seed"]
        ref = load_reference(options["reporters"])
        ref.first = first = (Complaint.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        ref.salt = str(seed) if seed is not None else secrets.token_hex(8)
        count, now = options["count"], timezone.now()
        done = 0

        def progress(made: int) -> None:
            nonlocal done
            done += made
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stderr.write(f"\r{done}/{count} complaints ({rate:,.0f}/s)", ending="")

        if connection.vendor == "postgresql":
            write_postgresql(ref, first, count, now, seed, progress)
        else:
            for start in range(first, first + count, BATCH):
                batch = make_batch(ref, start, min(start + BATCH, first + count), now, seed)
                write(batch)
                progress(len(batch.complaints))
        _reset_sequences()
        self.stderr.write("")
        self.stdout.write(f"Generated {done} complaints in {time.monotonic() - started:.1f}s.")
