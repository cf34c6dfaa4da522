"""The hash-chained audit log: appending to a complaint's chain, and verifying every chain against the record.

Each complaint has its own chain. An event's hash is
``sha256(prev_hash || canonical_json(event))``; the first event links to GENESIS. Since hash
scheme 2 the hashed body also carries the complaint's content hash and the SHA-256 of the
evidence it holds at that moment, so the description, place, category, time, station and
files are covered too. The rules live in ``complaints/integrity.py`` (no Django there: the
same file is the standalone verifier); this module reads and writes the rows.

Changing, removing or reordering any stored event breaks the chain from that event on.
Someone with database rights could still recompute the hashes after the event they
changed, or delete the latest events: signed checkpoints (``services.audit_checkpoint``)
catch both, and ``verify_chains(checkpoints=...)`` names every chain rewritten or cut after
one, and every complaint whose content or evidence no longer matches its chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.utils import timezone

from complaints import integrity
from complaints.integrity import GENESIS, SCHEME_CURRENT, SCHEME_LEGACY, canonical_json
from complaints.models import AuditEvent, Checkpoint, Complaint, Evidence

__all__ = [
    "GENESIS",
    "ChainBreak",
    "audit_append",
    "canonical_json",
    "checkpoint_documents",
    "complaint_content",
    "compute_hash",
    "event_body",
    "event_record",
    "verify_chains",
]

CONTENT_FIELDS = ("description", "place_text", "category__code", "occurred_at", "polling_station_id")


def event_record(event: Any) -> dict[str, Any]:
    """An event as the integrity rules (and the export) see it; works on a model or a namespace."""
    scheme = int(getattr(event, "scheme", SCHEME_LEGACY) or SCHEME_LEGACY)
    record = {
        "complaint": event.complaint_id,
        "seq": event.seq,
        "action": event.action,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "from": event.from_status,
        "to": event.to_status,
        "payload": event.payload,
        "at": event.created_at.isoformat(),
        "v": scheme,
        "prev_hash": getattr(event, "prev_hash", ""),
        "hash": getattr(event, "hash", ""),
    }
    if scheme >= SCHEME_CURRENT:
        record["content"] = event.content_hash
        record["evidence"] = event.evidence_hashes.split()
    return record


def event_body(event: AuditEvent) -> dict[str, Any]:
    return integrity.event_body(event_record(event))


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return integrity.event_hash(prev_hash, event_record(event))


def _content(row: Mapping[str, Any]) -> dict[str, Any]:
    return integrity.content_inputs(
        description=row["description"],
        place_text=row["place_text"],
        category=row["category__code"],
        occurred_at=row["occurred_at"].astimezone(UTC).isoformat(),
        polling_station=row["polling_station_id"],
    )


def complaint_content(complaint_id: int) -> dict[str, Any]:
    """What the complainant stated, as stored: the inputs of the content hash."""
    return _content(Complaint.objects.filter(pk=complaint_id).values(*CONTENT_FIELDS).get())


def _content_of(complaint: Complaint) -> dict[str, Any]:
    """The same inputs from the caller's object: the row it just wrote or re-read under its lock."""
    return _content(
        {
            "description": complaint.description,
            "place_text": complaint.place_text,
            "category__code": complaint.category.code,
            "occurred_at": complaint.occurred_at,
            "polling_station_id": complaint.polling_station_id,
        }
    )


def _evidence_hashes(complaint_id: int) -> list[str]:
    return list(Evidence.objects.filter(complaint_id=complaint_id).order_by("pk").values_list("sha256", flat=True))


def _attested_evidence(complaint: Complaint, action: str, payload: dict[str, Any], last: Any) -> list[str]:
    """The evidence list an event attests: its predecessor's, plus the file an evidence event adds.

    Read from the database only when the chain has no scheme-2 event yet (a new chain is empty);
    ``verify_chains`` compares the latest list with the evidence rows, so a swap is caught there.
    """
    if last is None:
        return []
    if last["scheme"] >= SCHEME_CURRENT:
        before = last["evidence_hashes"].split()
        return [*before, payload["sha256"]] if action == integrity.EVIDENCE_ACTION else before
    return _evidence_hashes(complaint.pk)


def audit_append(
    *,
    complaint: Complaint,
    action: str,
    actor: Any = None,
    actor_label: str = "",
    from_status: str = "",
    to_status: str = "",
    payload: dict[str, Any] | None = None,
    first: bool = False,
) -> AuditEvent:
    """Append an event to the complaint's chain (hash scheme 2: it attests content and evidence as stored).

    ``complaint`` is the object the caller just wrote or re-read under its row lock: its
    content fields are what the event attests (no extra query).

    Callers hold the complaint's row lock (services lock it with select_for_update), so
    appends to one chain are serialised; the unique (complaint, seq) constraint backs that up.
    ``first=True`` is for a complaint inserted in the caller's transaction: its chain is
    empty, so the event is #1 linked to GENESIS without asking the database (were it not
    empty, the unique (complaint, seq) constraint would refuse the insert).
    """
    last = (
        None
        if first
        else AuditEvent.objects.filter(complaint=complaint)
        .order_by("-seq")
        .values("seq", "hash", "scheme", "evidence_hashes")
        .first()
    )
    payload = json.loads(canonical_json(payload or {}))
    user = actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        complaint=complaint,
        seq=(last["seq"] + 1) if last else 1,
        action=action,
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "complainant"),
        from_status=from_status,
        to_status=to_status,
        # Round-trip through JSON (above) so the stored value hashes the same when read back.
        payload=payload,
        created_at=timezone.now(),
        prev_hash=last["hash"] if last else GENESIS,
        scheme=SCHEME_CURRENT,
        content_hash=integrity.content_hash(_content_of(complaint)),
        evidence_hashes=" ".join(_attested_evidence(complaint, action, payload, last)),
    )
    event.hash = compute_hash(event.prev_hash, event)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainBreak:
    """One finding: a broken link, or a chain or complaint that no longer matches a checkpoint or its chain."""

    event_id: int | None
    complaint_id: int | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        if self.event_id is None and self.complaint_id is None:
            return self.reason
        if self.event_id is None:
            return f"complaint {self.complaint_id}: {self.reason}"
        return f"audit event {self.event_id} (complaint {self.complaint_id}, #{self.seq}): {self.reason}"


def checkpoint_documents(checkpoints: Iterable[Checkpoint] | None = None) -> list[dict[str, Any]]:
    """Stored checkpoints in the shape of their published files."""
    rows = Checkpoint.objects.order_by("serial") if checkpoints is None else checkpoints
    return [{"statement": c.statement, "signature": c.signature, "heads": c.heads} for c in rows]


def _file_sha256(evidence: Evidence) -> str | None:
    digest = hashlib.sha256()
    try:
        with evidence.file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def _evidence_file_breaks(complaint_ids: list[int] | None) -> Iterator[ChainBreak]:
    qs = Evidence.objects.order_by("complaint_id", "pk")
    if complaint_ids is not None:
        qs = qs.filter(complaint_id__in=complaint_ids)
    for evidence in qs.iterator(chunk_size=500):
        actual = _file_sha256(evidence)
        if actual != evidence.sha256:
            what = "is missing" if actual is None else "does not match its SHA-256 (replaced or altered)"
            yield ChainBreak(None, evidence.complaint_id, None, f"evidence {evidence.pk} file {what}")


def _chain_end(
    checker: integrity.ChainChecker,
    last: AuditEvent,
    contents: dict[int, str],
    evidence: dict[int, list[str]],
    heads: dict[int, list[integrity.Head]],
    latest: Mapping[str, Any] | None,
) -> Iterator[ChainBreak]:
    """A chain read to its end: the complaint as it is now, then the checkpoints that saw the chain."""
    complaint_id = last.complaint_id
    for reason in checker.finish(contents.pop(complaint_id, None), evidence.get(complaint_id, [])):
        yield ChainBreak(last.pk, complaint_id, last.seq, reason)
    chain = complaint_id
    for reason in [] if checker.broken else integrity.compare_with_checkpoints(checker.hashes, heads.get(chain, [])):
        yield ChainBreak(None, complaint_id, None, reason)
    absent = latest and chain not in heads and not checker.broken
    if absent and latest and integrity.should_be_in(checker.first_at, latest["created_at"]):
        yield ChainBreak(
            None,
            complaint_id,
            None,
            f"checkpoint {latest['serial']} ({latest['created_at']}) was made after this chain began "
            "but does not contain it (made up and backdated later?)",
        )


def _missing_chains(heads: dict[int, list[integrity.Head]], seen: set[int]) -> Iterator[ChainBreak]:
    for chain in sorted(set(heads) - seen):
        head = max(heads[chain], key=lambda h: h.seq)
        yield ChainBreak(
            None,
            chain,
            None,
            f"cut: checkpoint {head.serial} ({head.at}) saw #{head.seq}, the database has no event of this "
            "complaint any more (its whole chain was deleted)",
        )


def _record_state(complaint_ids: list[int] | None) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Every complaint's content hash and evidence hashes (upload order) as stored now."""
    complaints = Complaint.objects.order_by("pk")
    evidence_rows = Evidence.objects.order_by("pk")
    if complaint_ids is not None:
        complaints = complaints.filter(pk__in=complaint_ids)
        evidence_rows = evidence_rows.filter(complaint_id__in=complaint_ids)
    contents = {
        row["pk"]: integrity.content_hash(_content(row))
        for row in complaints.values("pk", *CONTENT_FIELDS).iterator(chunk_size=2000)
    }
    evidence: dict[int, list[str]] = {}
    for complaint_id, sha in evidence_rows.values_list("complaint_id", "sha256").iterator(chunk_size=2000):
        evidence.setdefault(complaint_id, []).append(sha)
    return contents, evidence


def verify_chains(
    complaint_ids: list[int] | None = None,
    *,
    checkpoints: Sequence[Mapping[str, Any]] | None = None,
    check_files: bool = False,
) -> Iterator[ChainBreak]:
    """Recompute every chain; yield the first break of each broken chain, then what else does not match.

    Also compared: each complaint's content and evidence hashes with what its latest event
    attests, and, given ``checkpoints`` (documents whose signature the caller verified), each
    chain with the heads they signed: a chain rewritten, cut, or missing is named. With
    ``check_files`` each evidence file is hashed against its recorded SHA-256.
    """
    events = AuditEvent.objects.order_by("complaint_id", "seq")
    if complaint_ids is not None:
        events = events.filter(complaint_id__in=complaint_ids)
    contents, evidence = _record_state(complaint_ids)
    documents = list(checkpoints or [])
    heads = integrity.heads_by_chain(documents)
    latest = max(documents, key=lambda d: d["statement"]["serial"])["statement"] if documents else None
    seen: set[int] = set()
    checker = integrity.ChainChecker()
    last: AuditEvent | None = None
    for event in events.iterator(chunk_size=2000):
        if last is not None and event.complaint_id != last.complaint_id:
            yield from _chain_end(checker, last, contents, evidence, heads, latest)
            seen.add(last.complaint_id)
            checker = integrity.ChainChecker()
        last = event
        reason = checker.feed(event_record(event))
        if reason:
            yield ChainBreak(event.pk, event.complaint_id, event.seq, reason)
    if last is not None:
        yield from _chain_end(checker, last, contents, evidence, heads, latest)
        seen.add(last.complaint_id)
    for complaint_id in contents:  # complaints whose chain has no event at all
        seen.add(complaint_id)
        yield ChainBreak(None, complaint_id, None, "has no audit events at all (its chain was deleted)")
    if complaint_ids is None:
        yield from _missing_chains(heads, seen)
    if check_files:
        yield from _evidence_file_breaks(complaint_ids)
