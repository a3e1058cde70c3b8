"""The 115 call log in SQL (issue 12, item 2): importing the phone system's days, and the log
per département and day — calls, requests and people counted apart (models/calls.py)."""

from datetime import date
from typing import Any

from sqlalchemy import and_, case, delete, distinct, func
from sqlmodel import Session, col, select

from activities import audit
from api.disclosure import Access
from models.calls import (
    CallDay,
    CallDayView,
    CallOutcome,
    CallRequest,
    CallRequestKind,
    DailyImport,
    ParsedDay,
)
from models.records import Person


def store_days(engine: Any, actor: str, departement: str, days: list[ParsedDay]) -> DailyImport:
    """A day's counts replaced, never doubled; audited in the same transaction."""
    wanted = [d.day for d in days]

    def work(s: Session) -> DailyImport:
        where = (col(CallDay.departement) == departement, col(CallDay.day).in_(wanted))
        replaced = s.exec(select(func.count()).select_from(CallDay).where(*where)).one()
        s.execute(delete(CallDay).where(*where))
        for d in days:
            s.add(
                CallDay(
                    departement=departement,
                    day=d.day,
                    received=d.received,
                    answered=d.answered,
                    imported_by=actor,
                )
            )
        s.flush()
        first, last = min(wanted), max(wanted)
        audit.record(
            engine,
            actor=actor,
            action=Access.WRITE.value,
            record="appels au 115",
            purpose=f"import des appels par jour : {len(days)} jour(s), du {first} au {last}",
            departement=departement,
            session=s,
        )
        return DailyImport(
            departement=departement,
            days=len(days),
            replaced=replaced,
            first_day=first,
            last_day=last,
        )

    return audit.transaction(engine, work)


def daily_log(engine: Any, deps: list[str], first: date, last: date) -> list[CallDayView]:
    """Per département and day: calls (the phone system's), requests, and the households and
    people behind them — counted apart."""
    with Session(engine) as s:
        calls = s.exec(
            select(CallDay).where(
                col(CallDay.departement).in_(deps), CallDay.day >= first, CallDay.day <= last
            )
        ).all()
        in_range = and_(
            col(CallRequest.departement).in_(deps),
            col(CallRequest.day) >= first,
            col(CallRequest.day) <= last,
        )
        shelter = case((col(CallRequest.kind) == CallRequestKind.MISE_A_L_ABRI.value, 1), else_=0)
        unmet = case(
            (col(CallRequest.outcome) == CallOutcome.NON_POURVUE_FAUTE_DE_PLACE.value, 1), else_=0
        )
        requests = s.exec(
            select(  # type: ignore[call-overload]
                CallRequest.departement,
                CallRequest.day,
                func.count(),
                func.sum(shelter),
                func.sum(unmet),
                func.count(distinct(col(CallRequest.household_id))),
            )
            .where(in_range)
            .group_by(col(CallRequest.departement), col(CallRequest.day))
        ).all()
        known = (
            select(
                col(CallRequest.departement), col(CallRequest.day), col(CallRequest.household_id)
            )
            .where(in_range, col(CallRequest.household_id).is_not(None))
            .distinct()
            .subquery()
        )
        people = s.exec(
            select(known.c.departement, known.c.day, func.count(col(Person.id)))
            .join(Person, col(Person.household_id) == known.c.household_id)
            .group_by(known.c.departement, known.c.day)
        ).all()
    rows: dict[tuple[str, date], dict[str, Any]] = {}

    def row(dep: str, day: date) -> dict[str, Any]:
        return rows.setdefault(
            (dep, day),
            {
                "departement": dep,
                "day": day,
                "received": None,
                "answered": None,
                "requests": 0,
                "shelter_requests": 0,
                "unmet_for_lack_of_place": 0,
                "households_known": 0,
                "people_known": 0,
            },
        )

    for c in calls:
        row(c.departement, c.day).update(
            received=c.received, answered=c.answered, imported_at=c.imported_at
        )
    for dep, day, n, sheltered, unmet_n, households in requests:
        row(dep, day).update(
            requests=n,
            shelter_requests=int(sheltered or 0),
            unmet_for_lack_of_place=int(unmet_n or 0),
            households_known=households,
        )
    for dep, day, n in people:
        row(dep, day)["people_known"] = n
    return [CallDayView.model_validate(rows[k]) for k in sorted(rows)]
