"""An action's rows written with SQL Core, not through the ORM's unit of work (and an audit
event appended alone, activities/audit.py).

An accepted action writes new rows known in full (its records, the timeline) and changes a few
columns of one household: the ORM's bookkeeping for them (identity map, change tracking, the
flush's ordering) was the largest part of the worker's CPU under load. Rows are still built
and validated as the models say; only how they reach the database changes. The session's
transaction is the same one: everything commits, or nothing does.
"""

from collections import defaultdict
from collections.abc import Callable
from functools import cache, partial
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import Insert, Table, bindparam, select, update
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlmodel import Session, SQLModel

from core import clock
from models.records import Household, Submission, SubmissionStatus

M = TypeVar("M", bound=SQLModel)


def table_of(model: type[SQLModel]) -> Table:
    """A table model's SQL Core table."""
    return model.__table__  # type: ignore[attr-defined]


@cache
def _defaults(model: type[SQLModel]) -> tuple[frozenset[str], list[tuple[str, Callable[[], Any]]]]:
    """The model's field names, and how to make each optional field's default."""
    makers: list[tuple[str, Callable[[], Any]]] = []
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            makers.append((name, field.default_factory))  # type: ignore[arg-type]
        elif field.default is not PydanticUndefined:
            makers.append((name, partial(field.get_default, call_default_factory=False)))
    return frozenset(model.model_fields), makers


@cache
def _manager(model: type[SQLModel]) -> Any:
    """The model's ORM class manager, its mappers configured (what building a first instance
    through the constructor does): without it, attributes cannot be read in a fresh process."""
    configure_mappers()
    return manager_of_class(model)


def _blank(model: type[M]) -> M:
    """An instance as the ORM makes one to load a row: its state, no values, no history."""
    blank: M = _manager(model).new_instance()
    return blank


def build(model: type[M], **values: Any) -> M:
    """`model(**values)` without SQLModel's attribute-by-attribute setting (each through the
    ORM's instrumentation: 65 µs for a timeline event, 90 µs for a household copy). Like it,
    no validation; unlike it, a name the model does not have is refused."""
    names, makers = _defaults(model)
    unknown = values.keys() - names
    if unknown:
        raise TypeError(f"{model.__name__}: champs inconnus {sorted(unknown)}")
    row = _blank(model)
    fields = {name: make() for name, make in makers if name not in values}
    fields.update(values)
    row.__dict__.update(fields)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    return row


def validated(model: type[M], data: dict[str, Any]) -> M:
    """`model.model_validate(data)` for a table model (the same validation, the same errors)
    without building the instance twice attribute by attribute as SQLModel does."""
    row = _blank(model)
    state = dict(row.__dict__)  # the ORM's instance state, which pydantic's __dict__ replaces
    model.__pydantic_validator__.validate_python(data, self_instance=row)
    row.__dict__.update(state)
    return row


# Statements built once: SQLAlchemy then skips building them and computing their cache key
# at each call (it found them compiled already), a part of the worker's CPU per action.
_INSERTS: dict[Table, Insert] = {}
_ENTRY = table_of(Submission)
_READ_ENTRY = select(
    _ENTRY.c.household_id, _ENTRY.c.action, _ENTRY.c.status, _ENTRY.c.payload
).where(_ENTRY.c.id == bindparam("sid"))
_FIND_ENTRY = select(_ENTRY).where(_ENTRY.c.id == bindparam("sid"))
_CLAIM_ENTRY = (
    update(_ENTRY)
    .where(_ENTRY.c.id == bindparam("sid"), _ENTRY.c.status != SubmissionStatus.APPLIED)
    .values(status=SubmissionStatus.APPLIED, payload={}, applied_at=bindparam("at"))
)
_HOUSEHOLD = table_of(Household)
_READ_HOUSEHOLD = select(_HOUSEHOLD).where(_HOUSEHOLD.c.id == bindparam("hid"))
# The columns to set are the parameters' other keys (compiled once per set of keys).
_SAVE_HOUSEHOLD = update(_HOUSEHOLD).where(_HOUSEHOLD.c.id == bindparam("hid"))


def insert(session: Session, *rows: SQLModel) -> None:
    """New rows as built (one statement per table; an unset primary key is the database's)."""
    by_table: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        table = table_of(type(row))
        held = row.__dict__  # what was set or defaulted (an attribute never set reads None)
        values = {c.name: held.get(c.name) for c in table.columns}
        by_table[table].append(
            {k: v for k, v in values.items() if v is not None or not table.c[k].primary_key}
        )
    connection = session.connection()
    for table, batch in by_table.items():
        statement = _INSERTS.get(table)
        if statement is None:
            statement = _INSERTS.setdefault(table, table.insert())
        connection.execute(statement, batch)


def find_submission(session: Session, sid: str) -> Submission | None:
    """The staged entry under this id, if any (a detached copy, to read)."""
    found = session.connection().execute(_FIND_ENTRY, {"sid": sid}).mappings().first()
    return None if found is None else build(Submission, **found)


class SubmissionMismatch(LookupError):
    """The held entry is missing, or belongs to another household or action."""


def claim_submission(session: Session, sid: str, household_id: str, action: str) -> dict | None:
    """The held entry's payload, marked applied (and emptied) in this transaction; None when it
    was applied already — by an earlier try, or by a concurrent one that won the update."""
    row = session.connection().execute(_READ_ENTRY, {"sid": sid}).first()
    if row is None or row.household_id != household_id or row.action != action:
        raise SubmissionMismatch(sid)
    if row.status == SubmissionStatus.APPLIED:
        return None
    claimed = session.connection().execute(_CLAIM_ENTRY, {"sid": sid, "at": clock.now()})
    return dict(row.payload) if claimed.rowcount == 1 else None


def read_household(session: Session, household_id: str) -> tuple[Household, dict[str, Any]]:
    """A detached copy of the household to change, and its columns as read (see
    `save_household`)."""
    session.flush()  # what a writer changed through the ORM is read back here
    read = session.connection().execute(_READ_HOUSEHOLD, {"hid": household_id}).mappings().first()
    if read is None:
        raise LookupError(household_id)
    return build(Household, **read), dict(read)


def save_household(session: Session, household: Household, read: dict[str, Any]) -> None:
    """The columns changed since `read_household`, in one UPDATE."""
    changed = {k: getattr(household, k) for k, v in read.items() if getattr(household, k) != v}
    if changed:
        session.connection().execute(_SAVE_HOUSEHOLD, {**changed, "hid": household.id})
