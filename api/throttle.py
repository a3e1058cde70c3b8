"""Login throttling: failures counted per account name and per client address, in the database
(shared by every API process), with an exponential backoff once the free attempts are spent.

Names and addresses are stored as keyed digests (core.security.keyed_digest): an unknown name
is throttled exactly like a known one, so the answers do not tell which accounts exist.
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import clock
from models.users import LoginThrottle


@dataclass(frozen=True)
class Rule:
    free: int  # failures allowed before the first lock
    forget: timedelta  # failures forgotten after this long without one


ACCOUNT = Rule(free=5, forget=timedelta(hours=24))
ADDRESS = Rule(free=20, forget=timedelta(minutes=15))
FIRST_LOCK_SECONDS = 30  # doubled at each further failure
MAX_LOCK_SECONDS = 3600


def retry_after(engine: Engine, keys: list[str]) -> int:
    """Seconds until a login may be tried with these keys (0: now)."""
    now = clock.now()
    with Session(engine) as session:
        rows = session.exec(select(LoginThrottle).where(col(LoginThrottle.key).in_(keys))).all()
    waits = [
        (until - now).total_seconds()
        for row in rows
        if (until := clock.aware(row.locked_until)) is not None and until > now
    ]
    return math.ceil(max(waits)) if waits else 0


def failed(engine: Engine, rules: dict[str, Rule]) -> None:
    """Count one failure under each key; lock a key whose free attempts are spent."""
    for key, rule in rules.items():
        for _ in range(3):  # two processes creating the same key's row: try again
            try:
                _count(engine, key, rule)
                break
            except IntegrityError:
                continue


def _count(engine: Engine, key: str, rule: Rule) -> None:
    now = clock.now()
    with Session(engine) as session:
        row = session.exec(
            select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
        ).first()
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failure_at=now)
        last = clock.aware(row.last_failure_at)
        if last is not None and now - last > rule.forget:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= rule.free:
            seconds = FIRST_LOCK_SECONDS * 2 ** min(row.failures - rule.free, 16)
            row.locked_until = now + timedelta(seconds=min(seconds, MAX_LOCK_SECONDS))
        session.add(row)
        session.commit()


def succeeded(engine: Engine, key: str) -> None:
    """The right password, not locked: the account's failures are forgotten (not the
    address's: one valid account must not reset an address trying others)."""
    with Session(engine) as session:
        row = session.get(LoginThrottle, key)
        if row is not None:
            session.delete(row)
            session.commit()
