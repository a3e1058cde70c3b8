"""Activities of the vacancy protocol: its terms from the policy, its read model, its stall alerts,
and the actions it sends to a household's pathway.

A workflow cannot update another: `send_pathway_action` runs the pathway's own update, so the
pathway's validator stays the one judge of what a household may do (a second proposal, a
closed pathway). Its entry is staged under an id made of the vacancy, the proposal and the
action, and the update carries that id: a retry after a crash applies nothing twice.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from core import clock
from core.db import session_scope
from models.failures import Failure
from models.offer import Place, PlaceStatus, PlaceStatusChange, Structure
from models.pathway import (
    PATHWAY_UPDATE,
    Action,
    ActionInput,
    PathwayState,
    Stage,
    pathway_workflow_id,
)
from models.protocol import (
    PLACE_TYPE_OF,
    Consequence,
    ProtocolTerms,
    ProtocolTermsInput,
    StallRecipient,
)
from models.records import Household, Submission, SubmissionStatus
from models.vacancy import (
    PathwayCallInput,
    Proposal,
    StallAlert,
    StallInput,
    Vacancy,
    VacancyRecordInput,
)
from models.vocab_orientation import OrientationAnswer
from rules.isolated import Policies

log = structlog.get_logger()
ACTOR = "protocole"  # the place moves by the protocol, on a caseworker's answer


def pathway_submission_id(inp: PathwayCallInput) -> str:
    return f"{inp.action.value}:{inp.vacancy.vacancy_id}:{inp.sequence}"


def _payload(session: Session, inp: PathwayCallInput) -> dict:
    """What the pathway's records get, as a caseworker's entry would give it."""
    at = inp.occurred_at.isoformat()
    place_type = PLACE_TYPE_OF[inp.vacancy.kind].value
    match inp.action:
        case Action.ORIENTATION:
            return {"proposed_at": at, "structure": inp.vacancy.structure, "place_type": place_type}
        case Action.ADMISSION | Action.HOUSING:
            started = datetime.combine(
                inp.started_on or inp.occurred_at.date(), datetime.min.time()
            )
            return {
                "started_at": started.replace(tzinfo=inp.occurred_at.tzinfo).isoformat(),
                "structure": inp.vacancy.structure,
                "place_type": place_type,
            }
        case Action.ACCEPT_ORIENTATION:
            return {"answer": OrientationAnswer.ACCEPTEE.value, "answered_at": at}
    note_id = inp.answer.get("note_id")
    note = session.get(Submission, note_id) if note_id else None
    detail = note.payload.get("refusal_detail") if note is not None else None
    if note is not None:
        session.delete(note)  # its text moves into the orientation record
    return {
        "answer": OrientationAnswer.REFUSEE.value,
        "answered_at": at,
        "refused_by": inp.answer.get("refused_by"),
        "refusal_reason": inp.answer.get("refusal_reason"),
        "refusal_detail": detail,
    }


def hold_back(household: Household, consequence: Consequence, until: datetime | None) -> None:
    """A refusal's consequence on the household, as ranking reads it in SQL."""
    if consequence is Consequence.LOSE_SENIORITY:  # waiting counts from this refusal
        household.seniority_since = clock.now()
    elif consequence is Consequence.PARK:
        household.held_until = until
    elif consequence is Consequence.UNTIL_REASSESSED:
        household.awaiting_reassessment = True


@dataclass
class VacancyActivities:
    engine: Engine
    policies: Policies
    client: Client | None = None  # the worker's client: pathways are updated through it

    @activity.defn(name="protocol_terms")
    def protocol_terms(self, inp: ProtocolTermsInput) -> ProtocolTerms:
        return self.policies.protocol(inp.departement, inp.kind)

    @activity.defn(name="record_vacancy")
    def record_vacancy(self, inp: VacancyRecordInput) -> None:
        """The vacancy's row, the moved proposal's row and the place's status, in one go."""
        v = inp.vacancy
        with session_scope(self.engine) as session:
            row = session.get(Vacancy, v.vacancy_id) or Vacancy(
                id=v.vacancy_id,
                place_id=v.place_id,
                number=int(v.vacancy_id.rsplit("-", 1)[1]),
                departement=v.departement,
                structure_id=v.structure_id,
                declared_at=v.declared_at,
            )
            row.step, row.updated_at = inp.step, clock.now()
            if inp.proposal is not None:
                self._proposal(session, inp)
                if inp.admitted_on is not None:
                    row.filled_by = inp.proposal.household_id
            session.add(row)
            if inp.place_to is not None:
                self._place(session, inp)

    def _proposal(self, session: Session, inp: VacancyRecordInput) -> None:
        p = inp.proposal
        assert p is not None
        row = session.exec(
            select(Proposal).where(
                Proposal.vacancy_id == inp.vacancy.vacancy_id,
                Proposal.household_id == p.household_id,
            )
        ).first() or Proposal(
            vacancy_id=inp.vacancy.vacancy_id,
            place_id=inp.vacancy.place_id,
            household_id=p.household_id,
            status=p.status,
            proposed_at=p.proposed_at,
        )
        row.status, row.due_at, row.accepted_at = p.status, p.due_at, p.accepted_at
        row.refused_by, row.refusal_reason = p.refused_by, p.reason
        household = session.get(Household, p.household_id)
        if household is not None and inp.consequence is not None and row.consequence is None:
            hold_back(household, inp.consequence, inp.parked_until)  # once per refusal
            session.add(household)
        row.consequence = inp.consequence or row.consequence
        row.parked_until = inp.parked_until or row.parked_until
        row.declined_after_accepting = row.declined_after_accepting or inp.declined_after_accepting
        row.admitted_on = inp.admitted_on or row.admitted_on
        row.updated_at = clock.now()
        session.add(row)

    def _place(self, session: Session, inp: VacancyRecordInput) -> None:
        to = inp.place_to
        assert to is not None
        place = session.get(Place, inp.vacancy.place_id)
        if place is None or place.status == to:
            return  # already there (a retry), or the place was deleted meanwhile
        holder = inp.proposal.household_id if inp.proposal and to != PlaceStatus.VACANT else None
        session.execute(
            update(Place)
            .where(col(Place.id) == place.id)
            .values(status=to.value, status_since=clock.now())
            .values(household_id=holder)
        )
        session.add(
            PlaceStatusChange(
                place_id=place.id,  # type: ignore[arg-type]
                actor=ACTOR,
                from_status=place.status,
                to_status=to,
                reason=f"protocole {inp.vacancy.vacancy_id}",
            )
        )

    @activity.defn(name="record_stall")
    def record_stall(self, inp: StallInput) -> None:
        with session_scope(self.engine) as session:
            structure = session.get(Structure, inp.vacancy.structure_id)
            contact = structure.contact if structure and structure.contact else None
            to_structure = inp.recipient is StallRecipient.STRUCTURE
            session.add(
                StallAlert(
                    vacancy_id=inp.vacancy.vacancy_id,
                    departement=inp.vacancy.departement,
                    household_id=inp.household_id,
                    reason=inp.reason,
                    recipient=inp.recipient,
                    recipient_structure=(contact or inp.vacancy.structure)
                    if to_structure
                    else None,
                    level=inp.level,
                    due_at=inp.due_at,
                )
            )
        log.warning(
            "vacancy_stalled",
            workflow_id=inp.vacancy.vacancy_id,
            reason=inp.reason.value,
            recipient=inp.recipient.value,
        )

    @activity.defn(name="send_pathway_action")
    async def send_pathway_action(self, inp: PathwayCallInput) -> Stage:
        """Run the action on the household's pathway; a refusal ends the call (non-retryable,
        with the pathway's own words)."""
        assert self.client is not None, "the worker gives its client"
        sid = pathway_submission_id(inp)
        await asyncio.to_thread(self._stage, sid, inp)
        act = ActionInput(
            action=inp.action, submission_id=sid, occurred_at=inp.occurred_at, actor=inp.actor
        )
        handle = self.client.get_workflow_handle(pathway_workflow_id(inp.household_id))
        try:
            state = await handle.execute_update(
                PATHWAY_UPDATE, act, id=sid, result_type=PathwayState
            )
        except WorkflowUpdateFailedError as exc:
            await asyncio.to_thread(self._drop, sid)
            cause = exc.cause
            message = cause.message if isinstance(cause, ApplicationError) else "action refusée"
            raise ApplicationError(
                message, type=Failure.ACTION_NOT_ALLOWED.value, non_retryable=True
            ) from exc
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                await asyncio.to_thread(self._drop, sid)
                raise ApplicationError(
                    "Action refusée : le parcours de ce ménage est clos ou inconnu.",
                    type=Failure.ACTION_NOT_ALLOWED.value,
                    non_retryable=True,
                ) from exc
            raise
        return state.stage

    def _stage(self, sid: str, inp: PathwayCallInput) -> None:
        with session_scope(self.engine) as session:
            if session.get(Submission, sid) is not None:
                return  # staged by an earlier try
            session.add(
                Submission(
                    id=sid,
                    household_id=inp.household_id,
                    action=inp.action,
                    payload=_payload(session, inp),
                    actor=inp.actor,
                )
            )

    def _drop(self, sid: str) -> None:
        with session_scope(self.engine) as session:
            submission = session.get(Submission, sid)
            if submission is not None and submission.status == SubmissionStatus.PENDING:
                session.delete(submission)
