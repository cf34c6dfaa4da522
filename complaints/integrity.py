"""The audit integrity rules without Django: event hashing, Merkle roots, signed checkpoints, a case verifier.

This one file is also the standalone verifier an outside party runs: it imports only the
Python standard library and ``cryptography``. Copy it anywhere and run::

    python integrity.py CASE.json --public-key audit-public-key.pem \\
        [--checkpoint checkpoint-12.json ...] [--evidence-dir DIR]

where CASE.json comes from ``manage.py export_audit <code>`` (or give the case file, the .zip of
``manage.py export_case``: every file of its manifest is then checked against its SHA-256 too), the public key from
``/audit/public-key`` and the checkpoint files from ``/audit/checkpoints/<n>.json`` (archived
by anyone when they were published). It exits 0 when everything verifies, 1 when anything
does not, and says what.

The rules, shared with the application (``complaints/audit.py`` imports them from here):

- Each complaint has one chain of events. ``hash = sha256(prev_hash || canonical_json(body))``,
  the first event linking to GENESIS (64 zeros).
- Scheme 1 (events written before content coverage): the body is the event's own fields.
- Scheme 2: the body also carries ``v`` = 2, ``content`` = the complaint's content hash when the
  event was written (sha256 of the canonical JSON of description, place text, category code,
  occurred_at in UTC ISO 8601, polling station id) and ``evidence`` = the SHA-256 values of the
  complaint's evidence at that moment, in upload order. Within a chain the content may change
  only on an action listed in CONTENT_ACTIONS (none today), the evidence list only grows, by the
  file an ``evidence`` event attests; a scheme-1 event may not follow a scheme-2 one.
- A checkpoint is a statement signed with Ed25519: the time, the number of chains and events,
  the hash of the previous statement, and the Merkle root (RFC 6962 hashing, an odd node
  promoted) over one leaf per chain, ``sha256(0x00 || "<complaint id>:<seq>:<head hash>")``,
  leaves sorted by complaint id (which every event's hash covers). A chain checkpointed at
  #n must still have that hash at #n (else it was rewritten) and at least n events (else it
  was cut).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS = "0" * 64
SCHEME_LEGACY = 1
SCHEME_CURRENT = 2
# Actions that may change the complaint's content hash. No workflow action edits the
# description, place, category, time or station today; one that does is listed here.
CONTENT_ACTIONS: frozenset[str] = frozenset()
EVIDENCE_ACTION = "evidence"
STATEMENT_TYPE = "complaint-registry-audit-checkpoint"
EXPORT_FORMAT = "complaint-registry-audit-export"
# A chain whose first event is older than a checkpoint by more than this must be in it
# (the slack covers a filing transaction still open while the checkpoint read the heads).
CHECKPOINT_GRACE = timedelta(minutes=5)


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- events and content -----------------------------------------------------------

EVENT_FIELDS = ("complaint", "seq", "action", "actor", "actor_label", "from", "to", "payload", "at")


def event_body(record: Mapping[str, Any]) -> dict[str, Any]:
    """What an event's hash covers, from its exported record (see ``complaints.audit.event_record``)."""
    body = {name: record[name] for name in EVENT_FIELDS}
    if int(record.get("v", SCHEME_LEGACY)) >= SCHEME_CURRENT:
        body["v"] = int(record["v"])
        body["content"] = record["content"]
        body["evidence"] = list(record["evidence"])
    return body


def event_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    return sha256_hex((prev_hash + canonical_json(event_body(record))).encode())


def content_hash(content: Mapping[str, Any]) -> str:
    """The hash of what a complainant stated; ``content`` as built by ``content_inputs``."""
    return sha256_hex(canonical_json(content_inputs(**content)).encode())


def content_inputs(
    *, description: str, place_text: str, category: str, occurred_at: str, polling_station: int | None
) -> dict[str, Any]:
    return {
        "description": description,
        "place_text": place_text,
        "category": category,
        "occurred_at": occurred_at,
        "polling_station": polling_station,
    }


# --- one chain ---------------------------------------------------------------------


@dataclass
class ChainChecker:
    """Feed one chain's events in order; each problem is returned once, the chain stops at its first break."""

    hashes: list[str] = field(default_factory=list)
    complaint: int | None = None
    broken: bool = False
    first_at: str = ""
    last_current: dict[str, Any] | None = None  # the latest scheme-2 record

    @property
    def chain_id(self) -> int | None:
        """A chain is named by its complaint's id, which every event's hash covers."""
        return self.complaint

    def feed(self, record: Mapping[str, Any]) -> str:
        if self.broken:
            return ""
        reason = self._check(record)
        if reason:
            self.broken = True
            return reason
        if not self.hashes:
            self.first_at = str(record["at"])
            self.complaint = record["complaint"]
        self.hashes.append(record["hash"])
        if int(record.get("v", SCHEME_LEGACY)) >= SCHEME_CURRENT:
            self.last_current = dict(record)
        return ""

    def _check(self, record: Mapping[str, Any]) -> str:
        expected_seq = len(self.hashes) + 1
        prev = self.hashes[-1] if self.hashes else GENESIS
        if self.hashes and record["complaint"] != self.complaint:
            return "belongs to another complaint's chain"
        if int(record["seq"]) != expected_seq:
            return f"expected #{expected_seq}, found #{record['seq']} (an event is missing)"
        if record["prev_hash"] != prev:
            return "does not link to the previous event"
        if event_hash(prev, record) != record["hash"]:
            return "content does not match its hash (altered)"
        scheme = int(record.get("v", SCHEME_LEGACY))
        last = self.last_current
        if scheme < SCHEME_CURRENT:
            return "an event of the old hash scheme after events of the new one (downgraded)" if last else ""
        evidence = list(record["evidence"])
        if record["action"] == EVIDENCE_ACTION:
            attested = (record.get("payload") or {}).get("sha256")
            if not evidence or evidence[-1] != attested:
                return "an evidence event whose file is not the last one its evidence list attests"
        if last is None:
            return ""
        if record["content"] != last["content"] and record["action"] not in CONTENT_ACTIONS:
            return f"the complaint's content changed at a “{record['action']}” event, which does not edit it"
        grown = [*last["evidence"], evidence[-1]] if record["action"] == EVIDENCE_ACTION else list(last["evidence"])
        if evidence != grown:
            return "the evidence list changed other than by an evidence event adding one file"
        return ""

    def finish(self, current_content: str | None, current_evidence: Sequence[str] | None) -> list[str]:
        """Compare the complaint as it is now with what its latest event attests."""
        if self.broken or self.last_current is None:
            return []
        problems = []
        if current_content is not None and current_content != self.last_current["content"]:
            problems.append(f"the complaint's content no longer matches its chain (as of #{self.last_current['seq']})")
        if current_evidence is not None and list(current_evidence) != list(self.last_current["evidence"]):
            problems.append(
                "the complaint's evidence no longer matches its chain "
                f"(#{self.last_current['seq']} attests {len(self.last_current['evidence'])} file(s), "
                f"the record holds {len(current_evidence)}: changed, swapped or removed)"
            )
        return problems


# --- Merkle tree --------------------------------------------------------------------


def leaf_hash(chain: int, seq: int, head: str) -> bytes:
    return hashlib.sha256(b"\x00" + f"{chain}:{int(seq)}:{head}".encode()).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> str:
    """RFC 6962 tree hash (an odd last node is promoted); the empty tree is sha256 of nothing."""
    if not leaves:
        return sha256_hex(b"")
    level = list(leaves)
    while len(level) > 1:
        nxt = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0].hex()


def merkle_proof(leaves: Sequence[bytes], index: int) -> list[str]:
    """The sibling hashes from leaf ``index`` up to the root (promoted levels have none)."""
    proof, level = [], list(leaves)
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling].hex())
        nxt = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level, index = nxt, index // 2
    return proof


def merkle_verify(leaf: bytes, index: int, size: int, proof: Sequence[str], root: str) -> bool:
    if not 0 <= index < size:
        return False
    digest, remaining = leaf, list(proof)
    while size > 1:
        if index % 2:
            if not remaining:
                return False
            digest = _node(bytes.fromhex(remaining.pop(0)), digest)
        elif index + 1 < size:
            if not remaining:
                return False
            digest = _node(digest, bytes.fromhex(remaining.pop(0)))
        index, size = index // 2, (size + 1) // 2
    return not remaining and digest.hex() == root


def heads_leaves(heads: Iterable[Sequence[Any]]) -> list[bytes]:
    """Leaves of ``[[complaint id, seq, head], ...]`` sorted by complaint id."""
    return [leaf_hash(int(c), s, h) for c, s, h, *_ in sorted(heads, key=lambda head: int(head[0]))]


# --- keys and signatures ------------------------------------------------------------


def private_key_from_text(text: str) -> Ed25519PrivateKey:
    """A PEM (PKCS#8) Ed25519 private key, or its 32-byte seed in hex or base64."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the audit signing key is not an Ed25519 key")
        return key
    try:
        raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("the audit signing key is neither PEM nor a hex or base64 32-byte seed") from None
    if len(raw) != 32:
        raise ValueError("an Ed25519 seed has 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_key_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_key_from_text(text: str) -> Ed25519PublicKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the public key is not an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256_hex(raw)[:16]


def statement_digest(statement: Mapping[str, Any]) -> str:
    """How the next statement names this one (``previous``)."""
    return sha256_hex(canonical_json(statement).encode())


def sign_statement(key: Ed25519PrivateKey, statement: Mapping[str, Any]) -> str:
    return base64.b64encode(key.sign(canonical_json(statement).encode())).decode()


def signature_valid(keys: Iterable[Ed25519PublicKey], statement: Mapping[str, Any], signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        return False
    message = canonical_json(statement).encode()
    for key in keys:
        if key_id(key) != statement.get("key_id"):
            continue
        try:
            key.verify(raw, message)
        except InvalidSignature:
            return False
        return True
    return False


def checkpoint_problems(keys: Sequence[Ed25519PublicKey], document: Mapping[str, Any]) -> list[str]:
    """Is a published checkpoint file (statement, signature, heads) genuine and whole?"""
    statement = document.get("statement") or {}
    name = f"checkpoint {statement.get('serial', '?')}"
    if statement.get("type") != STATEMENT_TYPE:
        return [f"{name}: not an audit checkpoint"]
    if not signature_valid(keys, statement, str(document.get("signature", ""))):
        return [f"{name}: the signature does not verify with the trusted public key(s) (key {statement.get('key_id')})"]
    if "heads" in document:
        heads = document["heads"]
        if len(heads) != statement.get("chains") or merkle_root(heads_leaves(heads)) != statement.get("merkle_root"):
            return [f"{name}: its list of chain heads does not match the signed Merkle root"]
    return []


@dataclass(frozen=True)
class Head:
    serial: int
    seq: int
    hash: str
    at: str


def heads_by_chain(documents: Iterable[Mapping[str, Any]]) -> dict[int, list[Head]]:
    """Every (seq, hash) each verified checkpoint saw, per chain (complaint id)."""
    found: dict[int, list[Head]] = {}
    for document in documents:
        statement = document["statement"]
        for chain, seq, head, *_ in document["heads"]:
            found.setdefault(int(chain), []).append(
                Head(int(statement["serial"]), int(seq), head, statement["created_at"])
            )
    return found


def compare_with_checkpoints(hashes: Sequence[str], heads: Iterable[Head]) -> list[str]:
    """Was the chain (its hashes by seq) rewritten or cut after a checkpoint saw it?"""
    problems = []
    for head in sorted(heads, key=lambda h: (h.seq, h.serial)):
        if head.seq > len(hashes):
            problems.append(
                f"cut: checkpoint {head.serial} ({head.at}) saw #{head.seq}, "
                f"the record now ends at #{len(hashes)} (events deleted)"
            )
            break
        if hashes[head.seq - 1] != head.hash:
            problems.append(
                f"rewritten: event #{head.seq} is not the one checkpoint {head.serial} ({head.at}) signed "
                f"(an event up to #{head.seq} was changed and the later hashes recomputed)"
            )
            break
    return problems


def should_be_in(first_at: str, checkpoint_at: str) -> bool:
    return datetime.fromisoformat(first_at) + CHECKPOINT_GRACE < datetime.fromisoformat(checkpoint_at)


# --- the standalone case verifier -------------------------------------------------


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _chain_and_record(case: Mapping[str, Any], evidence_dir: Path | None) -> tuple[ChainChecker, list[str], list[str]]:
    """The chain's own links, then the complaint's content and evidence (and files) against it."""
    problems: list[str] = []
    notes: list[str] = []
    checker = ChainChecker()
    for record in case["events"]:
        reason = checker.feed(record)
        if reason:
            problems.append(f"event #{record['seq']}: {reason}")
    stated = content_hash(case["complaint"]["content"])
    problems += checker.finish(stated, [item["sha256"] for item in case["evidence"]])
    if checker.last_current is None:
        notes.append("this chain predates content coverage (hash scheme 1): only the events are covered")
    for item in case["evidence"] if evidence_dir is not None else []:
        path = evidence_dir / item["file"] if evidence_dir else Path(item["file"])
        if not path.is_file():
            problems.append(f"evidence file {item['file']} is missing")
        elif _file_sha256(path) != item["sha256"]:
            problems.append(f"evidence file {item['file']} does not match its SHA-256 (replaced or altered)")
    return checker, problems, notes


def _archived_heads(
    checker: ChainChecker, keys: Sequence[Ed25519PublicKey], checkpoints: Sequence[Mapping[str, Any]]
) -> tuple[list[Head], list[str]]:
    """What the checkpoint files say about this chain; a checkpoint that should hold it and does not."""
    problems: list[str] = []
    documents = []
    for document in checkpoints:
        bad = checkpoint_problems(keys, document)
        problems += bad
        if not bad:
            documents.append(document)
    heads = heads_by_chain(documents).get(checker.chain_id or 0, [])
    for document in documents:
        statement = document["statement"]
        missing = checker.first_at and not any(h.serial == statement["serial"] for h in heads)
        if missing and should_be_in(checker.first_at, statement["created_at"]):
            problems.append(
                f"checkpoint {statement['serial']} ({statement['created_at']}) was made after this chain "
                "began but does not contain it: the chain was made up later, or left out because it did not verify"
            )
    return heads, problems


def _embedded_heads(
    checker: ChainChecker, keys: Sequence[Ed25519PublicKey], embedded: Iterable[Mapping[str, Any]]
) -> tuple[list[Head], list[str]]:
    """Checkpoints carried in the export, each with the Merkle inclusion proof of this chain's head."""
    heads: list[Head] = []
    problems: list[str] = []
    for item in embedded:
        statement = item["statement"]
        if not signature_valid(keys, statement, item.get("signature", "")):
            problems.append(f"embedded checkpoint {statement.get('serial')}: the signature does not verify")
            continue
        head = item["head"]
        leaf = leaf_hash(checker.chain_id or 0, head["seq"], head["hash"])
        if not merkle_verify(leaf, item["index"], statement["chains"], item["proof"], statement["merkle_root"]):
            problems.append(f"embedded checkpoint {statement['serial']}: the chain's head is not in its Merkle root")
            continue
        heads.append(Head(int(statement["serial"]), int(head["seq"]), head["hash"], statement["created_at"]))
    return heads, problems


def verify_case(
    case: Mapping[str, Any],
    keys: Sequence[Ed25519PublicKey],
    checkpoints: Sequence[Mapping[str, Any]] = (),
    evidence_dir: Path | None = None,
) -> tuple[list[str], list[str]]:
    """Check one exported complaint; return (problems, notes)."""
    if case.get("format") != EXPORT_FORMAT:
        return [f"not a {EXPORT_FORMAT} file"], []
    checker, problems, notes = _chain_and_record(case, evidence_dir)
    archived, bad = _archived_heads(checker, keys, checkpoints)
    embedded, bad_embedded = _embedded_heads(checker, keys, case.get("checkpoints", []))
    problems += bad + bad_embedded
    heads = archived + embedded
    if checker.hashes:
        problems += compare_with_checkpoints(checker.hashes, heads)
    serials = sorted({h.serial for h in heads})
    covered = f"covered by checkpoint(s) {', '.join(map(str, serials))}" if serials else "no checkpoint covers it"
    notes.append(f"{len(case['events'])} event(s); {covered}")
    return problems, notes


# --- a case file (the ZIP of ``manage.py export_case``) ---------------------------------


def _case_json_files(case: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every file object case.json names (evidence, decision and reply files, generated documents)."""
    files = list(case.get("evidence", []))
    files += [s["decision"]["file"] for s in case.get("submissions", []) if (s.get("decision") or {}).get("file")]
    files += [r["file"] for p in case.get("respondents", []) for r in p.get("replies", []) if r.get("file")]
    return files + [d["file"] for d in case.get("documents", [])]


def _member_sha256(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _case_zip(path: Path) -> tuple[dict[str, Any], list[str], list[str]]:
    """audit.json from a case file, every file of its manifest checked against its SHA-256 and size."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as archive:
        names = {n for n in archive.namelist() if not n.endswith("/")} - {"manifest.json"}
        listed = {f["path"]: f for f in json.loads(archive.read("manifest.json"))["files"]}
        problems += [f"{n}: in the archive but not in the manifest" for n in sorted(names - set(listed))]
        for name, entry in sorted(listed.items()):
            if name not in names:
                problems.append(f"{name}: listed in the manifest but missing from the archive")
                continue
            sha, size = _member_sha256(archive, name)
            if (sha, size) != (entry["sha256"], entry["size"]):
                problems.append(f"{name}: SHA-256 does not match the manifest (altered)")
        audit = json.loads(archive.read("audit.json"))
        case = json.loads(archive.read("case.json")) if "case.json" in names else {}
    for item in _case_json_files(case):
        if listed.get(item["path"], {}).get("sha256") != item["sha256"]:
            problems.append(f"{item['path']}: case.json and the manifest give different SHA-256")
    held = {entry["sha256"] for entry in listed.values()}
    problems += [
        f"evidence {e['name']}: its original is not in the case file"
        for e in audit["evidence"]
        if e["sha256"] not in held
    ]
    stated, content = case.get("complaint", {}), audit["complaint"]["content"]
    if case and (stated.get("description"), stated.get("category", {}).get("code")) != (
        content["description"],
        content["category"],
    ):
        problems.append("case.json states another complaint than the one its audit chain attests")
    return audit, problems, [f"{len(listed)} file(s) of the manifest checked against their SHA-256"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify an exported complaint against signed audit checkpoints.")
    parser.add_argument(
        "case", type=Path, help="the JSON of `manage.py export_audit <code>`, or the .zip of `manage.py export_case`"
    )
    parser.add_argument("--public-key", type=Path, action="append", required=True, help="trusted Ed25519 key (PEM)")
    parser.add_argument("--checkpoint", type=Path, action="append", default=[], help="a published checkpoint file")
    parser.add_argument("--evidence-dir", type=Path, help="folder holding the exported evidence files")
    args = parser.parse_args(argv)
    keys = [public_key_from_text(path.read_text(encoding="utf-8")) for path in args.public_key]
    found: list[str] = []
    notes: list[str] = []
    if zipfile.is_zipfile(args.case):  # a case file: its manifest's files stand in for --evidence-dir
        case, found, notes = _case_zip(args.case)
    else:
        case = json.loads(args.case.read_text(encoding="utf-8"))
    checkpoints = [json.loads(path.read_text(encoding="utf-8")) for path in args.checkpoint]
    problems, more = verify_case(case, keys, checkpoints, args.evidence_dir)
    problems, notes = found + problems, notes + more
    code = case.get("complaint", {}).get("code", "?")
    for note in notes:
        print(f"note: {note}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if problems:
        print(f"FAILED: complaint {code}: {len(problems)} problem(s)")
        return 1
    print(f"OK: complaint {code}: chain, content and evidence verify")
    return 0


if __name__ == "__main__":
    sys.exit(main())
