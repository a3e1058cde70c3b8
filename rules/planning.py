"""Pure, deterministic planning of a pathway: the next state, the deadlines to arm, the facts the
rules see, and what their decisions change. No I/O, no clock: `now` is passed in. Used by
PathwayWorkflow (the wake-ups, the refusals) and by the activity that records an action."""

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from models.decisions import DeadlineDurations, Effects, Evaluation
from models.pathway import (
    Action,
    ActionInput,
    ApplyActionInput,
    Deadline,
    DeadlineKind,
    PathwayState,
    Stage,
    add_duration,
    duration_for,
)
from models.transitions import (
    CLEARS,
    REARMS,
    STAGE_DEADLINES,
    START_FACT,
    Expiry,
    Guard,
    GuardFacts,
    Refusal,
    refused,
)
from models.vocab import AccompanimentIntensity
from models.vocab_orientation import CommissionKind
from rules.vocabulary import Event, RuleFacts

SYSTEM_ACTOR = "system"  # the actor of what the pathway does by itself
# What planning may raise on a policy it cannot apply (e.g. a duration beyond the calendar).
PLANNING_ERRORS = (ArithmeticError, ValueError, TypeError, KeyError)


def wakeup_offset(workflow_id: str, spread_seconds: int) -> timedelta:
    """This pathway's place in the wake-up window (PathwayInput.wakeup_spread_seconds): the same
    for all its deadlines, so their order holds. The deadline itself, its alert's due date and
    the search attribute are unchanged; only the moment the work is done moves."""
    if spread_seconds <= 0:
        return timedelta(0)
    digest = hashlib.sha256(workflow_id.encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:4], "big") % spread_seconds)


# The event the rules see when an action is recorded (tests/test_decisions.py: every action).
EVENT_OF: dict[Action, Event] = {
    Action.REPORT: Event.REPORTED,
    Action.FLASH_EVALUATION: Event.FLASH_RECORDED,
    Action.IN_DEPTH_EVALUATION: Event.IN_DEPTH_RECORDED,
    Action.COMMISSION_DECISION: Event.COMMISSION_DECISION,
    Action.ORIENTATION: Event.ORIENTATION_PROPOSED,
    Action.ACCEPT_ORIENTATION: Event.ORIENTATION_ACCEPTED,
    Action.REFUSE_ORIENTATION: Event.ORIENTATION_REFUSED,
    Action.ADMISSION: Event.ADMITTED,
    Action.HOUSING: Event.HOUSED,
    Action.FOLLOW_UP: Event.FOLLOW_UP,
    Action.REVIEW: Event.REVIEW_RECORDED,
    Action.LANDLORD_SOLICITATION: Event.LANDLORD_SOLICITATION,
    Action.EXIT: Event.EXIT,
    Action.ACCOMPANIMENT_CHANGE: Event.ACCOMPANIMENT_CHANGED,
}


def guard_facts(state: PathwayState, inp: ActionInput | None = None) -> GuardFacts:
    """What the table's guards read: the state, and the commission the action names."""
    named = inp.facts.get("commission") if inp is not None else None
    return GuardFacts(
        orientation_accepted=state.orientation_accepted,
        routed_to_partnership=bool(state.partnership_commission),
        commission=next((kind for kind in CommissionKind if kind == named), None),
    )


def refusal(state: PathwayState, inp: ActionInput, started: bool) -> str | None:
    """Why this action cannot be taken now, in French; None when it can."""
    stage = state.stage if started else None
    why = refused(stage, inp.action, guard_facts(state, inp))
    if why is Guard.COMMISSION_OF_ROUTE:
        return f"{why.label} ({state.partnership_commission})"
    if why is Refusal.OUT_OF_STAGE:
        return f"« {inp.action.label} » n'est pas possible à l'étape « {state.stage.label} »"
    return why.label if why is not None else None


def expiry_action(expiry: Expiry, now: datetime) -> ActionInput:
    """The action the system takes when a deadline runs out (transitions.ON_EXPIRY)."""
    return ActionInput(
        action=expiry.action,
        occurred_at=now,
        actor=SYSTEM_ACTOR,
        exit_situation=expiry.exit_situation,
    )


def deadline_plan(
    deadlines: list[Deadline],
    action: Action,
    before: Stage | None,
    after: Stage,
    intensity_changed: bool = False,
) -> tuple[list[Deadline], set[DeadlineKind]]:
    """Deadlines kept (still awaited in the new stage, not cleared) and kinds to arm. A deadline
    an action re-arms without clearing it (transitions.REARMS) moves only when the
    accompaniment intensity changed, and only while it is not missed."""
    waited = STAGE_DEADLINES.get(after, frozenset())
    cleared = CLEARS.get(action, frozenset())
    moved = REARMS.get(action, frozenset()) - cleared if intensity_changed else frozenset()
    kept = [
        d
        for d in deadlines
        if d.kind in waited and d.kind not in cleared and (d.missed or d.kind not in moved)
    ]
    to_arm = set(waited) if after != before else set()
    to_arm = (to_arm | REARMS.get(action, frozenset())) & waited
    return kept, to_arm - {d.kind for d in kept}


def fact_start(kind: DeadlineKind, facts: Mapping[str, object]) -> datetime | None:
    """When a deadline that starts from a recorded date starts (None: no such date recorded)."""
    value = facts.get(START_FACT[kind])
    if not isinstance(value, str):
        return None
    return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)


def awaited_due(deadlines: list[Deadline], action: Action) -> datetime | None:
    """The due date an action meets (or misses): the earliest of the deadlines it clears."""
    met = [d.due_at for d in deadlines if d.kind in CLEARS.get(action, frozenset())]
    return min(met) if met else None


def arm(
    kinds: set[DeadlineKind],
    durations: DeadlineDurations | None,
    intensity: AccompanimentIntensity,
    start: datetime,
    overrides: dict[DeadlineKind, str],
    facts: Mapping[str, object] | None = None,
) -> list[Deadline]:
    if not kinds or durations is None:
        return []
    armed = []
    for kind in sorted(kinds):
        begins = fact_start(kind, facts or {}) if kind in START_FACT else start
        if begins is None:
            continue  # e.g. no DLS filed: nothing to renew
        duration = overrides.get(kind) or duration_for(kind, durations, intensity)
        armed.append(
            Deadline(
                kind=kind,
                due_at=add_duration(begins, duration),
                duration=duration,
                policy_version=durations.policy_version,
            )
        )
    return armed


def after_action(
    state: PathwayState, inp: ActionInput, before: Stage | None, after: Stage
) -> PathwayState:
    """The state once the action is applied, deadlines aside (a deep copy: until the action is
    written, nothing may touch the state in force)."""
    return state.model_copy(
        deep=True,
        update={
            "stage": after,
            "accompaniment_intensity": inp.accompaniment_intensity or state.accompaniment_intensity,
            "referent_structure": inp.referent_structure or state.referent_structure,
            "orientation_accepted": (
                inp.action is Action.ACCEPT_ORIENTATION
                or (state.orientation_accepted and after == before)
            ),
            "encountered_at": state.encountered_at or inp.occurred_at,
            "facts": {**state.facts, **inp.facts},
            "measures": list(state.measures if inp.measures is None else inp.measures),
            "exit_situation": inp.exit_situation if after is Stage.CLOSED else None,
            "admitted_at": inp.occurred_at if inp.action is Action.ADMISSION else state.admitted_at,
            "housed_at": inp.occurred_at if inp.action is Action.HOUSING else state.housed_at,
            "refusals_count": state.refusals_count + (inp.action is Action.REFUSE_ORIENTATION),
            "last_action": inp.action,
            "last_action_at": inp.occurred_at,
            "actions_count": state.actions_count + 1,
        },
    )


def rule_facts(
    state: PathwayState, event: Event, now: datetime, deadline: Deadline | None = None
) -> RuleFacts:
    """The coded facts the rules see: what actions recorded, plus what time makes of them."""
    dls = state.facts.get("dls_filed_on")
    return RuleFacts.read(
        {
            **state.facts,
            "event": event,
            "stage": state.stage,
            "deadline_kind": deadline.kind if deadline else "",
            "escalation_level": deadline.escalation_level if deadline else 0,
            "refusals_count": state.refusals_count,
            "days_in_shelter": (now - state.admitted_at).days
            if state.admitted_at and state.stage is Stage.ADMITTED
            else -1,
            "days_since_housing": (now - state.housed_at).days if state.housed_at else -1,
            "dls_age_days": (now.date() - date.fromisoformat(dls)).days
            if isinstance(dls, str)
            else -1,
        }
    )


def apply_decisions(state: PathwayState, evaluation: Evaluation) -> Effects:
    """What the rules decided, read once (models/decisions.py): its lasting part recorded in the
    state (in place: deadlines are shared), the whole returned for the workflow and activity."""
    effects = evaluation.effects()
    effects.onto(state)
    state.last_decisions = list(evaluation.decisions)
    return effects


def policy_refusal(inp: ActionInput, effects: Effects) -> str | None:
    """Why the département's rules refuse this action, in French; None when they do not.
    `refuse_solicitation` refuses a landlord's solicitation: outside the follow-up window the
    SIAO says nothing of the household (R-HOUS-3), so nothing is recorded either."""
    if inp.action is Action.LANDLORD_SOLICITATION and effects.solicitation_refused:
        return (
            f"sollicitation refusée par les règles du département : {effects.solicitation_refused}"
        )
    return None


def to_record(
    state: PathwayState,
    inp: ActionInput,
    new: PathwayState,
    workflow_id: str,
    before: Stage | None,
    *,
    evaluation: Evaluation | None,
    effects: Effects | None,
    facts: RuleFacts | None,
    failure: str | None,
) -> ApplyActionInput:
    """What the write records of an action planned from `state` into `new` (its deadlines armed):
    the records, the read model, the timeline, the alerts its missed deadlines resolve."""
    resolved = sorted(
        {d.kind for d in state.deadlines if d.missed} - {d.kind for d in new.deadlines if d.missed}
    )
    return ApplyActionInput(
        household_id=state.household_id,
        workflow_id=workflow_id,
        action=inp.action,
        submission_id=inp.submission_id,
        occurred_at=inp.occurred_at,
        actor=inp.actor,
        stage_before=before,
        stage_after=new.stage,
        overdue=new.overdue,
        next_deadline=new.next_deadline,
        referent_structure=inp.referent_structure,
        exit_situation=new.exit_situation,
        resolved=resolved,
        evaluation=evaluation,
        effects=effects,
        facts=facts.model_dump(mode="json") if facts else {},
        policy_failure=failure,
        due_at=awaited_due(state.deadlines, inp.action),
    )
