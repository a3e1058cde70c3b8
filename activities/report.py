"""The annual activity report (issue 12, item 5): the indicators with their targets and gaps,
the monthly flows of the timeline, the offer by type, and the data quality — for one
département and one calendar year (Paris time). Read-only SQL; rendered as JSON, CSV or HTML
(api/report_html.py)."""

import csv
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import func
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col, select

from activities import indicators
from activities.indicator_data import load
from activities.quality import quality
from core.clock import PARIS
from models.indicators import Indicator, IndicatorValue, Scope
from models.offer import Place, Structure
from models.records import TimelineEvent
from models.reports import ActivityReport

T = TypeVar("T")


def year_scope(departement: str, year: int) -> Scope:
    """1 January to 1 January, Paris time (a stay across years is counted in each)."""
    return Scope(  # in UTC: what the database compares (SQLite drops a bound's offset)
        departements=[departement],
        start=datetime(year, 1, 1, tzinfo=PARIS).astimezone(UTC),
        end=datetime(year + 1, 1, 1, tzinfo=PARIS).astimezone(UTC),
    )


def months(scope: Scope) -> list[tuple[str, datetime, datetime]]:
    """The calendar months (Paris time) of the period, as (AAAA-MM, start, end)."""
    found, at = [], scope.start.astimezone(PARIS).replace(day=1, hour=0, minute=0)
    while at < scope.end:
        following = (at + timedelta(days=32)).replace(day=1)
        bounds = max(at, scope.start).astimezone(UTC), min(following, scope.end).astimezone(UTC)
        found.append((f"{at:%Y-%m}", *bounds))
        at = following
    return found


def monthly_flows(conn: Connection, scope: Scope) -> dict[str, dict[str, int]]:
    """The largest query of the report: the timeline's actions counted by month, one range of
    the covering index `ix_timelineevent_flows` per month (no join, no sort of the year)."""
    t = TimelineEvent
    flows: dict[str, dict[str, int]] = {}
    for name, start, end in months(scope):
        rows = conn.execute(
            select(t.action, func.count())
            .where(
                col(t.departement).in_(scope.departements),
                t.occurred_at >= start,
                t.occurred_at < end,
            )
            .group_by(t.action)
        )
        counted = {str(action): int(count) for action, count in rows}
        if counted:
            flows[name] = counted
    return flows


def offer(conn: Connection, departement: str) -> dict[str, dict[str, int]]:
    rows = conn.execute(
        select(Structure.kind, Place.status, func.count())
        .join(Structure, col(Structure.id) == col(Place.structure_id))
        .where(Structure.departement == departement)
        .group_by(Structure.kind, Place.status)
    )
    found: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        found.setdefault(str(kind), {})[str(status)] = int(count)
    return found


def values(
    engine: Engine, scope: Scope, targets: dict[Indicator, float]
) -> list[tuple[IndicatorValue, list[str]]]:
    with engine.connect() as conn:
        return indicators.compute(load(conn, scope), targets)


def activity_report(
    engine: Engine, departement: str, year: int, targets: dict[Indicator, float]
) -> ActivityReport:
    """The parts read the database side by side, each on its own connection: the database
    works on the flows and the quality while Python reads the indicators' rows."""
    scope = year_scope(departement, year)

    def on_connection(work: Callable[[Connection], T]) -> T:
        with engine.connect() as conn:
            return work(conn)

    with ThreadPoolExecutor(max_workers=3) as pool:
        flows = pool.submit(on_connection, lambda c: monthly_flows(c, scope))
        checked = pool.submit(
            on_connection, lambda c: quality(c, departement, year, scope.start, scope.end)
        )
        places = pool.submit(on_connection, lambda c: offer(c, departement))
        computed = indicators.compute(on_connection(lambda c: load(c, scope)), targets)
        return ActivityReport(
            departement=departement,
            year=year,
            indicators=[value for value, _ in computed],
            monthly_flows=flows.result(),
            offer=places.result(),
            quality=checked.result(),
        )


def as_csv(report: ActivityReport) -> str:
    """One line per indicator, `;`-separated (what French spreadsheets open)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            "departement",
            "annee",
            "indicateur",
            "libelle",
            "valeur",
            "unite",
            "univers",
            "cible",
            "ecart",
            "statut",
        ]
    )
    for v in report.indicators:
        writer.writerow(
            [
                report.departement,
                report.year,
                v.code.value,
                v.label,
                _num(v.value),
                v.unit,
                v.count,
                _num(v.target),
                _num(v.gap),
                v.status,
            ]
        )
    return out.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}".replace(".", ",")
