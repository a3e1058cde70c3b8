"""An action's rows written with SQL Core, not through the ORM's unit of work (and an audit
event appended alone, activities/audit.py).

An accepted action writes new rows known in full (its records, the timeline) and changes a few
columns of one household: the ORM's bookkeeping for them (identity map, change tracking, the
flush's ordering) was the largest part of the worker's CPU under load. Rows are still built
and validated as the models say; only how they reach the database changes. The session's
transaction is the same one: everything commits, or nothing does.
"""

from collections import defaultdict
from typing import Any

from sqlalchemy import Table, select, update
from sqlmodel import Session, SQLModel, col

from core import clock
from models.records import Household, Submission, SubmissionStatus


def table_of(model: type[SQLModel]) -> Table:
    """A table model's SQL Core table."""
    return model.__table__  # type: ignore[attr-defined]


def insert(session: Session, *rows: SQLModel) -> None:
    """New rows as built (one statement per table; an unset primary key is the database's)."""
    by_table: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        table = table_of(type(row))
        values = {c.name: getattr(row, c.name) for c in table.columns}
        by_table[table].append(
            {k: v for k, v in values.items() if v is not None or not table.c[k].primary_key}
        )
    connection = session.connection()
    for table, batch in by_table.items():
        connection.execute(table.insert(), batch)


class SubmissionMismatch(LookupError):
    """The held entry is missing, or belongs to another household or action."""


def claim_submission(session: Session, sid: str, household_id: str, action: str) -> dict | None:
    """The held entry's payload, marked applied (and emptied) in this transaction; None when it
    was applied already — by an earlier try, or by a concurrent one that won the update."""
    table = table_of(Submission)
    found = session.connection().execute(
        select(table.c.household_id, table.c.action, table.c.status, table.c.payload).where(
            table.c.id == sid
        )
    )
    row = found.first()
    if row is None or row.household_id != household_id or row.action != action:
        raise SubmissionMismatch(sid)
    if row.status == SubmissionStatus.APPLIED:
        return None
    claimed = session.connection().execute(
        update(table)
        .where(table.c.id == sid, table.c.status != SubmissionStatus.APPLIED)
        .values(status=SubmissionStatus.APPLIED, payload={}, applied_at=clock.now())
    )
    return dict(row.payload) if claimed.rowcount == 1 else None


def read_household(session: Session, household_id: str) -> tuple[Household, dict[str, Any]]:
    """A detached copy of the household to change, and its columns as read (see
    `save_household`)."""
    session.flush()  # what a writer changed through the ORM is read back here
    table = table_of(Household)
    row = session.connection().execute(select(table).where(table.c.id == household_id))
    read = row.mappings().first()
    if read is None:
        raise LookupError(household_id)
    return Household(**read), dict(read)


def save_household(session: Session, household: Household, read: dict[str, Any]) -> None:
    """The columns changed since `read_household`, in one UPDATE."""
    changed = {k: getattr(household, k) for k, v in read.items() if getattr(household, k) != v}
    if changed:
        session.connection().execute(
            update(table_of(Household)).where(col(Household.id) == household.id).values(changed)
        )
