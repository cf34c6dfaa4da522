"""The hash-chained audit log.

Each complaint has its own chain. An event's hash is
``sha256(prev_hash || canonical_json(event))`` where the canonical JSON covers every
stored field but the hashes; the first event links to GENESIS. Changing, removing or
reordering any stored event breaks the chain from that event on, and
``verify_chains`` names the first broken event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from complaints.models import AuditEvent, Complaint

GENESIS = "0" * 64


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_body(event: AuditEvent) -> dict[str, Any]:
    return {
        "complaint": event.complaint_id,
        "seq": event.seq,
        "action": event.action,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "from": event.from_status,
        "to": event.to_status,
        "payload": event.payload,
        "at": event.created_at.isoformat(),
    }


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical_json(event_body(event))).encode()).hexdigest()


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
    """Append an event to the complaint's chain.

    Callers hold the complaint's row lock (services lock it with select_for_update), so
    appends to one chain are serialised; the unique (complaint, seq) constraint backs that up.
    ``first=True`` is for a complaint inserted in the caller's transaction: its chain is
    empty, so the event is #1 linked to GENESIS without asking the database (were it not
    empty, the unique (complaint, seq) constraint would refuse the insert).
    """
    last = (
        None if first else AuditEvent.objects.filter(complaint=complaint).order_by("-seq").values("seq", "hash").first()
    )
    user = actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        complaint=complaint,
        seq=(last["seq"] + 1) if last else 1,
        action=action,
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "complainant"),
        from_status=from_status,
        to_status=to_status,
        # Round-trip through JSON so the stored value hashes the same when read back.
        payload=json.loads(canonical_json(payload or {})),
        created_at=timezone.now(),
        prev_hash=last["hash"] if last else GENESIS,
    )
    event.hash = compute_hash(event.prev_hash, event)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    complaint_id: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"audit event {self.event_id} (complaint {self.complaint_id}, #{self.seq}): {self.reason}"


def verify_chains(complaint_ids: list[int] | None = None) -> Iterator[ChainBreak]:
    """Recompute every chain; yield the first break of each broken chain."""
    qs = AuditEvent.objects.order_by("complaint_id", "seq")
    if complaint_ids is not None:
        qs = qs.filter(complaint_id__in=complaint_ids)
    current: int | None = None
    prev_hash = GENESIS
    expected_seq = 1
    broken = False
    for event in qs.iterator(chunk_size=2000):
        if event.complaint_id != current:
            current, prev_hash, expected_seq, broken = event.complaint_id, GENESIS, 1, False
        if broken:
            continue
        reason = ""
        if event.seq != expected_seq:
            reason = f"expected #{expected_seq}, found #{event.seq} (an event is missing)"
        elif event.prev_hash != prev_hash:
            reason = "does not link to the previous event"
        elif compute_hash(prev_hash, event) != event.hash:
            reason = "content does not match its hash (altered)"
        if reason:
            broken = True
            yield ChainBreak(event.pk, event.complaint_id, event.seq, reason)
        prev_hash, expected_seq = event.hash, expected_seq + 1
