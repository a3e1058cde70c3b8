"""The offer's SQL: a place moves by one conditional UPDATE (its status must still be what the
action needs), then its history row, the household's timeline and the audit row, in one
transaction. Two handlers taking the last bed: the second UPDATE matches no row → 409."""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from activities import audit
from api.errors import ApiError
from api.security import Principal, household_for
from core.clock import now
from models.offer import EMERGENCY_KINDS, Place, PlaceStatus, PlaceStatusChange, Structure
from models.offer_schemas import PlaceView
from models.pathway import Stage
from models.records import TimelineEvent, TimelineKind

S = PlaceStatus
UNKNOWN = "Place inconnue."
# What each action needs the place to be, and why it is refused otherwise.
WHY: dict[str, str] = {
    S.VACANT: "la place est déjà vacante",
    S.PROPOSED: "la place est proposée à un ménage : attendez la réponse",
    S.OCCUPIED: "la place est occupée",
    S.UNAVAILABLE: "la place est indisponible",
}


def reaches(principal: Principal, structure: Structure) -> bool:
    """Within the caller's départements; a structure manager: their structures only."""
    if structure.departement not in principal.departements:
        return False
    return not principal.structure_scoped or structure.name in principal.structures


def structures_of(session: Session, principal: Principal) -> list[Structure]:
    query = select(Structure).where(col(Structure.departement).in_(principal.departements))
    if principal.structure_scoped:
        query = query.where(col(Structure.name).in_(principal.structures))
    return list(session.exec(query.order_by(col(Structure.id))))


def place_for(session: Session, principal: Principal, place_id: int) -> tuple[Place, Structure]:
    """The place if the caller reaches it; 404 « Place inconnue. » otherwise."""
    place = session.get(Place, place_id)
    structure = session.get(Structure, place.structure_id) if place else None
    if place is None or structure is None or not reaches(principal, structure):
        raise ApiError(404, UNKNOWN)
    return place, structure


def view(place: Place, structure: Structure) -> PlaceView:
    return PlaceView.model_validate(
        {
            **{k: getattr(place, k) for k in PlaceView.model_fields if hasattr(place, k)},
            "structure": structure.name,
            "kind": structure.kind,
            "departement": structure.departement,
            "commune": structure.commune,
        }
    )


def move(
    session: Session,
    principal: Principal,
    place_id: int,
    allowed: set[PlaceStatus],
    to: PlaceStatus,
    reason: str,
    household_id: str | None = None,
    at: datetime | None = None,
) -> None:
    """Move the place to `to` if its status is still one of `allowed` (409 naming why); `at`:
    when it happened, if declared after the fact."""
    place, structure = place_for(session, principal, place_id)
    before = place.status
    moved = session.execute(
        update(Place)
        .where(col(Place.id) == place_id, col(Place.status).in_([s.value for s in allowed]))
        .values(status=to.value, status_since=at or now(), household_id=household_id)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        session.refresh(place)
        why = WHY.get(place.status, "statut incompatible")
        raise ApiError(409, f"Action impossible : {why}. Rien n'a été modifié.")
    session.add(
        PlaceStatusChange(
            place_id=place_id,
            actor=f"agent-{principal.user_id}",
            from_status=before,
            to_status=to,
            reason=reason,
            at=at or now(),
        )
    )
    audit.record(
        session.get_bind(),  # type: ignore[arg-type]
        actor=f"agent-{principal.user_id}",
        action="écriture",
        record="place",
        purpose=f"place {place_id} ({structure.name}) : {before} → {to.value}",
        household_id=household_id,
        fields=["status"],
        departement=structure.departement,
        session=session,
    )


def note(
    session: Session, principal: Principal, place: Place, structure: Structure, what: str
) -> None:
    """The audit row of a change to a place that keeps its status (a prolongation)."""
    audit.record(
        session.get_bind(),  # type: ignore[arg-type]
        actor=f"agent-{principal.user_id}",
        action="écriture",
        record="place",
        purpose=f"place {place.id} ({structure.name}) : {what}",
        household_id=place.household_id,
        fields=["held_until"],
        departement=structure.departement,
        session=session,
    )


def assign(session: Session, principal: Principal, place_id: int, household_id: str) -> None:
    """Emergency shelter without a commission: the 115 gives a free emergency place to a
    reported household; the place becomes occupied, the household's timeline says so."""
    _, structure = place_for(session, principal, place_id)
    if structure.kind not in EMERGENCY_KINDS:
        raise ApiError(409, "Action impossible : ce n'est pas une place d'urgence (CHU, hôtel).")
    household = household_for(session, principal, household_id)
    if household.stage == Stage.CLOSED:
        raise ApiError(409, "Action impossible : le parcours de ce ménage est clos.")
    move(session, principal, place_id, {S.VACANT}, S.OCCUPIED, "mise à l'abri", household_id)
    at = now()
    session.add(
        TimelineEvent(
            household_id=household_id,
            departement=household.departement,
            workflow_id=household.workflow_id,
            action=TimelineKind.EMERGENCY_SHELTER,
            actor=f"agent-{principal.user_id}",
            occurred_at=at,
            stage_before=household.stage,
            stage_after=household.stage,
            detail={"place_id": place_id, "structure": structure.name},
        )
    )


def history(session: Session, place_id: int) -> list[PlaceStatusChange]:
    rows = session.exec(
        select(PlaceStatusChange)
        .where(PlaceStatusChange.place_id == place_id)
        .order_by(col(PlaceStatusChange.id))
    )
    return list(rows)
