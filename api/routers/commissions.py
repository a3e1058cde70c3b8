"""Commission sessions (R-COM-1, R-COM-2): the coordinator opens a session of the single or the
partnership commission with its members, its agenda lists the households ready for a decision,
and each decision taken in it is the pathway's own `commission_decision` action, recorded with
the session and the members present. The queries are in api/commissions.py."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from activities import audit
from api import actions, facts, idempotency, redaction, viewers
from api import commissions as sql
from api.deps import ActionContextDep
from api.disclosure import ANSWERS_A_WRITE, Access, Disclosed, Disclosure
from api.errors import ApiError, problem
from api.permissions import ACTION_PERMISSION, Permission
from api.security import Principal, require
from api.state import BookDep, EngineDep
from models.commissions import (
    AgendaDecision,
    AgendaItem,
    AgendaReason,
    CommissionSession,
    CommissionSessionCreate,
    CommissionSessionView,
    SessionDecisionCreate,
    SessionStatus,
)
from models.pathway import Action
from models.views import ActionRefused, PathwayView
from models.vocab import Flag
from models.vocab_orientation import NotHousingReason, PlaceType

router = APIRouter(prefix="/commissions", tags=["Commissions"])
CommissionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="identifiant de la séance")]
HouseholdId = Annotated[str, Path(description="identifiant du ménage", pattern=r"^[0-9a-f-]{36}$")]
Responses = dict[int | str, dict[str, Any]]
UNKNOWN: Responses = {404: problem("Séance de commission inconnue (ou d'un autre département)")}
CLOSED: Responses = {409: problem("Séance déjà close")}
DECISION_ERRORS: Responses = {
    404: problem("Séance ou ménage inconnu (ou d'un autre département)"),
    409: {
        "model": ActionRefused,
        "description": "Décision refusée : séance close, ménage absent de l'ordre du jour ou "
        "déjà décidé dans cette séance, ou action impossible à l'étape du parcours",
    },
    503: problem("Temporal injoignable : rien n'a été enregistré"),
}
Reader = Annotated[Principal, Depends(require(Permission.COMMISSION_SESSIONS))]
Manager = Annotated[Principal, Depends(require(Permission.COMMISSION_SESSIONS_MANAGE))]
AgendaRead = Annotated[
    Disclosed,
    Depends(
        Disclosure(Access.READ, "ordre du jour de commission", "préparation de la commission"),
        scope="function",
    ),
]


def _record(engine: Any, who: Principal, row: CommissionSession, purpose: str, s: Session) -> None:
    audit.record(
        engine,
        actor=f"agent-{who.user_id}",
        action=Access.WRITE.value,
        record="séance de commission",
        purpose=purpose,
        departement=row.departement,
        session=s,
    )


@router.post(
    "",
    status_code=201,
    response_model=CommissionSessionView,
    summary="Ouvrir une séance de commission (unique ou partenariale)",
)
def open_session(
    body: Annotated[
        CommissionSessionCreate,
        Body(
            openapi_examples={
                "partenariale": {
                    "summary": "Commission partenariale avec l'équipe mobile psychiatrie",
                    "value": {
                        "departement": "75",
                        "kind": "partenariale",
                        "members": ["c.martin", "a.diallo"],
                        "partners": ["EMPP Paris Centre", "Association Aurore"],
                    },
                }
            }
        ),
    ],
    engine: EngineDep,
    who: Manager,
) -> CommissionSessionView:
    """Pour l'un de vos départements. Chaque membre est un compte actif du département ayant le
    rôle commission ou coordination (422 nommant les autres)."""
    if body.departement not in who.departements:
        raise ApiError(403, "Accès refusé : ce département n'est pas le vôtre.")

    def work(s: Session) -> CommissionSessionView:
        sql.check_members(s, body.departement, body.members)
        row = CommissionSession.model_validate(
            {**body.model_dump(), "created_by": f"agent-{who.user_id}"}
        )
        s.add(row)
        s.flush()
        _record(engine, who, row, f"ouverture de la séance {row.id} ({row.kind})", s)
        return CommissionSessionView.of(row)

    return audit.transaction(engine, work)


@router.get("", response_model=list[CommissionSessionView], summary="Les séances de commission")
def list_sessions(
    engine: EngineDep,
    who: Reader,
    status: Annotated[SessionStatus | None, Query(description=SessionStatus.describe())] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CommissionSessionView]:
    """Celles de vos départements, les plus récentes d'abord."""
    with Session(engine) as s:
        return [CommissionSessionView.of(row) for row in sql.sessions_of(s, who, status, limit)]


@router.get(
    "/{commission_id}",
    response_model=CommissionSessionView,
    responses=UNKNOWN,
    summary="Une séance de commission",
)
def get_session(commission_id: CommissionId, engine: EngineDep, who: Reader) -> Any:
    with Session(engine) as s:
        return CommissionSessionView.of(sql.session_for(s, who, commission_id))


def _item(row: sql.AgendaRow, v: viewers.Viewer) -> AgendaItem:
    """One household of the agenda, as this reader may see it (api/redaction.py's rule)."""
    h, taken = row.household, row.decision

    def shown(codes: Any, value: str | None) -> str | None:
        return value if value is None or v.shows_value(codes, value) else redaction.HIDDEN

    decision = None
    if taken is not None and taken.id is not None:
        decision = AgendaDecision(
            decision_id=taken.id,
            decided_at=taken.decided_at,
            recommendation=taken.recommendation,
            place_type=shown(PlaceType, taken.place_type),
            members_present=list(taken.members_present),
        )
    reason = row.reason
    if reason is AgendaReason.SEJOUR_LONG and not v.shows_value(Flag, Flag.LONG_STAY_REVIEW):
        reason = AgendaReason.ORIENTATION_PARTENARIALE  # the reason would tell the hidden flag
    return AgendaItem.model_validate(
        {
            "household_id": h.id,
            "stage": h.stage,
            "reason": reason,
            "seniority_since": h.seniority_since,
            "proposed_place": shown(PlaceType, h.proposed_place),
            "proposal_reason": shown(NotHousingReason, h.proposal_reason),
            "flags": [f for f in h.flags if v.shows_value(Flag, f)],
            "to_decide": taken is None,
            "decision": decision,
        }
    )


@router.get(
    "/{commission_id}/agenda",
    response_model=list[AgendaItem],
    responses=UNKNOWN,
    summary="L'ordre du jour : les ménages prêts pour une décision",
)
def session_agenda(
    commission_id: CommissionId,
    engine: EngineDep,
    book: BookDep,
    who: Reader,
    disclosed: AgendaRead,
) -> list[AgendaItem]:
    """Commission unique : les ménages du département dont l'évaluation approfondie est faite ou
    revenus devant la commission (après un refus d'orientation, ou en attente d'orientation),
    sauf ceux que les règles orientent vers la commission partenariale. Commission
    partenariale : ceux-là, et les ménages hébergés signalés pour un séjour anormalement long.
    Les plus anciens d'abord (ancienneté), sans ancienneté en dernier. Les ménages décidés dans
    cette séance restent listés avec leur décision (`to_decide` : faux), même s'ils ont avancé
    depuis ; une séance close ne liste plus que ceux-là. Chaque lecture est tracée dans le
    journal d'audit."""
    with Session(engine) as s:
        rows = sql.agenda(s, sql.session_for(s, who, commission_id))
    seen_by: dict[str, viewers.Viewer] = {}
    items = []
    for row in rows:
        h = row.household
        if h.stage not in seen_by:
            seen_by[h.stage] = viewers.viewer(
                who, stage=h.stage, departement=h.departement, book=book
            )
        item = _item(row, seen_by[h.stage])
        disclosed.household(h.id, sorted(item.model_dump(exclude_none=True)), h.departement)
        items.append(item)
    return items


@router.post(
    "/{commission_id}/decisions/{household_id}",
    dependencies=[Depends(require(ACTION_PERMISSION[Action.COMMISSION_DECISION])), ANSWERS_A_WRITE],
    response_model=PathwayView,
    responses=DECISION_ERRORS,
    summary="Rendre la décision de la séance pour un ménage de l'ordre du jour",
)
async def decide(
    commission_id: CommissionId,
    household_id: HouseholdId,
    body: Annotated[
        SessionDecisionCreate,
        Body(
            openapi_examples={
                "logement": {
                    "summary": "Pension de famille, avec un accompagnement",
                    "value": {
                        "decided_at": "2025-03-04T10:30:00+01:00",
                        "commission": "unique",
                        "recommendation": "logement",
                        "place_type": "pension_de_famille",
                        "measures": ["avdl"],
                        "members_present": ["c.martin", "a.diallo"],
                    },
                }
            }
        ),
    ],
    ctx: ActionContextDep,
) -> PathwayView:
    """Enregistrée comme la préconisation de la commission (`commission_decision`), avec la
    séance et les membres présents. `commission` vaut le type de la séance (par défaut) ; les
    membres présents sont des membres de la séance. Renvoyer la même requête avec la même clé
    d'idempotence redonne le même résultat, sans doublon."""
    who = ctx.principal
    assert who is not None  # a route's context always has its caller
    sid = idempotency.submission_id(Action.COMMISSION_DECISION, ctx.idempotency_key, ctx.actor)

    def check() -> Any:
        with Session(ctx.engine) as s:
            return sql.decision_entry(s, who, commission_id, household_id, body, sid)

    entry = await run_in_threadpool(check)
    return await actions.send(
        ctx,
        household_id=household_id,
        action=Action.COMMISSION_DECISION,
        body=entry,
        occurred_at=entry.decided_at,
        facts=facts.of_action(Action.COMMISSION_DECISION, entry),
    )


@router.post(
    "/{commission_id}/close",
    response_model=CommissionSessionView,
    responses={**UNKNOWN, **CLOSED},
    summary="Clore une séance : elle ne rend plus de décision",
)
def close_session(commission_id: CommissionId, engine: EngineDep, who: Manager) -> Any:
    def work(s: Session) -> CommissionSessionView:
        row = sql.session_for(s, who, commission_id)
        if row.status == SessionStatus.CLOSE:
            raise ApiError(409, "Séance déjà close.")
        row.status = SessionStatus.CLOSE
        s.add(row)
        _record(engine, who, row, f"clôture de la séance {row.id}", s)
        return CommissionSessionView.of(row)

    return audit.transaction(engine, work)
