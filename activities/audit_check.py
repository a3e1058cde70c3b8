"""Checking the hash-chained audit trail (activities/audit.py appends to it): every row chains
to the one before under the key, and the head names the last; the head's hash is also written
to the structured log, outside the database, so that rows before it cannot be rewritten unseen."""

import hashlib
import hmac
import json
from datetime import UTC

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from activities.audit import digest, note_digest, process_key
from models.audit import GENESIS, AuditEvent, AuditHead, AuditNote

log = structlog.get_logger()


def _legacy_digest(prev: str, event: AuditEvent) -> str:
    """Rows of chain version 1: SHA-256 over the time as written (UTC, `isoformat`)."""
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    body = {
        "prev": prev,
        "seq": event.seq,
        "at": at.astimezone(UTC).isoformat(),
        "actor": event.actor,
        "action": event.action,
        "household_id": event.household_id,
        "record": event.record,
        "fields": list(event.fields),
        "purpose": event.purpose,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _broken(prev: str, event: AuditEvent, note: AuditNote | None, key: bytes) -> bool:
    if event.prev_hash != prev:
        return True
    if event.chain_version == 1:
        return event.hash != _legacy_digest(prev, event)
    if note is not None and note_digest(note.salt, note.note) != event.note_digest:
        return True  # an erased note is simply absent; an edited one shows
    return not hmac.compare_digest(event.hash, digest(prev, event, key))


def verify(engine: Engine, key: bytes | None = None) -> int | None:
    """The seq of the first row that does not chain (edited, deleted, inserted), else None."""
    key = key or process_key()
    prev, expected = GENESIS, 1
    chain = (
        select(AuditEvent, AuditNote)
        .join(AuditNote, col(AuditNote.seq) == col(AuditEvent.seq), isouter=True)
        .order_by(col(AuditEvent.seq))
    )
    with Session(engine) as session:
        for event, note in session.exec(chain):
            if event.seq != expected or _broken(prev, event, note, key):
                return event.seq
            prev, expected = event.hash, expected + 1
        head = session.get(AuditHead, 1)
        if head is not None and (head.seq != expected - 1 or head.hash != prev):
            return expected  # rows removed from the end
    return None


def chain_head(engine: Engine) -> tuple[int, str]:
    with Session(engine) as session:
        row = session.get(AuditHead, 1)
        return (row.seq, row.hash) if row is not None else (0, GENESIS)


def anchor(engine: Engine) -> tuple[int, str]:
    """Write the chain's head to the structured log (kept outside the database): rows before
    it cannot be rewritten without the logged hash giving it away."""
    seq, hash_ = chain_head(engine)
    log.info("audit_chain_head", seq=seq, hash=hash_)
    return seq, hash_
