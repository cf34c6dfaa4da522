"""Signed audit checkpoints: the signing key (held outside the database), making one, publishing its file."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from complaints import integrity
from complaints.audit import ChainBreak, checkpoint_documents, verify_chains
from complaints.models import AuditEvent, Checkpoint, CheckpointTrigger, Complaint

log = logging.getLogger(__name__)

# Past this many changed chains one full pass is cheaper than an IN (...) list (and SQLite
# limits the number of query parameters).
FULL_PASS_ABOVE = 500


def _generated_key(path: Path) -> Ed25519PrivateKey:
    """The embedded default: a key file under VAR_DIR, made on first use (atomically: workers race)."""
    if path.exists():
        return integrity.private_key_from_text(path.read_text(encoding="utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(integrity.private_key_pem(key))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # fails if another process made it first: use theirs
        except FileExistsError:
            return integrity.private_key_from_text(path.read_text(encoding="utf-8"))
    finally:
        os.unlink(tmp)
    log.warning(
        "generated the audit checkpoint signing key %s. Anyone who can read it can forge checkpoints: "
        "in production keep it outside the server's data (AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE, "
        "e.g. a secret mounted from elsewhere) and publish its public key.",
        path,
    )
    return key


def signing_key() -> Ed25519PrivateKey:
    """AUDIT_SIGNING_KEY (from the environment or its *_FILE), else the embedded default's key file."""
    try:
        if settings.AUDIT_SIGNING_KEY:
            return integrity.private_key_from_text(settings.AUDIT_SIGNING_KEY)
        return _generated_key(Path(settings.AUDIT_SIGNING_KEY_PATH))
    except ValueError as exc:
        raise ImproperlyConfigured(f"audit signing key: {exc}") from None


def trusted_public_keys() -> list[Ed25519PublicKey]:
    """The current key's public half and those of retired keys (AUDIT_TRUSTED_PUBLIC_KEY_FILES)."""
    keys = [signing_key().public_key()]
    for name in settings.AUDIT_TRUSTED_PUBLIC_KEY_FILES:
        keys.append(integrity.public_key_from_text(Path(name).read_text(encoding="utf-8")))
    return keys


def public_key_pem() -> str:
    return integrity.public_key_pem(signing_key().public_key())


def current_heads() -> list[tuple[int, int, str]]:
    """(complaint id, head seq, head hash) of every complaint with at least one event."""
    chain = AuditEvent.objects.filter(complaint=OuterRef("pk"))
    rows = (
        Complaint.objects.order_by()
        .annotate(
            head_seq=Subquery(chain.order_by("-seq").values("seq")[:1]),
            head_hash=Subquery(chain.order_by("-seq").values("hash")[:1]),
        )
        .filter(head_seq__isnull=False)
        .values_list("pk", "head_seq", "head_hash")
    )
    return list(rows.iterator(chunk_size=5000))


@dataclass
class CheckpointResult:
    checkpoint: Checkpoint | None
    breaks: list[ChainBreak] = field(default_factory=list)
    unchanged: bool = False


def checkpoint_document(checkpoint: Checkpoint) -> dict[str, Any]:
    """The published, archivable file: the signed statement, its signature and the heads it covers."""
    return {
        "statement": checkpoint.statement,
        "signature": checkpoint.signature,
        "heads": checkpoint.heads,
        "verify_with": "python integrity.py CASE.json --public-key audit-public-key.pem --checkpoint THIS_FILE",
    }


def checkpoint_file_name(serial: int) -> str:
    return f"checkpoint-{serial}.json"


def write_checkpoint_file(checkpoint: Checkpoint, directory: Path | None = None) -> Path:
    directory = Path(directory or settings.AUDIT_CHECKPOINT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / checkpoint_file_name(checkpoint.serial)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".checkpoint-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(checkpoint_document(checkpoint), fh, ensure_ascii=False, indent=1)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def audit_checkpoint(
    *, label: str = "", trigger: str = CheckpointTrigger.MANUAL, skip_unchanged: bool = False
) -> CheckpointResult:
    """Sign the head of every chain (and their Merkle root); store it and write its public file.

    Chains that changed since the previous checkpoint are verified first (against it): a chain
    that does not verify keeps the head the previous checkpoint saw (or stays out), and the
    breaks are returned and logged, so a checkpoint never blesses a tampered chain.
    ``skip_unchanged`` (the hourly run) makes nothing when no chain moved.
    """
    key = signing_key()
    previous = Checkpoint.objects.order_by("-serial").first()
    if previous and (problems := integrity.checkpoint_problems(trusted_public_keys(), checkpoint_document(previous))):
        log.error("audit checkpoint: the previous checkpoint is not genuine, not building on it: %s", problems)
        previous_heads: list[list[Any]] = []
    else:
        previous_heads = previous.heads if previous else []
    before = {int(chain): (seq, head) for chain, seq, head in previous_heads}
    rows = current_heads()
    changed = {pk for pk, seq, head in rows if before.get(pk) != (seq, head)}
    if skip_unchanged and previous and not changed and len(rows) == len(before):
        return CheckpointResult(None, unchanged=True)
    breaks: list[ChainBreak] = []
    if changed:
        documents = checkpoint_documents([previous]) if previous_heads and previous else None
        ids = sorted(changed) if len(changed) <= FULL_PASS_ABOVE else None
        breaks = [b for b in verify_chains(ids, checkpoints=documents) if ids is not None or b.complaint_id in changed]
    bad = {b.complaint_id for b in breaks}
    heads: dict[int, tuple[int, str]] = {}
    for pk, seq, head in rows:
        if pk in bad:
            if pk in before:
                heads[pk] = before[pk]
            continue
        heads[pk] = (seq, head)
    for chain, kept in before.items():  # a chain the database lost stays on record
        heads.setdefault(chain, kept)
    now = timezone.now()
    listed: list[list[Any]] = [[chain, seq, head] for chain, (seq, head) in sorted(heads.items())]
    root = integrity.merkle_root(integrity.heads_leaves(listed))
    kid = integrity.key_id(key.public_key())
    serial = (previous.serial + 1) if previous else 1
    events = sum(seq for _, seq, _ in listed)
    statement: dict[str, Any] = {
        "type": integrity.STATEMENT_TYPE,
        "v": 1,
        "serial": serial,
        "created_at": now.isoformat(),
        "label": label,
        "chains": len(listed),
        "events": events,
        "merkle_root": root,
        "previous": integrity.statement_digest(previous.statement) if previous else integrity.GENESIS,
        "key_id": kid,
    }
    with transaction.atomic():
        checkpoint = Checkpoint.objects.create(
            serial=serial,
            created_at=now,
            label=label,
            trigger=trigger,
            chains=len(listed),
            events=events,
            merkle_root=root,
            key_id=kid,
            statement=statement,
            signature=integrity.sign_statement(key, statement),
            heads=listed,
        )
        transaction.on_commit(lambda: write_checkpoint_file(checkpoint))
    for brk in breaks:
        log.error("audit checkpoint %s: not advancing a chain that does not verify: %s", checkpoint.serial, brk)
    return CheckpointResult(checkpoint, breaks)
