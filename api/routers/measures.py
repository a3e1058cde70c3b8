"""Accompaniment measures (issue 10, item 5; R-RES-1, R-HOUS-2): the catalogue, a household's
measures, and the four acts on them — mobilise, change the intensity, transfer, end.

Each act is a pathway action (`accompaniment_change`, api/actions.py): the entry is staged, the
pathway accepts it (or refuses: 409, nothing kept), and the activity that applies it writes the
measure with the timeline in one transaction. The pathway keeps the kinds of the active measures
and follows the most intensive one: its re-evaluation deadline moves with it."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from activities import audit
from api import measures as sql
from api import redaction, viewers
from api.deps import ActionContextDep
from api.disclosure import ANSWERS_A_WRITE, Access, Disclosed, Disclosure
from api.errors import ApiError, problem
from api.permissions import Permission
from api.security import Principal, household_for, require
from api.state import BookDep, EngineDep
from models.measure_schemas import (
    IntensityChange,
    MeasureCreate,
    MeasureEnd,
    MeasureResult,
    MeasureServiceCreate,
    MeasureServiceView,
    MeasureView,
    Transfer,
)
from models.measures import MeasureChangeKind, MeasureKind, MeasureService
from models.views import ActionRefused

router = APIRouter(tags=["Mesures d'accompagnement"])
K = MeasureChangeKind
HouseholdId = Annotated[str, Path(description="identifiant du ménage", pattern=r"^[0-9a-f-]{36}$")]
MeasureId = Annotated[int, Path(ge=1, le=2**31 - 1, description="identifiant de la mesure")]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: problem("Ménage, mesure ou service inconnu (ou hors de votre périmètre)"),
    409: {
        "model": ActionRefused,
        "description": "Rien n'a été modifié : service complet, mesure du même type en cours, "
        "mesure terminée, transfert vers un autre type, ou parcours clos ou pas encore évalué",
    },
    503: problem("Temporal injoignable ou action non confirmée : rien n'a été enregistré"),
}
Catalogue = Annotated[Principal, Depends(require(Permission.OFFER_MANAGE))]
Reader = Annotated[Principal, Depends(require(Permission.MEASURES_READ))]
MANAGE = [Depends(require(Permission.MEASURES_MANAGE)), ANSWERS_A_WRITE]
MeasuresRead = Annotated[
    Disclosed,
    Depends(
        Disclosure(Access.READ, "mesures d'accompagnement", "consultation des mesures du ménage"),
        scope="function",
    ),
]


def _examples(**cases: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: {"summary": summary, "value": value} for name, (summary, value) in cases.items()}


@router.post(
    "/measure-services",
    status_code=201,
    response_model=MeasureServiceView,
    summary="Déclarer un service d'accompagnement (catalogue des mesures)",
)
async def create_service(
    body: Annotated[
        MeasureServiceCreate,
        Body(
            openapi_examples=_examples(
                avdl=(
                    "AVDL d'une association",
                    {
                        "departement": "75",
                        "kind": "avdl",
                        "operator": "Association Logement Pour Tous",
                        "capacity": 40,
                        "intensity": "moyen",
                    },
                )
            )
        ),
    ],
    engine: EngineDep,
    who: Catalogue,
) -> MeasureServiceView:
    """Type de mesure (AVDL, ASLL, accompagnement IML, EMPP, ACT…), opérateur, capacité (ménages
    accompagnés en même temps) et intensité."""
    if body.departement not in who.departements:
        raise ApiError(403, "Accès refusé : département hors de votre périmètre.")

    def work(session: Session) -> MeasureServiceView:
        service = MeasureService.model_validate(body.model_dump(mode="json"))
        session.add(service)
        session.flush()
        audit.record(
            engine,
            actor=f"agent-{who.user_id}",
            action="écriture",
            record="service d'accompagnement",
            purpose=f"déclaration du service {service.operator} ({service.kind})",
            departement=service.departement,
            session=session,
        )
        return sql.view_of_service(service, 0)

    return await run_in_threadpool(audit.transaction, engine, work)


@router.get(
    "/measure-services",
    response_model=list[MeasureServiceView],
    summary="Le catalogue des mesures et les places restantes",
)
async def list_services(
    engine: EngineDep,
    who: Reader,
    kind: MeasureKind | None = None,
    departement: Annotated[str | None, Query(pattern=r"^(\d{2}|2A|2B|97\d)$")] = None,
) -> list[MeasureServiceView]:
    """Ceux de vos départements ; places restantes = capacité moins les mesures en cours,
    comptées en SQL à chaque appel."""

    def work() -> list[MeasureServiceView]:
        with Session(engine) as session:
            return sql.services_of(session, who, kind, departement)

    return await run_in_threadpool(work)


@router.get(
    "/households/{household_id}/measures",
    response_model=list[MeasureView],
    responses={404: problem("Ménage inconnu")},
    summary="Les mesures d'accompagnement d'un ménage (en cours et terminées)",
)
async def household_measures(
    household_id: HouseholdId,
    engine: EngineDep,
    book: BookDep,
    who: Reader,
    disclosed: MeasuresRead,
) -> list[MeasureView]:
    """Avec leur historique ; un type qui révèle la santé (EMPP, ACT, LHSS) est masqué pour qui
    n'accompagne pas le ménage."""

    def work() -> list[MeasureView]:
        with Session(engine) as session:
            household = household_for(session, who, household_id)
            shown = sql.views(session, sql.of_household(session, household_id))
        seen = viewers.viewer(
            who, stage=household.stage, departement=household.departement, book=book
        )
        disclosed.household(household_id, ["mesures"], household.departement)
        return [redaction.measure(m, seen) for m in shown]

    return await run_in_threadpool(work)


@router.post(
    "/households/{household_id}/measures",
    status_code=201,
    dependencies=MANAGE,
    response_model=MeasureResult,
    responses=ERRORS,
    summary="Mobiliser une mesure d'accompagnement pour un ménage (R-HOUS-2)",
)
async def mobilise(
    household_id: HouseholdId,
    body: Annotated[
        MeasureCreate,
        Body(openapi_examples=_examples(avdl=("AVDL, intensité du service", {"service_id": 1}))),
    ],
    ctx: ActionContextDep,
) -> MeasureResult:
    """Après l'évaluation approfondie. Le parcours suit l'intensité la plus forte des mesures en
    cours : la réactualisation de l'évaluation est réarmée quand elle change. 409 si le service
    est complet, si une mesure du même type est déjà en cours, ou si le parcours est clos."""
    op = sql.operation(K.MOBILISATION, body, "started_at", service_id=body.service_id)
    return await sql.act(ctx, op, household_id)


@router.post(
    "/measures/{measure_id}/intensity",
    dependencies=MANAGE,
    response_model=MeasureResult,
    responses=ERRORS,
    summary="Changer l'intensité d'une mesure (la réactualisation suit)",
)
async def change_intensity(
    measure_id: MeasureId,
    body: Annotated[
        IntensityChange,
        Body(
            openapi_examples=_examples(intensif=("Passage en intensif", {"intensity": "intensif"}))
        ),
    ],
    ctx: ActionContextDep,
) -> MeasureResult:
    """L'échéance de réactualisation (hébergé) est recalculée depuis la date du changement avec
    l'intensité la plus forte des mesures en cours ; une échéance déjà dépassée le reste."""
    return await sql.act(
        ctx, sql.operation(K.INTENSITE, body, "changed_at", measure_id=measure_id), None
    )


@router.post(
    "/measures/{measure_id}/transfer",
    status_code=201,
    dependencies=MANAGE,
    response_model=MeasureResult,
    responses=ERRORS,
    summary="Transférer une mesure vers un autre service du même type (sans rupture)",
)
async def transfer(
    measure_id: MeasureId,
    body: Annotated[
        Transfer,
        Body(
            openapi_examples=_examples(relais=("Relais par un autre opérateur", {"service_id": 2}))
        ),
    ],
    ctx: ActionContextDep,
) -> MeasureResult:
    """L'ancienne mesure se termine (motif « relais »), la nouvelle commence le même jour avec la
    même intensité et le lien vers l'ancienne (`transferred_from`)."""
    op = sql.operation(K.TRANSFERT, body, "transferred_at", measure_id=measure_id)
    return await sql.act(ctx, op, None)


@router.post(
    "/measures/{measure_id}/end",
    dependencies=MANAGE,
    response_model=MeasureResult,
    responses=ERRORS,
    summary="Mettre fin à une mesure, avec son motif",
)
async def end(
    measure_id: MeasureId,
    body: Annotated[
        MeasureEnd,
        Body(
            openapi_examples=_examples(
                atteints=("Objectifs atteints", {"reason": "objectifs_atteints"}),
                autre=("Autre motif, précisé", {"reason": "autre", "detail": "déménagement"}),
            )
        ),
    ],
    ctx: ActionContextDep,
) -> MeasureResult:
    """Motif de la liste ; « autre » demande une précision (422 sans elle). Déjà terminée : 409.
    Un parcours clos n'empêche pas de clore une mesure qui lui survit."""
    op = sql.operation(K.FIN, body, "ended_at", measure_id=measure_id)
    return await sql.act(ctx, op, None)
