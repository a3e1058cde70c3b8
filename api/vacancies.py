"""The vacancy protocol seen from the API: start a vacancy's workflow, check a proposal before
sending it (eligibility, refusals' consequences), send an update and map its outcome."""

import asyncio
import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from temporalio.client import Client, RPCTimeoutOrCancelledError, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from api.offer import reaches
from api.security import Principal
from models.evaluations import InDepthEvaluation
from models.failures import Failure
from models.offer import EMERGENCY_KINDS, Place, PlaceStatus, PlaceStatusChange, Structure
from models.pathway import UPDATE_WAIT_SECONDS
from models.protocol import Consequence, ProtocolStep, vacancy_id
from models.vacancy import Proposal, StallAlert, Vacancy, VacancyInput, VacancyState
from models.vacancy_schemas import ProposalView, StallAlertView, VacancyView
from rules.vocabulary import FACTS
from workflows import search_attributes as sa
from workflows.vacancy import VacancyWorkflow

UNKNOWN = "Vacance inconnue."


def _opening(session: Session, place_id: int) -> VacancyInput | None:
    """The vacancy a place's last move to `vacant` opened (None: an emergency place, assigned
    by the 115 without a protocol, or a place not vacant)."""
    place = session.get(Place, place_id)
    structure = session.get(Structure, place.structure_id) if place else None
    if place is None or structure is None or place.status != PlaceStatus.VACANT:
        return None
    if structure.kind in EMERGENCY_KINDS:
        return None
    opened = session.exec(
        select(func.count())
        .select_from(PlaceStatusChange)
        .where(
            PlaceStatusChange.place_id == place_id,
            PlaceStatusChange.to_status == PlaceStatus.VACANT,
        )
    ).one()
    return VacancyInput(
        vacancy_id=vacancy_id(place_id, max(int(opened), 1)),
        place_id=place_id,
        structure_id=structure.id,
        structure=structure.name,
        kind=structure.kind,
        departement=structure.departement,
        declared_at=place.status_since,
        actor="protocole",
    )


async def open_protocol(client: Client, task_queue: str, engine: Engine, place_id: int) -> None:
    """Start the vacancy's workflow (again: the same id is found running). The place stays
    vacant if Temporal cannot be reached; declaring it again starts the protocol."""

    def opening() -> VacancyInput | None:
        with Session(engine) as session:
            return _opening(session, place_id)

    inp = await asyncio.to_thread(opening)
    if inp is None:
        return
    try:
        await client.start_workflow(
            VacancyWorkflow.run,
            inp,
            id=inp.vacancy_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.DEPARTEMENT, inp.departement),
                    SearchAttributePair(sa.STAGE, ProtocolStep.AWAITING_PROPOSAL.value),
                ]
            ),
            static_summary=f"Vacance — place {place_id} ({inp.kind.label}) — {inp.departement}",
        )
    except RPCError as exc:
        raise ApiError(
            503,
            "La place est vacante mais son protocole n'a pas pu démarrer : déclarez la vacance "
            "à nouveau dans un instant.",
        ) from exc


async def never_started(client: Client, engine: Engine, place_id: int) -> bool:
    """A vacant place whose protocol never started (Temporal was down when it was declared):
    declaring it again starts it instead of answering « déjà vacante »."""

    def opening() -> VacancyInput | None:
        with Session(engine) as session:
            return _opening(session, place_id)

    inp = await asyncio.to_thread(opening)
    if inp is None:
        return False
    try:
        await client.get_workflow_handle(inp.vacancy_id).describe()
    except RPCError as exc:
        return exc.status is RPCStatusCode.NOT_FOUND
    return False


def vacancy_for(session: Session, who: Principal, vid: str) -> tuple[Vacancy, Structure]:
    vacancy = session.get(Vacancy, vid)
    structure = session.get(Structure, vacancy.structure_id) if vacancy else None
    if vacancy is None or structure is None or not reaches(who, structure):
        raise ApiError(404, UNKNOWN)
    return vacancy, structure


def view(session: Session, vacancy: Vacancy) -> VacancyView:
    proposals = session.exec(
        select(Proposal).where(Proposal.vacancy_id == vacancy.id).order_by(col(Proposal.id))
    )
    alerts = session.exec(
        select(StallAlert).where(StallAlert.vacancy_id == vacancy.id).order_by(col(StallAlert.id))
    )
    return VacancyView.model_validate(
        {
            **vacancy.model_dump(mode="json", warnings=False),
            "proposals": [
                ProposalView.model_validate(p.model_dump(mode="json", warnings=False))
                for p in proposals
            ],
            "alerts": [
                StallAlertView.model_validate(a.model_dump(mode="json", warnings=False))
                for a in alerts
            ],
        }
    )


def unmet(requirements: list[dict[str, Any]], facts: dict[str, Any]) -> list[str]:
    """The place's requirements this household does not meet, each in French."""
    found = []
    for req in requirements:
        fact, must, codes = req["fact"], req["rule"] == "must", set(req.get("codes") or [])
        value = facts.get(fact)
        values = set(value) if isinstance(value, list) else {value}
        held = bool(value) if FACTS[fact].kind == "bool" else bool(values & codes)
        meets = held is must
        if not meets:
            wanted = ", ".join(sorted(codes)) or "oui"
            found.append(f"« {fact} » {'doit' if must else 'ne doit pas'} valoir {wanted}")
    return found


def held_back(session: Session, household_id: str, now: datetime) -> str | None:
    """Why a household may not be proposed yet, by the consequence of its last refusal."""
    last = session.exec(
        select(Proposal)
        .where(Proposal.household_id == household_id, col(Proposal.consequence).is_not(None))
        .order_by(col(Proposal.updated_at).desc())
    ).first()
    if last is None:
        return None
    until = last.parked_until
    if until is not None and until.tzinfo is None:  # SQLite gives naive UTC back
        until = until.replace(tzinfo=now.tzinfo)
    if last.consequence == Consequence.PARK and until is not None and until > now:
        return f"ménage en attente jusqu'au {until:%d/%m/%Y} après son dernier refus"
    if last.consequence == Consequence.UNTIL_REASSESSED:
        reassessed = session.exec(
            select(InDepthEvaluation.id).where(
                InDepthEvaluation.household_id == household_id,
                col(InDepthEvaluation.recorded_at) > last.updated_at,
            )
        ).first()
        if reassessed is None:
            return "ménage à réévaluer (évaluation approfondie) avant une nouvelle proposition"
    return None


def update_id(name: str, household_id: str, actor: str, key: str | None) -> str | None:
    """A client's retry (same Idempotency-Key) finds its update's result."""
    if key is None:
        return None
    digest = hashlib.sha256(f"{actor}\0{key}".encode()).hexdigest()[:32]
    return f"{name}:{household_id}:{digest}"


async def send(client: Client, vid: str, update: Any, inp: BaseModel, uid: str | None) -> None:
    """Run the update; 409 with the protocol's (or the pathway's) own words when refused."""
    handle = client.get_workflow_handle(vid)
    try:
        async with asyncio.timeout(UPDATE_WAIT_SECONDS):
            await handle.execute_update(update, inp, id=uid, result_type=VacancyState)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == Failure.ACTION_NOT_ALLOWED.value:
            raise ApiError(409, f"{cause.message} Rien n'a été modifié.") from exc
        raise ApiError(503, "Le protocole n'a pas pu enregistrer l'action : réessayez.") from exc
    except (RPCTimeoutOrCancelledError, TimeoutError) as exc:
        raise ApiError(
            503, "Le protocole n'a pas confirmé l'action à temps : réessayez avec la même clé."
        ) from exc
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise ApiError(
                409,
                "Action impossible : cette vacance est close. Rien n'a été modifié.",
            ) from exc
        raise ApiError(503, "Temporal est injoignable : réessayez.") from exc
