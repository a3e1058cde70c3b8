"""Appending to and checking the hash-chained audit trail (models/audit.py)."""

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.audit import GENESIS, AuditEvent, AuditHead
from models.records import utcnow

ATTEMPTS = 50


def _digest(prev: str, seq: int, at: datetime, body: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"prev": prev, "seq": seq, "at": at.isoformat(), **body}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _body(event: AuditEvent) -> dict[str, Any]:
    return {
        "actor": event.actor,
        "action": event.action,
        "household_id": event.household_id,
        "record": event.record,
        "fields": list(event.fields),
        "purpose": event.purpose,
    }


def record(
    engine: Engine,
    *,
    actor: str,
    action: str,
    record: str,
    purpose: str,
    household_id: str | None = None,
    fields: list[str] | None = None,
) -> AuditEvent:
    """Append one event. Concurrent writers (API processes, workers) retry on a moved head."""
    for _ in range(ATTEMPTS):
        with Session(engine, expire_on_commit=False) as session:
            head = session.get(AuditHead, 1) or AuditHead()
            at = utcnow()
            event = AuditEvent(
                seq=head.seq + 1,
                at=at,
                actor=actor,
                action=action,
                household_id=household_id,
                record=record,
                fields=sorted(fields or []),
                purpose=purpose,
                prev_hash=head.hash,
                hash="",
            )
            event.hash = _digest(head.hash, event.seq, at, _body(event))
            if head.seq == 0 and session.get(AuditHead, 1) is None:
                session.add(AuditHead(id=1, seq=event.seq, hash=event.hash))
                moved = 1
            else:
                moved = session.execute(  # compare-and-set on the chain's head
                    update(AuditHead)
                    .where(col(AuditHead.id) == 1, col(AuditHead.seq) == head.seq)
                    .values(seq=event.seq, hash=event.hash)
                ).rowcount  # type: ignore[attr-defined]
            if moved == 1:
                session.add(event)
                try:
                    session.commit()
                    return event
                except Exception:  # another writer took this seq: try again on the new head
                    session.rollback()
                    continue
            session.rollback()
    raise RuntimeError("journal d'audit : trop d'écritures concurrentes")


def verify(engine: Engine) -> int | None:
    """The seq of the first row that does not chain (edited, deleted, inserted), else None."""
    prev, expected = GENESIS, 1
    with Session(engine) as session:
        for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))):
            at = event.at if event.at.tzinfo else event.at.replace(tzinfo=utcnow().tzinfo)
            if (
                event.seq != expected
                or event.prev_hash != prev
                or event.hash != _digest(prev, event.seq, at, _body(event))
            ):
                return event.seq
            prev, expected = event.hash, expected + 1
        head = session.get(AuditHead, 1)
        if head is not None and (head.seq != expected - 1 or head.hash != prev):
            return expected  # rows removed from the end
    return None
