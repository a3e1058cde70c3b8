"""Emergency shelter (issue 10): the 115 sees tonight's free emergency places and gives one to a
reported household without a commission; a night's place is released the next morning at the
hour of the département's policy (workflows/release.py) unless prolonged here."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session, col, select

from api import offer
from api.errors import ApiError
from api.permissions import Permission
from api.routers.offer import ERRORS, PlaceId, _read, _write
from api.security import Principal, require
from api.state import EngineDep
from core import clock
from models.offer import EMERGENCY_KINDS, Place, PlaceStatus, Structure
from models.offer_schemas import Assignment, PlaceView, Prolongation

router = APIRouter(tags=["Offre : mise à l'abri d'urgence (115)"])
S = PlaceStatus
Handler = Annotated[Principal, Depends(require(Permission.EMERGENCY_SHELTER))]
LONGEST = timedelta(days=30)


@router.get(
    "/offer/emergency",
    response_model=list[PlaceView],
    summary="Places d'urgence libres ce soir (115)",
)
async def emergency_offer(
    engine: EngineDep,
    who: Handler,
    commune: Annotated[str | None, Query(pattern=r"^[0-9AB]{5}$")] = None,
) -> list[PlaceView]:
    def work(session: Session) -> list[PlaceView]:
        query = (
            select(Place, Structure)
            .join(Structure, col(Place.structure_id) == col(Structure.id))
            .where(
                col(Structure.departement).in_(who.departements),
                col(Structure.kind).in_([k.value for k in EMERGENCY_KINDS]),
                Place.status == S.VACANT,
            )
        )
        if commune is not None:
            query = query.where(Structure.commune == commune)
        return [offer.view(p, s) for p, s in session.exec(query.order_by(col(Place.id)))]

    return await _read(engine, work)


@router.post(
    "/places/{place_id}/assign",
    response_model=PlaceView,
    responses=ERRORS,
    summary="Mettre à l'abri : attribuer une place d'urgence à un ménage signalé",
)
async def assign(
    place_id: PlaceId,
    body: Assignment,
    engine: EngineDep,
    who: Handler,
) -> PlaceView:
    """Sans commission : la place devient occupée, le fil du ménage l'enregistre. Deux écoutants
    prenant le dernier lit en même temps : l'un l'obtient, l'autre reçoit 409."""

    def work(session: Session) -> PlaceView:
        offer.assign(session, who, place_id, body.household_id)
        return offer.view(*offer.place_for(session, who, place_id))

    return await _write(engine, work)


@router.post(
    "/places/{place_id}/prolongation",
    response_model=PlaceView,
    responses=ERRORS,
    summary="Prolonger une mise à l'abri au-delà de la libération du matin",
)
async def prolong(
    place_id: PlaceId, body: Prolongation, engine: EngineDep, who: Handler
) -> PlaceView:
    """La place reste attribuée jusqu'au jour dit (30 jours au plus) ; elle est libérée le
    lendemain matin à l'heure de la politique du département."""
    today = clock.now().date()
    if not today <= body.until <= today + LONGEST:
        raise ApiError(422, "Prolongation : une date d'aujourd'hui à 30 jours au plus.")

    def work(session: Session) -> PlaceView:
        place, structure = offer.place_for(session, who, place_id)
        if structure.kind not in EMERGENCY_KINDS or place.status != S.OCCUPIED:
            raise ApiError(
                409, "Action impossible : seule une place d'urgence occupée se prolonge."
            )
        place.held_until = body.until
        session.add(place)
        offer.note(session, who, place, structure, f"prolongation jusqu'au {body.until:%d/%m/%Y}")
        return offer.view(place, structure)

    return await _write(engine, work)
