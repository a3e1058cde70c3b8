"""After an erasure, no copy left in the database files.

SQLite: deleted cells are zeroed (`secure_delete`), but the write-ahead log still holds the
pages as they were until a TRUNCATE checkpoint; a checkpoint waits for readers while holding
the write lock, so each attempt waits briefly (`busy_timeout`) and the next one comes after a
pause without any lock, until the log is empty or the patience is spent.

PostgreSQL: a deleted row stays in its table's file until vacuumed, and a plain VACUUM leaves
the bytes of the last row of a page in the page's free space: each touched table is rewritten
(VACUUM FULL, outside any transaction, with a lock timeout so it never queues in front of the
application's queries for long). The write-ahead segments and backups keep their copies until
they are recycled or expire.
"""

import time
from collections.abc import Collection

import structlog
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

log = structlog.get_logger()

CHECKPOINT_BUSY_MS = 50  # how long one attempt may hold the write lock waiting for readers
CHECKPOINT_PATIENCE = 15.0  # seconds of attempts before giving up (the housekeeping retries)
VACUUM_LOCK_TIMEOUT = "5s"
VACUUM_ATTEMPTS = 5
PAUSE = 0.2


def checkpoint_wal(engine: Engine, patience: float = CHECKPOINT_PATIENCE) -> bool:
    """TRUNCATE checkpoint of SQLite's log, retried until it completes; True when the log is
    empty. Never holds the write lock longer than CHECKPOINT_BUSY_MS at a time."""
    deadline = time.monotonic() + patience
    attempts = 0
    while True:
        attempts += 1
        with engine.connect() as conn:
            previous = conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
            try:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {CHECKPOINT_BUSY_MS}")
                busy, frames, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(previous)}")
        if busy == 0 and frames in (0, -1) and done in (0, -1):
            return True
        if time.monotonic() >= deadline:
            log.error("wal_checkpoint_incomplete", attempts=attempts, frames=frames, done=done)
            return False
        time.sleep(PAUSE)


def vacuum_full(engine: Engine, tables: Collection[str]) -> bool:
    """Rewrite each table without its dead rows (PostgreSQL). True when all were rewritten."""
    pending = sorted(tables)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # VACUUM only warns and skips a table the role does not own: say so loudly.
        foreign = conn.execute(
            text(
                "SELECT relname FROM pg_class WHERE relname = ANY(:names) "
                "AND NOT pg_has_role(current_user, relowner, 'USAGE')"
            ),
            {"names": pending},
        ).scalars()
        if not_owned := sorted(foreign):
            log.error("vacuum_not_permitted", tables=not_owned)
            pending = [t for t in pending if t not in not_owned]
        conn.exec_driver_sql(f"SET lock_timeout = '{VACUUM_LOCK_TIMEOUT}'")
        try:
            for attempt in range(VACUUM_ATTEMPTS):
                waiting = []
                for table in pending:
                    try:
                        conn.exec_driver_sql(f'VACUUM (FULL) "{table}"')
                    except DBAPIError:  # busy table (lock timeout): its turn comes again
                        waiting.append(table)
                pending = waiting
                if not pending:
                    return not not_owned
                time.sleep(PAUSE * 2**attempt)
        finally:
            conn.exec_driver_sql("RESET lock_timeout")
    log.error("vacuum_incomplete", tables=pending)
    return False


def scrub(engine: Engine, tables: Collection[str]) -> bool:
    """Remove the erased rows' remaining copies from the database's own files."""
    if engine.dialect.name == "sqlite":
        return checkpoint_wal(engine)
    if engine.dialect.name == "postgresql":
        return vacuum_full(engine, tables)
    return True
