"""The morning release of emergency places (issue 10): a place the 115 gave for the night goes
back to `vacant` at the hour the département's policy sets for its kind (`night_release` under
`protocols:`), unless it was prolonged (`held_until`). Run every quarter of an hour by a Temporal
Schedule (workflows/release.py); each release is a conditional UPDATE, so a place taken or
released meanwhile is left alone."""

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import structlog
from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity

from activities import audit
from models.offer import (
    EMERGENCY_KINDS,
    Place,
    PlaceStatus,
    PlaceStatusChange,
    Structure,
    StructureKind,
)
from models.records import Household, TimelineEvent, TimelineKind
from rules.isolated import Policies

log = structlog.get_logger()
PARIS = ZoneInfo("Europe/Paris")
ACTOR = "liberation-du-matin"


class ReleaseInput(BaseModel):
    now: datetime  # the schedule's time, passed in: the activity reads no clock of its own


class ReleaseReport(BaseModel):
    released: int = 0
    kept: int = 0  # prolonged


def release_moment(now: datetime, hour: str) -> datetime:
    """Today's release, Paris time, as an aware datetime."""
    h, m = (int(x) for x in hour.split(":"))
    return datetime.combine(now.astimezone(PARIS).date(), time(h, m), PARIS)


def due_for_release(
    since: datetime, held_until: date | None, hour: str | None, now: datetime
) -> bool:
    """Given for a night that ended at this morning's release hour, and not prolonged."""
    if hour is None:
        return False
    moment = release_moment(now, hour)
    since = since if since.tzinfo else since.replace(tzinfo=ZoneInfo("UTC"))  # SQLite
    if held_until is not None and held_until >= now.astimezone(PARIS).date():
        return False
    return since < moment <= now


@dataclass
class ReleaseActivities:
    engine: Engine
    policies: Policies

    @activity.defn(name="release_night_places")
    def release_night_places(self, inp: ReleaseInput) -> ReleaseReport:
        report = ReleaseReport()
        with Session(self.engine) as session:
            rows = session.exec(
                select(Place, Structure)
                .join(Structure, col(Place.structure_id) == col(Structure.id))
                .where(
                    Place.status == PlaceStatus.OCCUPIED,
                    col(Structure.kind).in_([k.value for k in EMERGENCY_KINDS]),
                )
            ).all()
        hours: dict[tuple[str, str], str | None] = {}
        for place, structure in rows:
            key = (structure.departement, str(structure.kind))
            if key not in hours:
                kind = StructureKind(structure.kind)  # type: ignore[call-arg]  # a str from SQL
                terms = self.policies.protocol(structure.departement, kind)
                hours[key] = terms.delays.night_release
            if due_for_release(place.status_since, place.held_until, hours[key], inp.now):
                report.released += self._release(place, structure, hours[key] or "", inp.now)
            elif place.held_until is not None:
                report.kept += 1
        log.info("night_places_released", released=report.released, kept=report.kept)
        return report

    def _release(self, place: Place, structure: Structure, hour: str, now: datetime) -> int:
        return audit.transaction(
            self.engine, lambda session: self._release_in(session, place, structure, hour, now)
        )

    def _release_in(
        self, session: Session, place: Place, structure: Structure, hour: str, now: datetime
    ) -> int:
        # One transaction: the place, its history, the timeline, the audit row.
        moved = session.execute(
            update(Place)
            .where(col(Place.id) == place.id, col(Place.status) == PlaceStatus.OCCUPIED.value)
            .where(col(Place.status_since) == place.status_since)  # not taken again since
            .values(status=PlaceStatus.VACANT.value, status_since=now, household_id=None)
        )
        if not moved.rowcount:  # type: ignore[attr-defined]
            return 0
        reason = f"nuit terminée : libération à {hour} (politique du département)"
        session.add(
            PlaceStatusChange(
                place_id=place.id,  # type: ignore[arg-type]
                at=now,
                actor=ACTOR,
                from_status=PlaceStatus.OCCUPIED,
                to_status=PlaceStatus.VACANT,
                reason=reason,
            )
        )
        household = session.get(Household, place.household_id) if place.household_id else None
        if household is not None:
            session.add(
                TimelineEvent(
                    household_id=household.id,
                    departement=household.departement,
                    workflow_id=household.workflow_id,
                    action=TimelineKind.SHELTER_RELEASED,
                    actor=ACTOR,
                    occurred_at=now,
                    stage_before=household.stage,
                    stage_after=household.stage,
                    detail={"place_id": place.id, "structure": structure.name},
                )
            )
        audit.record(
            self.engine,
            actor=ACTOR,
            action="écriture",
            record="place",
            purpose=f"place {place.id} ({structure.name}) : libération du matin",
            household_id=household.id if household else None,
            fields=["status"],
            departement=structure.departement,
            session=session,
        )
        return 1
