"""Where a text survives: in any table (read through SQL), in the database's raw files (SQLite's
database and write-ahead log, PostgreSQL's files for the database), after an erasure."""

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import models.audit
import models.evaluations
import models.records
import models.users  # noqa: F401
from api.examples import first_contact
from core import clock


def unique_name() -> str:
    """A surname no other test uses, easy to find in raw bytes."""
    return "Zorglub" + uuid.uuid4().hex[:12].upper()


def named_contact(last_name: str, departement: str = "75") -> dict[str, Any]:
    """A first contact of one person who consents to her name being recorded."""
    now = clock.now().isoformat()
    person = {
        "nominative_consent": True,
        "first_name": "Josette",
        "last_name": last_name,
        "birth_year": 1980,
        "sex": "femme",
        "informed_of_rights": True,
        "consent_given_at": now,
    }
    return first_contact(departement, members=[person])


def tables_holding(engine: Engine, needle: str) -> list[str]:
    """The tables one of whose rows mentions `needle` (any column, JSON included)."""
    found = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if any(needle in repr(tuple(row)) for row in conn.execute(select(table))):
                found.append(table.name)
    return found


def files_holding(engine: Engine, needle: str) -> list[str]:
    """The database's files that hold `needle` in their raw bytes."""
    raw = needle.encode()
    return [str(path) for path in database_files(engine) if raw in path.read_bytes()]


def database_files(engine: Engine) -> list[Path]:
    if engine.dialect.name == "sqlite":
        db = Path(str(engine.url.database))
        return [p for p in (db, db.with_name(db.name + "-wal")) if p.exists()]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        try:
            conn.execute(text("CHECKPOINT"))  # what is in shared buffers, to the files
            data = conn.execute(text("SHOW data_directory")).scalar_one()
            oid = conn.execute(
                text("SELECT oid FROM pg_database WHERE datname = current_database()")
            ).scalar_one()
        except Exception as exc:  # not a superuser: the files cannot be found
            pytest.skip(f"PostgreSQL's files are out of reach ({type(exc).__name__})")
    directory = Path(data) / "base" / str(oid)
    try:
        return [p for p in directory.iterdir() if p.is_file() and p.stat().st_size]
    except PermissionError:
        pytest.skip(f"{directory} is not readable by this user (the tests run as root in CI)")
