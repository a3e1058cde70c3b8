"""The worker's hourly housekeeping (and once at start-up), outside any workflow:

- the audit chain's head (seq and hash) goes to the structured log, `audit_chain_head`: the log
  lives outside the database, so rows before a logged head cannot be rewritten unnoticed even
  by someone holding the database (and the HMAC key is not in the database either);
- staged entries still pending a day after the API stopped waiting for them (a timeout, a
  Temporal error, a cancelled request) are deleted, audited: they hold names and notes for no
  purpose (the daily check deletes sooner those whose pathway is not running);
- the database files are scrubbed of what was deleted (SQLite's log truncated — it also
  catches up a checkpoint an erasure had to give up —, the submission table rewritten on
  PostgreSQL when entries were purged).
"""

import asyncio
from datetime import datetime, timedelta

import structlog
from sqlalchemy.engine import Engine

from activities import audit_check
from activities.consistency import IN_FLIGHT_LIMIT
from activities.consistency_db import purge, stale_submissions
from activities.scrub import scrub
from core import clock
from models.records import Submission

log = structlog.get_logger()

INTERVAL = timedelta(hours=1)


def sweep(engine: Engine, now: datetime) -> int:
    """One round; the number of stale entries purged."""
    audit_check.anchor(engine)
    # Without a Temporal client here, only what no update can still be waiting for; the daily
    # check (which sees the pathways) purges the rest sooner.
    old = stale_submissions(engine, now - IN_FLIGHT_LIMIT, None)
    purged = sum(purge(engine, s) for s in old)
    if purged or engine.dialect.name == "sqlite":
        scrub(engine, {Submission.__tablename__})  # type: ignore[arg-type]
    log.info("housekeeping_done", stale_submissions_purged=purged)
    return purged


async def run_periodically(engine: Engine, interval: timedelta = INTERVAL) -> None:
    """Forever, every `interval`; a failed round is logged and the next one comes."""
    while True:
        try:
            await asyncio.to_thread(sweep, engine, clock.now())
        except Exception as exc:  # the database may be down for a while: try again later
            log.error("housekeeping_failed", error_type=type(exc).__name__)
        await asyncio.sleep(interval.total_seconds())
