"""What the records say about a scope's households, loaded once per report: a few grouped SQL
reads (activities/indicators.py then computes in plain Python over them)."""

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import String, func, type_coerce
from sqlalchemy.engine import Connection
from sqlmodel import col, select

from core.clock import PARIS, aware
from models.calls import CallDay, CallRequest
from models.evaluations import (
    CommissionDecision,
    FlashEvaluation,
    InDepthEvaluation,
    Orientation,
    Placement,
)
from models.indicators import Scope
from models.records import Alert, Household, Person


def read(value: datetime | str | None) -> datetime | None:
    """A moment as selected by `when`: SQLite's text read by the C parser, else the driver's."""
    if isinstance(value, str):
        return datetime.fromisoformat(f"{value}+00:00")  # stored in UTC
    return aware(value) if value is not None else None


def median(values: list[float]) -> float | None:
    """The middle value; for an even count, the mean of the two in the middle."""
    return float(statistics.median(values)) if values else None


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months: two months after 31 December is the end of February."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    days = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, days))


@dataclass(frozen=True, slots=True)
class HouseholdDates:
    contact_channel: str
    encountered_at: datetime
    wandering_since: date | None
    closed_at: datetime | None
    previous_household_id: str | None = None


@dataclass(frozen=True, slots=True)
class PlacementDates:
    household_id: str
    started_at: datetime
    kind: str
    place_type: str


@dataclass
class Data:
    """What the records say about the scope's households (loaded once per scope)."""

    scope: Scope
    households: dict[str, HouseholdDates] = field(default_factory=dict)
    people: Counter[str] = field(default_factory=Counter)
    first_flash: dict[str, datetime] = field(default_factory=dict)
    first_in_depth: dict[str, datetime] = field(default_factory=dict)
    last_in_depth: dict[str, Any] = field(default_factory=dict)
    orientations: list[Any] = field(default_factory=list)
    decisions: dict[str, datetime] = field(default_factory=dict)  # first in the period
    placements: list[PlacementDates] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)
    calls: tuple[int, int, int] = (0, 0, 0)  # days imported, received, answered
    requests: list[Any] = field(default_factory=list)  # the 115's (kind, outcome, household)
    memo: dict[str, Any] = field(default_factory=dict)  # what several indicators read
    # The earlier pathways the scope's households name, and when each closed.
    earlier_closed: dict[str, datetime | None] = field(default_factory=dict)

    @cached_property
    def met(self) -> list[str]:
        """The households first met in the period."""
        return [hid for hid, h in self.households.items() if self.within(h.encountered_at)]

    def within(self, moment: datetime | None) -> bool:
        return moment is not None and self.scope.start <= moment < self.scope.end


def load(conn: Connection, scope: Scope) -> Data:
    data = Data(scope)
    deps = scope.departements
    h = Household
    sqlite = conn.dialect.name == "sqlite"

    def when(column: Any) -> Any:
        """A datetime column as SQLite's text (parsed below ten times faster than by the ORM's
        type), or as is elsewhere."""
        return type_coerce(column, String) if sqlite else column

    def mine(query: Any, table: Any) -> Any:
        """Rows of the scope's households: joined, not `IN (SELECT …)` (SQLite would build
        the scope's id set again for every query)."""
        joined = query.join(h, col(h.id) == col(table.household_id))
        return joined.where(col(h.departement).in_(deps))

    columns: list[Any] = [
        h.id,
        h.departement,
        when(h.encountered_at).label("encountered_at"),
        h.contact_channel,
        h.wandering_since,
        when(h.closed_at).label("closed_at"),
        h.previous_household_id,
    ]
    for row in conn.execute(select(*columns).where(col(h.departement).in_(deps))):
        data.households[row.id] = HouseholdDates(
            row.contact_channel,
            read(row.encountered_at),  # type: ignore[arg-type]
            row.wandering_since,
            read(row.closed_at),
            row.previous_household_id,
        )
    earlier = select(h.previous_household_id).where(col(h.departement).in_(deps))
    for hid, closed in conn.execute(select(h.id, h.closed_at).where(col(h.id).in_(earlier))):
        data.earlier_closed[hid] = aware(closed) if closed is not None else None
    for hid, n in conn.execute(
        mine(select(Person.household_id, func.count()), Person).group_by(Person.household_id)
    ):
        data.people[hid] = n
    for table, target in (
        (FlashEvaluation, data.first_flash),
        (InDepthEvaluation, data.first_in_depth),
    ):
        for hid, first in conn.execute(
            mine(select(table.household_id, func.min(when(table.evaluated_at))), table).group_by(
                table.household_id
            )
        ):
            target[hid] = read(first)  # type: ignore[assignment]  # a row has its date
    ev = InDepthEvaluation
    latest: list[Any] = [
        ev.household_id,
        ev.evaluated_at,
        ev.dls_filed_on,
        ev.syplo,
        ev.wants_housing,
        ev.administrative_situation,
    ]
    for row in conn.execute(mine(select(*latest), ev).order_by(col(ev.evaluated_at))):
        data.last_in_depth[row.household_id] = row
    o = Orientation
    data.orientations = list(
        conn.execute(
            mine(select(o.household_id, o.proposed_at, o.answer, o.refusal_reason), o).where(
                o.proposed_at >= scope.start, o.proposed_at < scope.end
            )
        )
    )
    c = CommissionDecision
    for hid, first in conn.execute(
        mine(select(c.household_id, func.min(c.decided_at)), c)
        .where(c.decided_at >= scope.start, c.decided_at < scope.end)
        .group_by(c.household_id)
    ):
        data.decisions[hid] = aware(first)
    p = Placement
    data.placements = [
        PlacementDates(hid, read(started), kind, place_type)  # type: ignore[arg-type]
        for hid, started, kind, place_type in conn.execute(
            mine(select(p.household_id, when(p.started_at), p.kind, p.place_type), p).order_by(
                col(p.household_id), col(p.started_at)
            )
        )
    ]
    a = Alert
    data.alerts = list(
        conn.execute(
            mine(select(a.household_id, a.raised_at, a.resolved_at), a).where(
                a.raised_at >= scope.start, a.raised_at < scope.end
            )
        )
    )
    days = scope.start.astimezone(PARIS).date(), scope.end.astimezone(PARIS).date()
    d = CallDay
    data.calls = tuple(  # type: ignore[assignment]
        int(n or 0)
        for n in conn.execute(
            select(func.count(), func.sum(d.received), func.sum(d.answered)).where(
                col(d.departement).in_(deps), d.day >= days[0], d.day < days[1]
            )
        ).one()
    )
    r = CallRequest
    data.requests = list(
        conn.execute(
            select(r.kind, r.outcome, r.household_id).where(
                col(r.departement).in_(deps), r.day >= days[0], r.day < days[1]
            )
        )
    )
    return data


Result = tuple[float | None, int, dict[str, Any], list[str]]  # value, universe, details, ids


def share(part: list[str], universe: list[str], details: dict[str, Any] | None = None) -> Result:
    value = round(100 * len(part) / len(universe), 1) if universe else None
    return value, len(universe), details or {}, part


def counted(ids: Iterable[str], people: Counter[str] | None = None) -> Result:
    found = sorted(set(ids))
    value = sum(people[h] for h in found) if people is not None else len(found)
    return float(value), len(found), {}, found
