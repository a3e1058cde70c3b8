"""The monthly OFII list (R-FOLLOW-2): each département's list for the month, built once from
the records (who is on it and why: models/ofii.py) and written with its rows, the file's SHA-256
and an audit row in one transaction. A month already there is left as it is and reported, so a
rerun never duplicates or changes a month. The result carries codes, ids and counts only: the
rows stay in SQL."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity

from activities import audit
from core.clock import PARIS, aware
from models.evaluations import InDepthEvaluation, Placement
from models.ofii import (
    LISTED_PLACES,
    LISTED_SITUATIONS,
    OfiiBuildInput,
    OfiiBuildReport,
    OfiiList,
    OfiiListCount,
    OfiiListRow,
    csv_bytes,
    sha256_of,
)
from models.pathway import Stage
from models.records import Household, Person
from models.vocab import AdministrativeSituation

log = structlog.get_logger()
ACTOR = "liste-ofii"
RECORD = "liste OFII"
SITUATIONS: dict[str, AdministrativeSituation] = {s.value: s for s in LISTED_SITUATIONS}


def _open_in(departement: str) -> Any:
    """The open pathways of a département (joined by the three queries below)."""
    return (Household.departement == departement, col(Household.stage) != Stage.CLOSED.value)


def _latest(pairs: list[tuple[str, tuple[Any, ...], Any]]) -> dict[str, Any]:
    """Per household, the value with the greatest key."""
    best: dict[str, tuple[tuple[Any, ...], Any]] = {}
    for household_id, key, value in pairs:
        if household_id not in best or key > best[household_id][0]:
            best[household_id] = (key, value)
    return {h: v for h, (_, v) in best.items()}


def eligible_rows(session: Session, departement: str, at: datetime) -> list[OfiiListRow]:
    """The département's list as it stands at `at`, in the file's order (`list_id` unset)."""
    placements = session.exec(
        select(Placement)
        .join(Household, col(Household.id) == col(Placement.household_id))
        .where(*_open_in(departement))
    ).all()
    hosted: dict[str, Placement] = _latest(  # the latest placement, as api/security.py reads it
        [
            (p.household_id, (aware(p.started_at), p.id or 0), p)
            for p in placements
            if aware(p.started_at) <= at
        ]
    )
    hosted = {h: p for h, p in hosted.items() if p.place_type in LISTED_PLACES}
    evaluations = session.exec(
        select(
            InDepthEvaluation.household_id,
            InDepthEvaluation.evaluated_at,
            InDepthEvaluation.id,
            InDepthEvaluation.administrative_situation,
        )
        .join(Household, col(Household.id) == col(InDepthEvaluation.household_id))
        .where(*_open_in(departement))
    ).all()
    situation: dict[str, str] = _latest(
        [(h, (aware(when), i or 0), s) for h, when, i, s in evaluations if h in hosted]
    )
    listed = {h: SITUATIONS[s] for h, s in situation.items() if s in SITUATIONS}
    persons = session.exec(
        select(Person)
        .join(Household, col(Household.id) == col(Person.household_id))
        .where(*_open_in(departement), col(Person.informed_of_rights).is_(True))
        .order_by(col(Person.id))
    ).all()
    rows = []
    for person in persons:
        if person.household_id not in listed:
            continue
        placement = hosted[person.household_id]
        named = person.nominative_consent and bool(person.last_name or person.first_name)
        rows.append(
            OfiiListRow(
                list_id=0,
                position=0,
                household_id=person.household_id,
                last_name=person.last_name if named else None,
                first_name=person.first_name if named else None,
                nickname=None if named else person.nickname,
                birth_year=person.birth_year,
                sex=person.sex,
                administrative_situation=listed[person.household_id],
                structure=placement.structure,
                place_type=placement.place_type,
                admitted_on=aware(placement.started_at).astimezone(PARIS).date(),
            )
        )
    rows.sort(key=lambda r: (r.structure, r.admitted_on, r.household_id))  # stable: person id
    for position, row in enumerate(rows, start=1):
        row.position = position
    return rows


def build_list(
    engine: Engine, departement: str, month: str, generated_at: datetime, generated_by: str
) -> OfiiListCount:
    """The département's list for the month: made now unless it exists (then left as it is)."""

    def work(session: Session) -> OfiiListCount:
        existing = session.exec(
            select(OfiiList).where(OfiiList.departement == departement, OfiiList.month == month)
        ).first()
        if existing is not None:
            assert existing.id is not None
            return OfiiListCount(
                departement=departement,
                list_id=existing.id,
                rows=existing.row_count,
                created=False,  # made before (an earlier run, or attempt): left as it is
            )
        rows = eligible_rows(session, departement, generated_at)
        digest = sha256_of(csv_bytes(rows))
        header = OfiiList(
            departement=departement,
            month=month,
            generated_at=generated_at,
            generated_by=generated_by,
            row_count=len(rows),
            sha256=digest,
        )
        session.add(header)
        session.flush()  # a concurrent run's row: IntegrityError, and the retry finds it
        assert header.id is not None
        for row in rows:
            row.list_id = header.id
            session.add(row)
        audit.record(
            engine,
            actor=ACTOR,
            action="écriture",
            record=RECORD,
            purpose=f"liste mensuelle OFII {departement} {month} établie : "
            f"{len(rows)} ligne(s), sha256 {digest}",
            departement=departement,
            session=session,
        )
        return OfiiListCount(
            departement=departement, list_id=header.id, rows=len(rows), created=True
        )

    return audit.transaction(engine, work)


@dataclass
class OfiiActivities:
    engine: Engine

    @activity.defn(name="build_ofii_lists")
    def build_ofii_lists(self, inp: OfiiBuildInput) -> OfiiBuildReport:
        """Every département's list for the month (those asked, else every département with
        households, even with nobody on its list: the month is then done, and empty)."""
        departements = sorted(set(inp.departements)) or self._departements()
        report = OfiiBuildReport(month=inp.month)
        for departement in departements:
            report.lists.append(
                build_list(self.engine, departement, inp.month, inp.generated_at, inp.generated_by)
            )
            activity.heartbeat(departement)
        log.info(
            "ofii_lists_built",
            month=inp.month,
            created=report.created,
            existing=report.existing,
            rows=sum(c.rows for c in report.lists if c.created),
        )
        return report

    def _departements(self) -> list[str]:
        with Session(self.engine) as session:
            found = session.exec(select(Household.departement).distinct()).all()
        return sorted(found)
