"""The throw-away databases the SQL benchmarks run on: a temporary SQLite file, then, given a
PostgreSQL URL, a schema of its own there (first on the search path: the tables, the ORM and
the bare SQL alike), dropped at the end."""

import tempfile
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from core.db import make_engine


def throwaway(name: str, postgres: str | None) -> Iterator[tuple[str, Engine]]:
    """(label, engine) for SQLite, then PostgreSQL when a URL is given; each cleaned after."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/{name}.db")
        try:
            yield "SQLite", engine
        finally:
            engine.dispose()
    if not postgres:
        return
    schema = f"{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgres)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(postgres, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield "PostgreSQL", engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
