"""The database side of the consistency check (activities/consistency.py): read the read model
and the pending submissions, repair a row with compare-and-set, purge a stale submission."""

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from activities import audit
from core import clock
from models.consistency import StaleSubmission
from models.pathway import PathwayState, Stage
from models.records import Household, Submission, SubmissionStatus

CHUNK = 500  # ids per IN (…) clause


@dataclass(frozen=True)
class Row:
    household_id: str
    workflow_id: str
    stage: str
    overdue: bool
    next_deadline: datetime | None
    updated_at: datetime


def utc(value: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


COLUMNS = (
    col(Household.id),
    col(Household.workflow_id),
    col(Household.stage),
    col(Household.overdue),
    col(Household.next_deadline),
    col(Household.updated_at),
)


def load_rows(
    engine: Engine, scope: Collection[str] | None, running: Iterable[str]
) -> dict[str, Row]:
    """Open households (in scope), and the households of running workflows whatever their
    stage: a row marked closed whose workflow still runs is a difference too."""
    open_rows = select(*COLUMNS).where(col(Household.stage) != Stage.CLOSED.value)
    queries = [open_rows] if scope is None else []
    queries += [open_rows.where(col(Household.id).in_(c)) for c in chunks(sorted(scope or []))]
    queries += [select(*COLUMNS).where(col(Household.id).in_(c)) for c in chunks(sorted(running))]
    rows: dict[str, Row] = {}
    with engine.connect() as conn:
        for query in queries:
            for r in conn.execute(query):
                rows[r[0]] = Row(r[0], r[1], r[2], bool(r[3]), r[4], utc(r[5]))
    return rows


def repair_row(engine: Engine, row: Row, state: PathwayState) -> bool:
    """The workflow's values, unless an action wrote the row since it was read."""
    with engine.begin() as conn:
        result = conn.execute(
            update(Household)
            .where(col(Household.id) == row.household_id)
            .where(col(Household.updated_at) == row.updated_at)
            .values(
                stage=state.stage.value,
                overdue=state.overdue,
                next_deadline=state.next_deadline,
                updated_at=clock.now(),
            )
        )
    return result.rowcount == 1


def stale_submissions(
    engine: Engine, cutoff: datetime, scope: Collection[str] | None
) -> list[StaleSubmission]:
    query = select(
        col(Submission.id),
        col(Submission.household_id),
        col(Submission.action),
        col(Submission.created_at),
    ).where(col(Submission.status) == SubmissionStatus.PENDING, col(Submission.created_at) < cutoff)
    queries = (
        [query]
        if scope is None
        else [query.where(col(Submission.household_id).in_(c)) for c in chunks(sorted(scope))]
    )
    with engine.connect() as conn:
        return [
            StaleSubmission(
                submission_id=r[0], household_id=r[1], action=r[2], created_at=utc(r[3])
            )
            for q in queries
            for r in conn.execute(q)
        ]


def purge(engine: Engine, stale: StaleSubmission) -> bool:
    """Delete a still-pending submission (never one applied meanwhile), audited in the same
    transaction."""
    pending = (
        col(Submission.id) == stale.submission_id,
        col(Submission.status) == SubmissionStatus.PENDING,
    )

    def work(session: Session) -> bool:
        payload = session.execute(select(col(Submission.payload)).where(*pending)).scalar()
        deleted = session.execute(delete(Submission).where(*pending))
        if deleted.rowcount != 1:  # type: ignore[attr-defined]
            return False
        audit.record(
            engine,
            actor="system",
            action="effacement",
            record="saisie",
            household_id=stale.household_id,
            fields=sorted(payload or {}),
            purpose="saisie jamais appliquée par le parcours (contrôle de cohérence)",
            departement=departement_of(stale.action, payload),
            session=session,
        )
        return True

    return audit.transaction(engine, work)


def departement_of(action: str, payload: Any) -> str | None:
    """A first contact's entry names its département (its household row never came)."""
    if action == "report" and isinstance(payload, dict):
        value = payload.get("departement")
        return value if isinstance(value, str) else None
    return None  # the household's own, looked up when audited
