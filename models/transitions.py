"""The one transition table of a pathway: the first contact, what each stage allows and where it
leads, the guards an allowed action may still need, the deadlines each stage waits on and what
their expiry does. Pure data and pure functions: the workflow, the API and the tests read them.

Read a row as: in this stage, this action is allowed and leads to that stage. A pathway not
started yet has no stage (None): it allows only the first contact.
"""

from dataclasses import dataclass
from typing import assert_never

from models.pathway import Action, DeadlineKind, Stage
from models.vocab import Coded
from models.vocab_orientation import CommissionKind, ExitSituation

A, S, D = Action, Stage, DeadlineKind

FIRST_CONTACT: dict[Action, Stage] = {A.REPORT: S.REPORTED}

# The actions that move a pathway forward (or back to the commission).
PROGRESS: dict[Stage, dict[Action, Stage]] = {
    S.REPORTED: {A.FLASH_EVALUATION: S.FLASH_EVALUATED},
    S.FLASH_EVALUATED: {A.IN_DEPTH_EVALUATION: S.IN_DEPTH_EVALUATED},
    S.IN_DEPTH_EVALUATED: {A.COMMISSION_DECISION: S.COMMISSION},
    S.COMMISSION: {A.COMMISSION_DECISION: S.COMMISSION, A.ORIENTATION: S.ORIENTATION_PROPOSED},
    S.ORIENTATION_PROPOSED: {
        A.ACCEPT_ORIENTATION: S.ORIENTATION_PROPOSED,
        A.REFUSE_ORIENTATION: S.COMMISSION,
        A.ADMISSION: S.ADMITTED,
        A.HOUSING: S.HOUSED,
    },
    # A hosted household goes back to the commission when housing is the next step.
    S.ADMITTED: {A.COMMISSION_DECISION: S.COMMISSION, A.HOUSING: S.HOUSED},
    S.HOUSED: {A.FOLLOW_UP: S.FOLLOW_UP},
    S.FOLLOW_UP: {A.FOLLOW_UP: S.FOLLOW_UP},
}
# The stages after the in-depth evaluation.
EVALUATED = (
    S.IN_DEPTH_EVALUATED,
    S.COMMISSION,
    S.ORIENTATION_PROPOSED,
    S.ADMITTED,
    S.HOUSED,
    S.FOLLOW_UP,
)
# Actions that keep the stage, and where they are allowed.
KEEPS_STAGE: dict[Action, tuple[Stage, ...]] = {
    A.IN_DEPTH_EVALUATION: EVALUATED,  # re-evaluation (R-EVAL-4)
    A.REVIEW: EVALUATED,  # pathway review (R-FOLLOW-1)
    A.LANDLORD_SOLICITATION: (S.HOUSED, S.FOLLOW_UP),  # a landlord may solicit the SIAO (R-HOUS-3)
    # Accompaniment measures, once the in-depth evaluation justifies them (R-HOUS-2, R-RES-1):
    # mobilised, changed, transferred or ended, whatever the place (no rupture).
    A.ACCOMPANIMENT_CHANGE: EVALUATED,
}
OPEN = tuple(s for s in Stage if s is not S.CLOSED)  # exit from any of them closes the pathway


def _table() -> dict[Stage, dict[Action, Stage]]:
    table = {stage: dict(PROGRESS.get(stage, {})) for stage in Stage}
    for action, stages in KEEPS_STAGE.items():
        for stage in stages:
            table[stage].setdefault(action, stage)
    for stage in OPEN:
        table[stage][A.EXIT] = S.CLOSED
    return table


# Built once, in this order: the allowed actions are listed (and published) in this order.
TRANSITIONS: dict[Stage, dict[Action, Stage]] = _table()

# A household is on the commission's agenda from its in-depth evaluation to its orientation.
COMMISSION_AGENDA = frozenset({S.IN_DEPTH_EVALUATED, S.COMMISSION})


class Guard(Coded):
    """A fact an allowed action may still need; the label says why it is refused without it."""

    ORIENTATION_ACCEPTED = "orientation_accepted", "l'orientation doit d'abord être acceptée"
    ORIENTATION_PENDING = "orientation_pending", "l'orientation est déjà acceptée"
    COMMISSION_OF_ROUTE = "commission_of_route", "ce ménage relève de la commission partenariale"


@dataclass(frozen=True)
class GuardFacts:
    """What the guards read: the pathway's state, and the commission an action names."""

    orientation_accepted: bool = False
    routed_to_partnership: bool = False  # by the rules (R-COM-2)
    commission: CommissionKind | None = None  # None: any commission (listing the allowed ones)


# Guards of an action in one stage...
STAGE_GUARDS: dict[Stage, dict[Action, Guard]] = {
    S.ORIENTATION_PROPOSED: {
        A.ACCEPT_ORIENTATION: Guard.ORIENTATION_PENDING,  # accepted once per orientation
        A.ADMISSION: Guard.ORIENTATION_ACCEPTED,
        A.HOUSING: Guard.ORIENTATION_ACCEPTED,
    },
}
# ...and wherever the action is allowed.
ACTION_GUARDS: dict[Action, Guard] = {A.COMMISSION_DECISION: Guard.COMMISSION_OF_ROUTE}


def guards(stage: Stage | None, action: Action) -> list[Guard]:
    found = [ACTION_GUARDS[action]] if action in ACTION_GUARDS else []
    row = STAGE_GUARDS.get(stage, {}) if stage is not None else {}
    return found + ([row[action]] if action in row else [])


def holds(guard: Guard, facts: GuardFacts) -> bool:
    match guard:
        case Guard.ORIENTATION_ACCEPTED:
            return facts.orientation_accepted
        case Guard.ORIENTATION_PENDING:
            return not facts.orientation_accepted
        case Guard.COMMISSION_OF_ROUTE:  # the partnership one, not the unique one (R-COM-2)
            return not (facts.routed_to_partnership and facts.commission is CommissionKind.UNIQUE)
        case _:
            assert_never(guard)


def row_of(stage: Stage | None) -> dict[Action, Stage]:
    return FIRST_CONTACT if stage is None else TRANSITIONS[stage]


def next_stage(stage: Stage | None, action: Action) -> Stage:
    """Where an allowed action leads (KeyError for one the table does not allow)."""
    return row_of(stage)[action]


def allowed_actions(stage: Stage | None, facts: GuardFacts = GuardFacts()) -> list[Action]:
    return [a for a in row_of(stage) if all(holds(g, facts) for g in guards(stage, a))]


class Refusal(Coded):
    """Why an action the table does not allow in this stage is refused (guards aside)."""

    PATHWAY_CLOSED = "pathway_closed", "le parcours est clos"
    ALREADY_REPORTED = "already_reported", "ce ménage est déjà signalé"
    OUT_OF_STAGE = "out_of_stage", "cette action n'est pas possible à cette étape"


def refused(stage: Stage | None, action: Action, facts: GuardFacts) -> Refusal | Guard | None:
    """Why this action cannot be taken now; None when it can."""
    if action in row_of(stage):
        return next((g for g in guards(stage, action) if not holds(g, facts)), None)
    if stage is S.CLOSED:
        return Refusal.PATHWAY_CLOSED
    if action in FIRST_CONTACT:
        return Refusal.ALREADY_REPORTED
    return Refusal.OUT_OF_STAGE


# Deadlines armed when a stage is entered; they end when the stage is left.
STAGE_DEADLINES: dict[Stage, frozenset[DeadlineKind]] = {
    S.REPORTED: frozenset({D.FLASH}),
    S.FLASH_EVALUATED: frozenset({D.IN_DEPTH}),
    S.IN_DEPTH_EVALUATED: frozenset({D.DLS_RENEWAL}),
    S.COMMISSION: frozenset({D.DLS_RENEWAL}),
    S.ORIENTATION_PROPOSED: frozenset({D.ORIENTATION_RESPONSE, D.DLS_RENEWAL}),
    S.ADMITTED: frozenset({D.REEVALUATION, D.REVIEW, D.DLS_RENEWAL, D.LONG_STAY}),
    S.HOUSED: frozenset({D.FOLLOW_UP_END}),
    S.FOLLOW_UP: frozenset({D.FOLLOW_UP_END}),
}
# Deadlines that time alone brings, from a date the facts hold (the DLS's filing) or the stage's
# start (the admission): the rules are asked on the day (TIME_FACTS_PATCH, pathway_patches.py).
FROM_FACTS = frozenset({D.DLS_RENEWAL, D.LONG_STAY})
# The fact each starts from, when it is not the action's own date.
START_FACT: dict[DeadlineKind, str] = {D.DLS_RENEWAL: "dls_filed_on"}
# The awaited action clears its deadline, even late (this is what clears "overdue").
CLEARS: dict[Action, frozenset[DeadlineKind]] = {
    A.FLASH_EVALUATION: frozenset({D.FLASH}),
    A.IN_DEPTH_EVALUATION: frozenset({D.IN_DEPTH, D.REEVALUATION, D.DLS_RENEWAL}),
    A.COMMISSION_DECISION: frozenset({D.LONG_STAY}),  # the long stay was looked at
    A.ACCEPT_ORIENTATION: frozenset({D.ORIENTATION_RESPONSE}),
    A.REFUSE_ORIENTATION: frozenset({D.ORIENTATION_RESPONSE}),
    A.REVIEW: frozenset({D.REVIEW}),
}
# ...and some arm it again for the next period, when the stage still waits on it. An action that
# re-arms a deadline it does not clear (a change of accompaniment) moves it only when its period
# changes — the accompaniment intensity — and never a missed one: only the awaited action (the
# re-evaluation) clears that (rules/planning.py `deadline_plan`).
REARMS: dict[Action, frozenset[DeadlineKind]] = {
    A.IN_DEPTH_EVALUATION: frozenset({D.REEVALUATION, D.DLS_RENEWAL}),  # a new DLS date
    A.REVIEW: frozenset({D.REVIEW}),
    A.ACCOMPANIMENT_CHANGE: frozenset({D.REEVALUATION}),
}


@dataclass(frozen=True)
class Expiry:
    """An action the system takes itself when a deadline runs out."""

    action: Action
    exit_situation: ExitSituation | None = None
    purge: bool = False  # and the household's data go with it


# The other deadlines, missed, alert (R-EVAL-5) and the pathway keeps waiting.
ON_EXPIRY: dict[DeadlineKind, Expiry] = {
    # The end of the follow-up window closes the pathway; no data past it (R-HOUS-3).
    D.FOLLOW_UP_END: Expiry(A.EXIT, ExitSituation.FIN_SUIVI, purge=True),
}


def mermaid() -> str:
    """The table as a Mermaid state diagram (the README shows it; a test keeps it equal)."""
    lines = ["stateDiagram-v2"]
    edges: dict[tuple[str, Stage], list[str]] = {}
    rows: list[tuple[Stage | None, dict[Action, Stage]]] = [(None, FIRST_CONTACT)]
    for stage, row in [*rows, *TRANSITIONS.items()]:
        for action, after in row.items():
            label = action.value + "".join(f" [{g.value}]" for g in guards(stage, action))
            expiring = [k for k, e in ON_EXPIRY.items() if e.action is action]
            waited = STAGE_DEADLINES.get(stage, frozenset()) if stage else frozenset()
            label += "".join(f" or {k.value} expired" for k in expiring if k in waited)
            edges.setdefault((stage.value if stage else "[*]", after), []).append(label)
    for (before, after), labels in edges.items():
        lines.append(f"    {before} --> {after.value}: {', '.join(labels)}")
    lines.append(f"    {S.CLOSED.value} --> [*]")
    return "\n".join(lines)
