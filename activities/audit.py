"""Appending to the hash-chained audit trail (models/audit.py; checking it: audit_check.py).

Each row is appended in the transaction of the write it records (`record(..., session=…)`, or
`transaction`): both commit or neither does. Writers are serialised on the chain's head row
(`SELECT … FOR UPDATE` on PostgreSQL, the database's write lock on SQLite), and a transaction
that loses a race (deadlock, serialisation failure, busy database) is run again, never failed.

Each link is an HMAC-SHA-256 under SIAO_AUDIT_KEY (never stored in the database) over a
canonical form of the row: the time in UTC whatever the session's time zone, and for free text
(`note`, kept beside the chain in `auditnote`) a salted digest, so the text can be erased with
its salt without breaking the chain.
Rows written before migration 0005 (`chain_version` 1) keep their plain SHA-256 links.
"""

import hashlib
import hmac
import json
import random
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from sqlalchemy import bindparam, delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, select

from activities import rows
from core import clock
from core.settings import DEV_AUDIT_KEY, Settings, get_settings
from models.audit import AuditEvent, AuditHead, AuditNote
from models.records import Household

log = structlog.get_logger()
T = TypeVar("T")

ATTEMPTS = 30
INTEGRITY_ATTEMPTS = 3  # a unique key taken by a concurrent writer: the retry sees its row
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}  # serialisation, deadlock, lock not available


class AuditUnavailable(RuntimeError):
    """The trail could not be appended to after every retry: nothing was written."""


def key_from_settings(settings: Settings) -> bytes:
    """The chain's HMAC key (Settings refused a weak one); the public development key (in
    core.settings) stands in for a missing one in development only."""
    if settings.audit_key:
        return settings.audit_key.encode()
    if settings.in_development:
        return DEV_AUDIT_KEY.encode()
    raise RuntimeError(
        "SIAO_AUDIT_KEY est vide : hors développement, le journal d'audit est signé par une "
        "clé hors de la base (au moins 32 octets aléatoires, `openssl rand -base64 48`)."
    )


def process_key() -> bytes:
    """The running process's key: never the public one outside development."""
    return key_from_settings(get_settings())


def canonical_time(at: datetime) -> str:
    """UTC, microseconds, whatever the database's session time zone (SQLite: naive UTC)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


def note_digest(salt: str, note: str) -> str:
    return hashlib.sha256(f"{salt}\0{note}".encode()).hexdigest()


def digest(prev: str, event: AuditEvent, key: bytes) -> str:
    body = {
        "v": 2,
        "prev": prev,
        "seq": event.seq,
        "at": canonical_time(event.at),
        "actor": event.actor,
        "action": event.action,
        "household_id": event.household_id,
        "departement": event.departement,
        "record": event.record,
        "fields": list(event.fields),
        "purpose": event.purpose,
        "note_digest": event.note_digest,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _held_head(session: Session) -> AuditHead | None:
    """The head this transaction locked already through the ORM (see `_lock_head`)."""
    held = session.info.get("audit_head")
    if held is not None and held[0] is session.get_transaction() and held[1] in session:
        head: AuditHead = held[1]
        return head
    return None


def _lock_head(session: Session) -> AuditHead:
    """The chain's head, locked until the caller's transaction ends (once per transaction: a
    route listing fifty households appends fifty rows under one lock)."""
    head = _held_head(session) or _take_head(session)
    session.info["audit_head"] = (session.get_transaction(), head)
    return head


_HEAD = rows.table_of(AuditHead)
# Built once (see activities/rows.py): the head locked and read, then moved.
_TAKE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq)
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def _head_at_once(session: Session) -> tuple[int, str] | None:
    """The head locked and read in one statement (an `UPDATE` locks the row on PostgreSQL as
    `FOR UPDATE` does, and takes SQLite's write lock); None when there is no head row."""
    found = session.connection().execute(_TAKE_HEAD).first()
    return None if found is None else (found.seq, found.hash)


def _take_head(session: Session) -> AuditHead:
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":  # SQLite: take the database's write lock first
        session.execute(update(AuditHead).where(col(AuditHead.id) == 1).values(seq=AuditHead.seq))
    head = session.get(AuditHead, 1, with_for_update=True, populate_existing=True)
    if head is None:  # a database migrated before 0005 seeded the head: create it
        head = AuditHead(id=1)
        session.add(head)
        session.flush()
    return head


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    record: str,
    purpose: str,
    household_id: str | None = None,
    fields: list[str] | None = None,
    departement: str | None = None,
    note: str | None = None,
    flush: bool = True,
) -> AuditEvent:
    """Add one event to the caller's transaction; it commits (or not) with the caller's write.
    Call it last in the transaction: the chain stays locked until the commit. `flush=False`:
    the caller appends more and flushes once (one head update, the inserts batched)."""
    if departement is None and household_id is not None:
        departement = session.exec(
            select(Household.departement).where(Household.id == household_id)
        ).first()
    # One event alone (an entry held, a file read): the head taken and moved through SQL Core,
    # without the ORM's bookkeeping; events batched in one transaction share the ORM's head.
    at_once = _head_at_once(session) if flush and _held_head(session) is None else None
    head = None if at_once is not None else _lock_head(session)
    seq, prev = at_once or (head.seq, head.hash)  # type: ignore[union-attr]
    salt = secrets.token_hex(16) if note is not None else ""  # a note's only: no syscall else
    event = rows.build(
        AuditEvent,
        seq=seq + 1,
        at=clock.now(),
        actor=actor,
        action=action,
        household_id=household_id,
        departement=departement,
        record=record,
        fields=sorted(fields or []),
        purpose=purpose,
        note_digest=note_digest(salt, note) if note is not None else None,
        chain_version=2,
        prev_hash=prev,
        hash="",
    )
    event.hash = digest(prev, event, process_key())
    notes = (
        []
        if note is None
        else [AuditNote(seq=event.seq, household_id=household_id, note=note, salt=salt)]
    )
    if head is None:
        rows.insert(session, event, *notes)
        session.connection().execute(_MOVE_HEAD, {"new_seq": event.seq, "new_hash": event.hash})
        return event
    head.seq, head.hash = event.seq, event.hash
    session.add(head)
    session.add_all([event, *notes])
    if flush:
        session.flush()
    return event


def _contended(exc: DBAPIError) -> bool:
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", "")
    if state in RETRYABLE_SQLSTATES:
        return True
    message = str(orig).lower()
    return "database is locked" in message or "busy" in message


def transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction and commit; run it again when it lost a race with another
    writer (its effects rolled back first). Errors of `work` itself go to the caller."""
    delay = 0.005
    for attempt in range(1, ATTEMPTS + 1):
        with Session(engine, expire_on_commit=False) as session:
            try:
                result = work(session)
                session.commit()
                return result
            except IntegrityError:
                session.rollback()
                if attempt >= INTEGRITY_ATTEMPTS:
                    raise
            except DBAPIError as exc:
                session.rollback()
                if not _contended(exc):
                    raise
        log.info("audit_transaction_retried", attempt=attempt)
        time.sleep(random.uniform(0, delay))
        delay = min(delay * 2, 0.5)
    raise AuditUnavailable("journal d'audit : trop d'écritures concurrentes, rien n'est écrit")


def record(
    engine: Engine,
    *,
    actor: str,
    action: str,
    record: str,
    purpose: str,
    household_id: str | None = None,
    fields: list[str] | None = None,
    departement: str | None = None,
    note: str | None = None,
    session: Session | None = None,
) -> AuditEvent:
    """Append one event: in `session`'s transaction when given (the caller commits), else in
    a transaction of its own (a read, which wrote nothing)."""
    kw: dict[str, Any] = {
        "actor": actor,
        "action": action,
        "record": record,
        "purpose": purpose,
        "household_id": household_id,
        "fields": fields,
        "departement": departement,
        "note": note,
    }
    if session is not None:
        return append(session, **kw)
    return transaction(engine, lambda s: append(s, **kw))


def erase_notes(session: Session, household_id: str) -> int:
    """Erase the free text of a household's audit rows with the salt of its digest: the chain
    still verifies, the text can be neither read nor confirmed by guessing."""
    result = session.execute(delete(AuditNote).where(col(AuditNote.household_id) == household_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
