"""Pure, deterministic planning for PathwayWorkflow: the next state, the deadlines to arm, the
facts the rules see, and what their decisions change. No I/O, no clock: `now` is passed in."""

from datetime import date, datetime

from models.decisions import DeadlineDurations, Evaluation
from models.pathway import (
    Action,
    ActionInput,
    Deadline,
    DeadlineKind,
    PathwayState,
    Stage,
    add_duration,
    duration_for,
)
from models.transitions import CLEARS, REARMS, STAGE_DEADLINES
from models.vocab import AccompanimentIntensity

EVENT_OF: dict[Action, str] = {
    Action.REPORT: "reported",
    Action.FLASH_EVALUATION: "flash_recorded",
    Action.IN_DEPTH_EVALUATION: "in_depth_recorded",
    Action.COMMISSION_DECISION: "commission_decision",
    Action.ORIENTATION: "orientation_proposed",
    Action.ACCEPT_ORIENTATION: "orientation_accepted",
    Action.REFUSE_ORIENTATION: "orientation_refused",
    Action.ADMISSION: "admitted",
    Action.HOUSING: "housed",
    Action.FOLLOW_UP: "follow_up",
    Action.REVIEW: "review_recorded",
    Action.LANDLORD_SOLICITATION: "landlord_solicitation",
    Action.EXIT: "exit",
}


def refusal(state: PathwayState, inp: ActionInput, allowed: list[Action]) -> str | None:
    """Why this action cannot be taken now, in French; None when it can."""
    routed = state.partnership_commission
    if (
        inp.action is Action.COMMISSION_DECISION
        and routed
        and inp.facts.get("commission") == "unique"
    ):
        return f"ce ménage relève de la commission partenariale ({routed})"
    if inp.action in allowed:
        return None
    if state.stage is Stage.CLOSED:
        return "le parcours est clos"
    if inp.action is Action.REPORT:
        return "ce ménage est déjà signalé"
    if state.stage is Stage.ORIENTATION_PROPOSED and inp.action is Action.ACCEPT_ORIENTATION:
        return "l'orientation est déjà acceptée"
    if state.stage is Stage.ORIENTATION_PROPOSED and inp.action in (
        Action.ADMISSION,
        Action.HOUSING,
    ):
        return "l'orientation doit d'abord être acceptée"
    return f"« {inp.action.label} » n'est pas possible à l'étape « {state.stage.label} »"


def deadline_plan(
    deadlines: list[Deadline], action: Action, before: Stage | None, after: Stage
) -> tuple[list[Deadline], set[DeadlineKind]]:
    """Deadlines kept (still awaited in the new stage, not cleared) and kinds to arm."""
    waited = STAGE_DEADLINES.get(after, frozenset())
    kept = [d for d in deadlines if d.kind in waited and d.kind not in CLEARS.get(action, ())]
    to_arm = set(waited) if after != before else set()
    to_arm = (to_arm | REARMS.get(action, frozenset())) & waited
    return kept, to_arm - {d.kind for d in kept}


def arm(
    kinds: set[DeadlineKind],
    durations: DeadlineDurations | None,
    intensity: AccompanimentIntensity,
    start: datetime,
    overrides: dict[str, str],
) -> list[Deadline]:
    if not kinds or durations is None:
        return []
    armed = []
    for kind in sorted(kinds):
        duration = overrides.get(kind.value) or duration_for(kind, durations, intensity)
        armed.append(
            Deadline(
                kind=kind,
                due_at=add_duration(start, duration),
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
    state: PathwayState, event: str, now: datetime, deadline: Deadline | None = None
) -> dict[str, str | int | bool | list[str]]:
    """The coded facts the rules see: what actions recorded, plus what time makes of them."""
    facts = dict(state.facts)
    dls = state.facts.get("dls_filed_on")
    facts.update(
        {
            "event": event,
            "stage": state.stage.value,
            "deadline_kind": deadline.kind.value if deadline else "",
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
    return facts


def apply_decisions(state: PathwayState, evaluation: Evaluation) -> None:
    """Record in the state what the rules decided (in place: deadlines are shared)."""
    for decision in evaluation.decisions:
        p = decision.params
        if decision.action == "route_to_partnership_commission":
            state.partnership_commission = p.get("reason") or "situation complexe"
        elif (
            decision.action == "assign_thematic_referent"
            and p["theme"] not in state.thematic_referents
        ):
            state.thematic_referents.append(p["theme"])
        elif decision.action == "flag" and p["kind"] not in state.flags:
            state.flags.append(p["kind"])
        elif (
            decision.action == "propose_accompaniment"
            and p["kind"] not in state.proposed_accompaniments
        ):
            state.proposed_accompaniments.append(p["kind"])
    state.last_decisions = list(evaluation.decisions)


def deadline_overrides(evaluation: Evaluation) -> dict[str, str]:
    """`set_deadline` decisions: this household's durations, over the policy's defaults."""
    return {d.params["kind"]: d.params["duration"] for d in evaluation.of("set_deadline")}
