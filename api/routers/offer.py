"""The offer (issue 10): structures and places, vacancies and departures declared the moment
they happen, the live count, and emergency shelter given by the 115 without a commission."""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import case, func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from activities import audit
from api import offer, vacancies
from api.errors import ApiError, problem
from api.permissions import Permission
from api.security import Principal, require
from api.state import EngineDep, SettingsDep, TemporalDep
from models.offer import (
    Funding,
    Place,
    PlaceStatus,
    Structure,
    StructureKind,
)
from models.offer_schemas import (
    OfferCount,
    PlaceCreate,
    PlaceView,
    StatusChange,
    StatusChangeView,
    StructureCreate,
    StructureView,
)

router = APIRouter(tags=["Offre : structures et places"])
T = TypeVar("T")
S = PlaceStatus
PlaceId = Annotated[int, Path(ge=1, le=2**31 - 1, description="identifiant de la place")]
StructureId = Annotated[int, Path(ge=1, le=2**31 - 1, description="identifiant de la structure")]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: problem("Place ou structure inconnue (ou hors de votre périmètre)"),
    409: problem("Action impossible au statut actuel de la place : rien n'a été modifié"),
}


Manager = Annotated[Principal, Depends(require(Permission.OFFER_MANAGE))]
Reader = Annotated[Principal, Depends(require(Permission.OFFER_READ))]
Declarer = Annotated[Principal, Depends(require(Permission.OFFER_DECLARE))]
Handler = Annotated[Principal, Depends(require(Permission.EMERGENCY_SHELTER))]


async def _write(engine: Any, work: Callable[[Session], T]) -> T:
    return await run_in_threadpool(audit.transaction, engine, work)


async def _read(engine: Any, work: Callable[[Session], T]) -> T:
    def run() -> T:
        with Session(engine) as session:
            return work(session)

    return await run_in_threadpool(run)


@router.post(
    "/structures",
    status_code=201,
    response_model=StructureView,
    responses=ERRORS,
    summary="Déclarer une structure",
)
async def create_structure(body: StructureCreate, engine: EngineDep, who: Manager) -> StructureView:
    """Type, public, capacité par composition, financement, contingent préfectoral, contact et
    exigences d'éligibilité (« doit » / « ne doit pas » sur le vocabulaire des règles)."""
    if body.departement not in who.departements:
        raise ApiError(403, "Accès refusé : département hors de votre périmètre.")

    def work(session: Session) -> StructureView:
        structure = Structure.model_validate(body.model_dump(mode="json"))
        session.add(structure)
        session.flush()
        audit.record(
            engine,
            actor=f"agent-{who.user_id}",
            action="écriture",
            record="structure",
            purpose=f"déclaration de la structure {structure.name}",
            departement=structure.departement,
            session=session,
        )
        return StructureView.model_validate(structure, from_attributes=True)

    return await _write(engine, work)


@router.get("/structures", response_model=list[StructureView], summary="Les structures")
async def list_structures(engine: EngineDep, who: Reader) -> list[StructureView]:
    """Celles de vos départements ; pour un gestionnaire, les siennes."""

    def work(session: Session) -> list[StructureView]:
        return [
            StructureView.model_validate(s, from_attributes=True)
            for s in offer.structures_of(session, who)
        ]

    return await _read(engine, work)


@router.post(
    "/structures/{structure_id}/places",
    status_code=201,
    response_model=PlaceView,
    responses=ERRORS,
    summary="Déclarer une place (ou un logement IML) d'une structure",
)
async def create_place(
    structure_id: StructureId,
    body: PlaceCreate,
    engine: EngineDep,
    settings: SettingsDep,
    client: TemporalDep,
    who: Manager,
) -> PlaceView:
    """Typologie, et pour l'IML : adresse, loyer négocié, charges, convention et ses dates. Une
    place déclarée vacante (hors urgence) ouvre aussitôt son protocole d'orientation."""
    if body.status is S.PROPOSED:
        raise ApiError(422, "Statut initial impossible : une place est proposée par le protocole.")

    def work(session: Session) -> PlaceView:
        structure = session.get(Structure, structure_id)
        if structure is None or not offer.reaches(who, structure):
            raise ApiError(404, "Structure inconnue.")
        place = Place.model_validate({**body.model_dump(mode="json"), "structure_id": structure_id})
        session.add(place)
        session.flush()
        assert place.id is not None
        session.add(
            offer.PlaceStatusChange(
                place_id=place.id,
                actor=f"agent-{who.user_id}",
                to_status=place.status,
                reason="déclaration de la place",
            )
        )
        return offer.view(place, structure)

    view = await _write(engine, work)
    if view.status is S.VACANT:
        await vacancies.open_protocol(client, settings.temporal_task_queue, engine, view.id)
    return view


@router.get("/places", response_model=list[PlaceView], summary="Les places et leur statut")
async def list_places(
    engine: EngineDep,
    who: Reader,
    structure_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: PlaceStatus | None = None,
) -> list[PlaceView]:
    def work(session: Session) -> list[PlaceView]:
        structures = {s.id: s for s in offer.structures_of(session, who)}
        query = select(Place).where(col(Place.structure_id).in_(list(structures)))
        if structure_id is not None:
            query = query.where(Place.structure_id == structure_id)
        if status is not None:
            query = query.where(Place.status == status)
        places = session.exec(query.order_by(col(Place.id)))
        return [offer.view(p, structures[p.structure_id]) for p in places]

    return await _read(engine, work)


def _declare(allowed: set[PlaceStatus], to: PlaceStatus, restarts: bool = False) -> Any:
    """The place becomes vacant, then its vacancy's protocol starts (not for emergency places:
    the 115 assigns those directly). `restarts`: declared again, a vacancy whose protocol never
    started starts it."""

    async def endpoint(
        place_id: PlaceId,
        body: StatusChange,
        engine: EngineDep,
        settings: SettingsDep,
        client: TemporalDep,
        who: Declarer,
    ) -> PlaceView:
        def work(session: Session) -> PlaceView:
            offer.move(session, who, place_id, allowed, to, body.reason, at=body.occurred_at)
            return offer.view(*offer.place_for(session, who, place_id))

        queue = settings.temporal_task_queue
        try:
            view = await _write(engine, work)
        except ApiError as refused:  # already vacant: its protocol may never have started
            if refused.status != 409 or not restarts:
                raise
            if not await vacancies.never_started(client, engine, place_id):
                raise
            view = await _read(engine, lambda s: offer.view(*offer.place_for(s, who, place_id)))
        await vacancies.open_protocol(client, queue, engine, place_id)
        return view

    return endpoint


router.add_api_route(
    "/places/{place_id}/vacancy",
    _declare({S.OCCUPIED, S.UNAVAILABLE}, S.VACANT, restarts=True),
    methods=["POST"],
    response_model=PlaceView,
    responses=ERRORS,
    summary="Déclarer une vacance (la place devient vacante)",
    description="Une place occupée ou indisponible devient vacante. Déjà vacante, ou proposée "
    "à un ménage : 409 avec le motif, rien n'est modifié.",
)
router.add_api_route(
    "/places/{place_id}/departure",
    _declare({S.OCCUPIED}, S.VACANT),
    methods=["POST"],
    response_model=PlaceView,
    responses=ERRORS,
    summary="Déclarer un départ (le ménage quitte la place, qui devient vacante)",
    description="Seule une place occupée connaît un départ : vacante, proposée ou "
    "indisponible → 409 avec le motif, rien n'est modifié.",
)


@router.get(
    "/places/{place_id}/history",
    response_model=list[StatusChangeView],
    responses=ERRORS,
    summary="L'historique des statuts d'une place",
)
async def place_history(
    place_id: PlaceId, engine: EngineDep, who: Reader
) -> list[StatusChangeView]:
    def work(session: Session) -> list[StatusChangeView]:
        offer.place_for(session, who, place_id)
        rows = offer.history(session, place_id)
        return [StatusChangeView.model_validate(r, from_attributes=True) for r in rows]

    return await _read(engine, work)


def _count(where: Any) -> Any:
    """How many of a group's places meet `where`."""
    return func.sum(case((where, 1), else_=0))


@router.get("/offer", response_model=list[OfferCount], summary="L'offre en temps réel")
async def live_offer(
    engine: EngineDep,
    who: Reader,
    departement: Annotated[str | None, Query(pattern=r"^(\d{2}|2A|2B|97\d)$")] = None,
    kind: StructureKind | None = None,
    commune: Annotated[str | None, Query(pattern=r"^[0-9AB]{5}$")] = None,
    funding: Funding | None = None,
) -> list[OfferCount]:
    """Places par type de structure, commune et financement, et par statut, dont celles du
    contingent préfectoral : compté en SQL à chaque appel, dans vos départements (un
    gestionnaire : ses structures)."""
    keys = tuple(
        col(c)
        for c in (Structure.departement, Structure.kind, Structure.commune, Structure.funding)
    )

    def work(session: Session) -> list[OfferCount]:
        quota = col(Place.state_quota).is_(True)
        query: Any = sql_select(
            *keys,
            func.count(col(Place.id)),
            *(_count(col(Place.status) == s.value) for s in S),
            _count(quota),
            _count(quota & (col(Place.status) == S.VACANT.value)),
        ).join(Place, col(Place.structure_id) == col(Structure.id))
        query = query.where(col(Structure.departement).in_(who.departements))
        if who.structure_scoped:
            query = query.where(col(Structure.name).in_(who.structures))
        for column, value in zip(keys, (departement, kind, commune, funding), strict=True):
            if value is not None:
                query = query.where(column == value)
        rows = session.exec(query.group_by(*keys).order_by(*keys)).all()
        names = ["departement", "kind", "commune", "funding", "total", *S]
        names += ["state_quota", "state_quota_vacant"]
        return [OfferCount.model_validate(dict(zip(names, row, strict=True))) for row in rows]

    return await _read(engine, work)
