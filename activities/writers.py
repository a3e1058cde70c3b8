"""How each accepted action turns its staged submission into records (one function per action)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from activities import measures, rows
from models.evaluations import (
    CommissionDecision,
    FlashEvaluation,
    InDepthEvaluation,
    Orientation,
    Placement,
    PlacementKind,
    Review,
    ReviewKind,
)
from models.pathway import Action, ApplyActionInput
from models.records import Household, Person
from models.vocab_orientation import PlaceType, Recommendation


def recommended_place(decision: CommissionDecision) -> str | None:
    """The place type a household waits for: the one the commission named; ordinary housing
    when it recommended housing without naming one; none for accompaniment alone."""
    if decision.place_type is not None:
        return str(decision.place_type)  # a PlaceType code (the body was checked)
    if decision.recommendation == Recommendation.LOGEMENT:
        return PlaceType.LOGEMENT_ORDINAIRE.value
    return None


Writer = Callable[[Session, ApplyActionInput, dict[str, Any]], None]


def _report(session: Session, inp: ApplyActionInput, payload: dict[str, Any]) -> None:
    members = payload.pop("members")
    payload.pop("id", None)
    household = rows.validated(
        Household,
        {
            **payload,
            "id": inp.household_id,
            "workflow_id": inp.workflow_id,
            "stage": inp.stage_after,
            "seniority_since": payload["encountered_at"],  # the request: waiting from then
        },
    )
    persons = [rows.validated(Person, {**m, "household_id": inp.household_id}) for m in members]
    rows.insert(session, household)  # first: persons reference the household
    rows.insert(session, *persons)


def timeliness(inp: ApplyActionInput) -> dict[str, Any]:
    """The due date the action met or missed, and whether its stated time was past it."""
    late = None if inp.due_at is None else inp.occurred_at > inp.due_at
    return {"due_at": inp.due_at, "late": late}


def _record(table: type[SQLModel], **extra: Any) -> Writer:
    def write(session: Session, inp: ApplyActionInput, payload: dict[str, Any]) -> None:
        row = {**payload, **extra, **timeliness(inp), "household_id": inp.household_id}
        rows.insert(session, rows.validated(table, {**row, "submission_id": inp.submission_id}))

    return write


def _answer_orientation(session: Session, inp: ApplyActionInput, payload: dict[str, Any]) -> None:
    latest = session.exec(
        select(Orientation)
        .where(Orientation.household_id == inp.household_id)
        .order_by(col(Orientation.proposed_at).desc(), col(Orientation.id).desc())
    ).first()
    if latest is None:  # the transition table makes this impossible; say so if it happens
        raise LookupError("aucune orientation à laquelle répondre")
    latest.answer = payload["answer"]
    latest.answered_at = datetime.fromisoformat(payload["answered_at"])
    latest.refused_by = payload.get("refused_by")
    latest.refusal_reason = payload.get("refusal_reason")
    latest.refusal_detail = payload.get("refusal_detail")
    answer = timeliness(inp)
    latest.answer_due_at, latest.answer_late = answer["due_at"], answer["late"]
    session.add(latest)


def _decide(session: Session, inp: ApplyActionInput, payload: dict[str, Any]) -> None:
    """The commission's recommendation: beside the rules' proposal it confirms or changes, and
    on the household, whose recommended place type makes it a candidate (models/ranking.py)."""
    household = session.get(Household, inp.household_id)
    proposed = household.proposed_place if household else None
    decision = CommissionDecision.model_validate(
        {
            **payload,
            **timeliness(inp),
            "household_id": inp.household_id,
            "submission_id": inp.submission_id,
        }
    )
    decision.proposed_place = proposed
    decision.follows_proposal = None if proposed is None else decision.place_type == proposed
    session.add(decision)
    if household is not None:
        household.recommended_place = recommended_place(decision)
        session.add(household)


def _in_depth(session: Session, inp: ApplyActionInput, payload: dict[str, Any]) -> None:
    _record(InDepthEvaluation)(session, inp, payload)
    household = session.get(Household, inp.household_id)
    if household is not None:  # re-evaluated: a refusal's hold-back ends (models/protocol.py)
        household.awaiting_reassessment = False
        session.add(household)


def _exit(session: Session, inp: ApplyActionInput, payload: dict[str, Any]) -> None:
    """Exit data lives on the household itself (see `apply_action`)."""


WRITERS: dict[Action, Writer] = {
    Action.REPORT: _report,
    Action.FLASH_EVALUATION: _record(FlashEvaluation),
    Action.IN_DEPTH_EVALUATION: _in_depth,
    Action.COMMISSION_DECISION: _decide,
    Action.ORIENTATION: _record(Orientation),
    Action.ACCEPT_ORIENTATION: _answer_orientation,
    Action.REFUSE_ORIENTATION: _answer_orientation,
    Action.ADMISSION: _record(Placement, kind=PlacementKind.ADMISSION),
    Action.HOUSING: _record(Placement, kind=PlacementKind.HOUSING),
    Action.REVIEW: _record(Review, kind=ReviewKind.REVIEW),
    Action.FOLLOW_UP: _record(Review, kind=ReviewKind.FOLLOW_UP),
    Action.LANDLORD_SOLICITATION: _record(Review, kind=ReviewKind.LANDLORD_SOLICITATION),
    Action.EXIT: _exit,
    Action.ACCOMPANIMENT_CHANGE: measures.write,
}
