"""Data quality (issue 12, item 4): the share of « non renseigné » per field, the entry delay
(the event's stated date → the server's entry time) in day buckets, and the open households
without contact for 90 days — for the département and per structure, so a SIAO knows whom to
call. A structure is the one that entered the record (the evaluator), else the household's
referent structure."""

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, func
from sqlalchemy.engine import Connection
from sqlmodel import col, select

from models.evaluations import (
    CommissionDecision,
    FlashEvaluation,
    InDepthEvaluation,
    Placement,
    Review,
)
from models.records import Household
from models.reports import DELAY_BUCKETS, NO_CONTACT_DAYS, QualityReport, StructureQuality
from models.vocab import NOT_FILLED

UNKNOWN = "(structure non renseignée)"
# Coded fields that may say « non renseigné », per table; each record's stated date.
FIELDS: dict[Any, tuple[str, ...]] = {
    Household: ("typology", "residential_situation", "time_without_housing"),
    FlashEvaluation: ("vulnerability",),
    InDepthEvaluation: (
        "health_cover",
        "self_assessed_health",
        "employment",
        "administrative_situation",
        "syplo",
    ),
}
STATED: dict[Any, str] = {
    FlashEvaluation: "evaluated_at",
    InDepthEvaluation: "evaluated_at",
    CommissionDecision: "decided_at",
    Placement: "started_at",
    Review: "held_at",
}


def bucket(days: int) -> str:
    """The entry delay's bucket, in whole days (0: the same 24 hours)."""
    return next(name for name, limit in DELAY_BUCKETS if limit is None or days <= limit)


def _days(conn: Connection, later: Any, earlier: Any) -> Any:
    """Whole days between two moments, in this database's own words."""
    if conn.dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return func.floor(func.extract("epoch", later - earlier) / 86400)


def _blank(column: Any) -> Any:
    return func.sum(case((column == NOT_FILLED, 1), else_=0))


class _Tally:
    def __init__(self) -> None:
        self.blank: Counter[str] = Counter()
        self.filled: Counter[str] = Counter()  # how many said (or not) each field
        self.delays: Counter[str] = Counter()
        self.records = 0
        self.without_contact = 0

    def not_filled(self) -> dict[str, float]:
        return {f: round(100 * self.blank[f] / n, 1) for f, n in sorted(self.filled.items()) if n}

    def add(self, names: tuple[str, ...], count: int, blanks: list[int]) -> None:
        for name, blank in zip(names, blanks, strict=True):
            self.filled[name] += count
            self.blank[name] += blank


def quality(
    conn: Connection, departement: str, year: int, start: datetime, end: datetime
) -> QualityReport:
    """Grouped in SQL by structure (and delay bucket): a few rows per structure come back."""
    whole, by_structure = _Tally(), defaultdict[str, _Tally](_Tally)
    h = Household
    names = FIELDS[h]
    silent = case(
        (col(h.closed_at).is_(None) & (h.updated_at < end - timedelta(days=NO_CONTACT_DAYS)), 1),
        else_=0,
    )
    rows = conn.execute(
        select(
            h.referent_structure,
            func.count(),
            func.sum(silent),
            *(_blank(getattr(h, f)) for f in names),
        )
        .where(h.departement == departement, h.encountered_at < end)
        .group_by(h.referent_structure)
    )
    for structure, count, quiet, *blanks in rows:
        for tally in (whole, by_structure[structure or UNKNOWN]):
            tally.add(names, count, blanks)
            tally.without_contact += int(quiet or 0)
    for table, stated in STATED.items():
        names = FIELDS.get(table, ())
        evaluator = getattr(table, "evaluator_structure", None)
        structure = (
            func.coalesce(evaluator, h.referent_structure)
            if evaluator is not None
            else h.referent_structure
        )
        delay = _days(conn, table.recorded_at, getattr(table, stated)).label("delay")
        when = getattr(table, stated)
        rows = conn.execute(
            select(structure, delay, func.count(), *(_blank(getattr(table, f)) for f in names))
            .join(h, col(h.id) == col(table.household_id))
            .where(h.departement == departement, when >= start, when < end)
            .group_by(structure, delay)
        )
        for name, days, count, *blanks in rows:
            for tally in (whole, by_structure[name or UNKNOWN]):
                tally.records += count
                tally.delays[bucket(max(int(days or 0), 0))] += count
                tally.add(names, count, blanks)
    return QualityReport(
        departement=departement,
        year=year,
        not_filled=whole.not_filled(),
        entry_delay={name: whole.delays[name] for name, _ in DELAY_BUCKETS},
        without_contact=whole.without_contact,
        structures=[
            StructureQuality(
                structure=name,
                records=tally.records,
                not_filled=tally.not_filled(),
                entry_delay={b: tally.delays[b] for b, _ in DELAY_BUCKETS},
                without_contact=tally.without_contact,
            )
            for name, tally in sorted(by_structure.items())
        ],
    )
