"""The right to erasure: a household's personal data deleted from the database, an anonymous
statistical trace kept. Temporal holds no personal data by design; its executions are deleted
by the API (see api/routers/rights.py)."""

from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.audit import AnonymousPathway, Rectification
from models.evaluations import RECORD_TABLES
from models.records import Alert, Household, Person, Submission, TimelineEvent

PERSONAL_TABLES: tuple[Any, ...] = (
    Person,
    *RECORD_TABLES.values(),
    Submission,
    TimelineEvent,
    Alert,
    Rectification,
)


def erase_household(engine: Engine, household_id: str) -> bool:
    """Delete every row about the household; keep one anonymous line. False if unknown."""
    with Session(engine) as session:
        household = session.get(Household, household_id)
        if household is None:
            return False
        members = len(
            session.exec(select(Person.id).where(Person.household_id == household_id)).all()
        )
        session.add(
            AnonymousPathway(
                departement=household.departement,
                typology=household.typology,
                members_count=members,
                last_stage=household.stage,
                exit_situation=household.exit_situation,
                reported_month=household.encountered_at.strftime("%Y-%m"),
                closed_month=household.closed_at.strftime("%Y-%m") if household.closed_at else None,
            )
        )
        for table in PERSONAL_TABLES:
            session.execute(delete(table).where(col(table.household_id) == household_id))
        session.delete(household)
        session.commit()
        if engine.dialect.name == "sqlite":  # and not in the write-ahead log either
            session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return True
