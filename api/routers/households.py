"""First contact and the caseworker actions that move a household's pathway."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api import actions, examples, facts, idempotency, redaction, viewers
from api.deps import ActionContext, ActionContextDep
from api.disclosure import ANSWERS_A_WRITE, Access, Disclosed, Disclosure
from api.errors import ApiError, problem
from api.permissions import ACTION_PERMISSION, Permission
from api.security import Principal, household_for, require
from api.state import BookDep, EngineDep, TemporalDep
from models.pathway import Action
from models.schemas import (
    AdmissionCreate,
    CommissionDecisionCreate,
    ExitCreate,
    FirstContactCreate,
    FlashEvaluationCreate,
    HousingCreate,
    InDepthEvaluationCreate,
    OrientationCreate,
    OrientationResponseCreate,
    ReviewCreate,
)
from models.views import ActionRefused, FirstContactResult, PathwayView
from models.vocab_orientation import OrientationAnswer

router = APIRouter(prefix="/households", tags=["Parcours des ménages"])
HouseholdId = Annotated[str, Path(description="identifiant du ménage", pattern=r"^[0-9a-f-]{36}$")]
# 401, 403 and 422 are documented where the router is included (api.main).
ERRORS: dict[int | str, dict[str, Any]] = {
    404: problem("Ménage inconnu"),
    409: {
        "model": ActionRefused,
        "description": "Action refusée : impossible à l'étape actuelle, ou par les règles du "
        "département (sollicitation d'un bailleur hors fenêtre de suivi)",
    },
    503: problem("Temporal injoignable : rien n'a été enregistré"),
}


def _example(value: dict[str, Any], summary: str = "Exemple") -> dict[str, Any]:
    return {"exemple": {"summary": summary, "value": value}}


PathwayRead = Annotated[
    Disclosed,
    Depends(
        Disclosure(Access.READ, "parcours", "consultation de l'état du parcours"), scope="function"
    ),
]


def _earlier_pathway(ctx: ActionContext, earlier_id: str) -> None:
    """A recognised household's earlier pathway: in reach (404 otherwise) and closed."""
    with Session(ctx.engine) as session:
        if household_for(session, ctx.principal, earlier_id).closed_at is None:  # type: ignore[arg-type]
            raise ApiError(409, "Ce ménage a un parcours ouvert : poursuivez-le plutôt.")


@router.post(
    "",
    status_code=201,
    dependencies=[Depends(require(Permission.REPORT)), ANSWERS_A_WRITE],
    response_model=FirstContactResult,
    responses=ERRORS,
    summary="Signaler une personne ou un ménage rencontré (premier contact)",
)
async def report(
    body: Annotated[
        FirstContactCreate,
        Body(
            openapi_examples=_example(
                examples.first_contact(), "Personne seule rencontrée par une maraude"
            )
        ),
    ],
    ctx: ActionContextDep,
) -> Any:
    """Crée la fiche ménage et démarre le parcours ; l'échéance de l'évaluation flash (72 h par
    défaut) court depuis la rencontre. L'identifiant du ménage est choisi par le serveur :
    renvoyer la même requête avec la même clé d'idempotence (propre à votre compte) redonne le
    même ménage, sans doublon ; la même clé avec un autre contenu est refusée (422)."""
    if body.previous_household_id is not None:
        await run_in_threadpool(_earlier_pathway, ctx, body.previous_household_id)
    sid = idempotency.submission_id(Action.REPORT, ctx.idempotency_key, ctx.actor)
    household_id = idempotency.household_for_key(sid, ctx.idempotency_key is not None)
    state = await actions.send(
        ctx,
        household_id=household_id,
        departement=body.departement,
        action=Action.REPORT,
        body=body,
        occurred_at=body.encountered_at,
        referent_structure=body.referent_structure,
        facts=facts.of_first_contact(body),
    )
    return FirstContactResult(household_id=household_id, pathway=state)


def _action_route(
    path: str,
    action: Action,
    schema: type[BaseModel],
    date_field: str,
    summary: str,
    doc: str,
    example: dict[str, Any],
) -> None:
    annotated = Annotated[schema, Body(openapi_examples=_example(example))]  # type: ignore[valid-type]

    async def endpoint(
        household_id: HouseholdId,
        body: annotated,
        ctx: ActionContextDep,
    ) -> PathwayView:
        return await actions.send(
            ctx,
            household_id=household_id,
            action=action,
            body=body,
            occurred_at=getattr(body, date_field),
            facts=facts.of_action(action, body),
        )

    endpoint.__doc__ = doc
    endpoint.__name__ = f"record_{action.value}"
    router.add_api_route(
        f"/{{household_id}}/{path}",
        endpoint,
        methods=["POST"],
        dependencies=[Depends(require(ACTION_PERMISSION[action])), ANSWERS_A_WRITE],
        response_model=PathwayView,
        responses=ERRORS,
        summary=summary,
    )


_action_route(
    "flash-evaluation",
    Action.FLASH_EVALUATION,
    FlashEvaluationCreate,
    "evaluated_at",
    "Enregistrer l'évaluation flash (R-EVAL-2)",
    "Vulnérabilité, besoins immédiats, souhaits, expertises nécessaires. Lève "
    "l'échéance de 72 h et arme celle de l'évaluation approfondie (2 mois).",
    examples.flash(),
)
_action_route(
    "in-depth-evaluation",
    Action.IN_DEPTH_EVALUATION,
    InDepthEvaluationCreate,
    "evaluated_at",
    "Enregistrer l'évaluation approfondie (R-EVAL-4)",
    "Situation sociale, santé, situation administrative, souhaits, accompagnement et "
    "feuille de route. Possible ensuite pour la réactualiser.",
    examples.in_depth(),
)
_action_route(
    "commission-decision",
    Action.COMMISSION_DECISION,
    CommissionDecisionCreate,
    "decided_at",
    "Enregistrer la préconisation de la commission (R-COM-1)",
    "Le logement d'abord : logement, hébergement ou accompagnement, et les mesures.",
    examples.commission(),
)
_action_route(
    "orientation",
    Action.ORIENTATION,
    OrientationCreate,
    "proposed_at",
    "Proposer une orientation vers une structure ou un logement",
    "Arme l'échéance de réponse à l'orientation.",
    examples.orientation(),
)
_action_route(
    "admission",
    Action.ADMISSION,
    AdmissionCreate,
    "started_at",
    "Enregistrer l'admission en hébergement",
    "Arme la réactualisation de l'évaluation et la revue de parcours.",
    examples.placement(),
)
_action_route(
    "housing",
    Action.HOUSING,
    HousingCreate,
    "started_at",
    "Enregistrer l'accès au logement",
    "Ouvre la fenêtre de suivi post-logement (deux ans au plus, R-HOUS-3).",
    examples.placement("pension_de_famille"),
)
_action_route(
    "review",
    Action.REVIEW,
    ReviewCreate,
    "held_at",
    "Enregistrer une revue de parcours (R-FOLLOW-1)",
    "Réarme la revue suivante.",
    examples.review(),
)
_action_route(
    "follow-up",
    Action.FOLLOW_UP,
    ReviewCreate,
    "held_at",
    "Enregistrer un contact de suivi post-logement (R-HOUS-3)",
    "Maintien dans le logement, sollicitation du bailleur…",
    examples.review(),
)
_action_route(
    "landlord-solicitation",
    Action.LANDLORD_SOLICITATION,
    ReviewCreate,
    "held_at",
    "Enregistrer la sollicitation d'un bailleur (R-HOUS-3)",
    "Un bailleur social sollicite le SIAO pour un locataire qu'il a logé ; les règles du "
    "département décident si la sollicitation est recevable (fenêtre de suivi). Refusée par "
    "elles (`refuse_solicitation`), elle n'est pas enregistrée : 409 avec le motif.",
    examples.review(),
)
_action_route(
    "exit",
    Action.EXIT,
    ExitCreate,
    "exited_at",
    "Clore le parcours (sortie du dispositif)",
    "Enregistre la situation de sortie.",
    examples.exit_(),
)


@router.post(
    "/{household_id}/orientation/response",
    dependencies=[Depends(require(Permission.ORIENTATION_RESPONSE)), ANSWERS_A_WRITE],
    response_model=PathwayView,
    responses=ERRORS,
    summary="Enregistrer la réponse à l'orientation",
)
async def orientation_response(
    household_id: HouseholdId,
    body: Annotated[
        OrientationResponseCreate,
        Body(
            openapi_examples={
                "acceptee": {"summary": "Acceptée", "value": examples.accepted()},
                "refusee": {"summary": "Refusée par le ménage", "value": examples.refused()},
            }
        ),
    ],
    ctx: ActionContextDep,
) -> PathwayView:
    """Acceptée, ou refusée avec son motif (par le ménage, la structure ou administratif) :
    un refus renvoie le ménage devant la commission."""
    action = (
        Action.ACCEPT_ORIENTATION
        if body.answer is OrientationAnswer.ACCEPTEE
        else Action.REFUSE_ORIENTATION
    )
    return await actions.send(
        ctx,
        household_id=household_id,
        action=action,
        body=body,
        occurred_at=body.answered_at,
        facts=facts.of_action(action, body),
    )


@router.get(
    "/{household_id}/pathway",
    response_model=PathwayView,
    responses=ERRORS,
    summary="État vivant du parcours (lu dans le workflow)",
)
async def pathway(
    household_id: HouseholdId,
    client: TemporalDep,
    engine: EngineDep,
    book: BookDep,
    principal: Annotated[Principal, Depends(require(Permission.READ))],
    disclosed: PathwayRead,
) -> PathwayView:
    def scope() -> str:
        with Session(engine) as session:
            return household_for(session, principal, household_id).departement

    departement = await run_in_threadpool(scope)
    view = await actions.read_state(client, household_id)

    def seen() -> viewers.Viewer:
        return viewers.viewer(principal, stage=view.stage.value, departement=departement, book=book)

    shown = redaction.pathway(view, await run_in_threadpool(seen))
    disclosed.household(household_id, sorted(shown.model_dump(exclude_defaults=True)), departement)
    return shown
