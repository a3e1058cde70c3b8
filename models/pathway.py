"""The pathway as the workflow sees it: stages, actions, deadlines and the state it carries.

Everything here crosses the Temporal boundary, so it holds opaque ids, codes and dates only —
never a name, a birth date, a free-text note or a health detail.
"""

from datetime import datetime
from typing import Annotated

import isodate
from pydantic import BaseModel, Field

from models.decisions import DeadlineDurations, Decision, Effects, Evaluation, FactValue
from models.vocab import AccompanimentIntensity, Coded, DeadlineKind
from models.vocab_orientation import ExitSituation

# The pathway's names, for the rooms that reach it without importing workflows/ (activities).
PATHWAY_WORKFLOW = "PathwayWorkflow"
PATHWAY_UPDATE = "act"  # the pathway's one update: every action goes through it
PATHWAY_STATE_QUERY = "state_query"
UPDATE_WAIT_SECONDS = 30  # how long a request waits for its pathway to apply the action


def pathway_workflow_id(household_id: str) -> str:
    return f"parcours-{household_id}"


class Stage(Coded):
    REPORTED = "reported", "signalé, en attente d'évaluation flash"
    FLASH_EVALUATED = "flash_evaluated", "évaluation flash faite"
    IN_DEPTH_EVALUATED = "in_depth_evaluated", "évaluation approfondie faite"
    COMMISSION = "commission", "préconisation de la commission rendue"
    ORIENTATION_PROPOSED = "orientation_proposed", "orientation proposée"
    ADMITTED = "admitted", "admis en hébergement"
    HOUSED = "housed", "logé"
    FOLLOW_UP = "follow_up", "suivi post-logement"
    CLOSED = "closed", "parcours clos"


class Action(Coded):
    REPORT = "report", "premier contact"
    FLASH_EVALUATION = "flash_evaluation", "évaluation flash"
    IN_DEPTH_EVALUATION = "in_depth_evaluation", "évaluation approfondie"
    COMMISSION_DECISION = "commission_decision", "décision de commission"
    ORIENTATION = "orientation", "orientation"
    ACCEPT_ORIENTATION = "accept_orientation", "acceptation de l'orientation"
    REFUSE_ORIENTATION = "refuse_orientation", "refus de l'orientation"
    ADMISSION = "admission", "admission"
    HOUSING = "housing", "accès au logement"
    FOLLOW_UP = "follow_up", "suivi post-logement"
    REVIEW = "review", "revue de parcours"
    EXIT = "exit", "sortie du dispositif"
    LANDLORD_SOLICITATION = "landlord_solicitation", "sollicitation d'un bailleur"
    ACCOMPANIMENT_CHANGE = "accompaniment_change", "changement d'accompagnement"


class Deadline(BaseModel):
    kind: DeadlineKind
    due_at: datetime
    duration: str
    policy_version: str
    missed: bool = False
    escalation_level: int = 0  # how many times the rules were asked whom to alert
    escalate_at: datetime | None = None  # when to ask them again, if still missed


class PathwayState(BaseModel):
    """What the workflow knows; returned by every update and by the `state` query."""

    household_id: str
    departement: str
    stage: Stage = Stage.REPORTED
    referent_structure: str | None = None
    orientation_accepted: bool = False
    accompaniment_intensity: AccompanimentIntensity = AccompanimentIntensity.MOYEN
    encountered_at: datetime | None = None
    deadlines: list[Deadline] = Field(default_factory=list)
    facts: dict[str, str | int | bool | list[str]] = Field(default_factory=dict)
    exit_situation: ExitSituation | None = None
    # What the département's rules decided along the way (R-COM-2, thematic referents, flags).
    partnership_commission: str | None = None
    thematic_referents: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    proposed_accompaniments: list[str] = Field(default_factory=list)
    # The recommendation proposed to the commission (housing first, R-COM-1) and, for another
    # answer, why not housing (models/vocab_orientation.NotHousingReason).
    proposed_place: str | None = None
    proposal_reason: str | None = None
    # The kinds of the household's active accompaniment measures (codes of models/measures.py).
    measures: list[str] = Field(default_factory=list)
    last_decisions: list[Decision] = Field(default_factory=list)
    admitted_at: datetime | None = None
    housed_at: datetime | None = None
    refusals_count: int = 0
    last_action: Action | None = None
    last_action_at: datetime | None = None
    actions_count: int = 0
    allowed_actions: list[Action] = Field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return any(d.missed for d in self.deadlines)

    @property
    def next_deadline(self) -> datetime | None:
        pending = [d.due_at for d in self.deadlines if not d.missed]
        return min(pending) if pending else None

    @property
    def next_wakeup(self) -> datetime | None:
        """The next deadline, or the next escalation of a missed one: when the timer fires."""
        times = [d.due_at for d in self.deadlines if not d.missed]
        times += [d.escalate_at for d in self.deadlines if d.missed and d.escalate_at]
        return min(times) if times else None


# Thousands of deadlines can fall due at one instant (a bulk import, a policy change): each
# pathway wakes at its own offset within this window, so the deadline work reaches the workers at
# a rate they drain and caseworkers' actions are not queued behind it (README: the mass wake-up).
DEFAULT_WAKEUP_SPREAD_SECONDS = 240
WakeupSpreadSeconds = Annotated[int, Field(ge=0, le=3600)]  # the setting and the input alike


class PathwayInput(BaseModel):
    household_id: str
    departement: str
    # Set at the pathway's start (SIAO_DEADLINE_WAKEUP_SPREAD_SECONDS), kept across its runs.
    wakeup_spread_seconds: WakeupSpreadSeconds = DEFAULT_WAKEUP_SPREAD_SECONDS
    state: PathwayState | None = None  # carried over by continue-as-new
    # Submissions this pathway applied lately, carried over too: Temporal dedups an update id
    # within one run only, and a client may retry across a continue-as-new.
    recent_submissions: list[str] = Field(default_factory=list)
    # Far below Temporal's limits: a pathway with years of reviews must never approach them.
    history_limit: int = 5_000


class ActionInput(BaseModel):
    """One caseworker action. Its personal contents stay in the database, under `submission_id`."""

    action: Action
    submission_id: str | None = None
    occurred_at: datetime
    actor: str = Field(description="identifiant opaque de l'agent")
    referent_structure: str | None = None
    accompaniment_intensity: AccompanimentIntensity | None = None
    exit_situation: ExitSituation | None = None
    facts: dict[str, str | int | bool | list[str]] = Field(default_factory=dict)
    # The kinds of the active accompaniment measures once the action is applied (None: as is).
    measures: list[str] | None = None


class ApplyActionInput(BaseModel):
    """Activity input: write the action's records, its timeline event and the read model."""

    household_id: str
    workflow_id: str
    action: Action
    submission_id: str | None
    occurred_at: datetime
    actor: str
    stage_before: Stage | None
    stage_after: Stage
    overdue: bool
    next_deadline: datetime | None
    referent_structure: str | None = None
    exit_situation: ExitSituation | None = None
    resolved: list[DeadlineKind] = Field(default_factory=list, description="échéances levées")
    evaluation: Evaluation | None = None  # the rules' decision on this action (its trace)
    effects: Effects | None = None  # what it changes, as the workflow planned it
    facts: dict[str, FactValue] = Field(default_factory=dict)  # what the rules saw (coded)
    # Set when the rules could not be evaluated: the coordinator is alerted (no personal data).
    policy_failure: str | None = None
    # The due date this action met or missed (the earliest it clears), whatever the timers did.
    due_at: datetime | None = None


class LoadDeadlinesInput(BaseModel):
    departement: str


class MissedDeadlineInput(BaseModel):
    household_id: str
    workflow_id: str
    kind: DeadlineKind
    due_at: datetime
    policy_version: str
    stage: Stage
    next_deadline: datetime | None = None
    escalation_level: int = 0
    evaluation: Evaluation | None = None
    effects: Effects | None = None
    policy_failure: str | None = None  # as in ApplyActionInput


DURATION_FIELD: dict[DeadlineKind, str] = {
    DeadlineKind.FLASH: "flash",
    DeadlineKind.IN_DEPTH: "in_depth",
    DeadlineKind.ORIENTATION_RESPONSE: "orientation_response",
    DeadlineKind.REVIEW: "review",
    DeadlineKind.FOLLOW_UP_END: "follow_up_window",
    DeadlineKind.DLS_RENEWAL: "dls_renewal",
    DeadlineKind.LONG_STAY: "abnormal_stay",
}


def duration_for(
    kind: DeadlineKind, durations: DeadlineDurations, intensity: AccompanimentIntensity
) -> str:
    if kind is DeadlineKind.REEVALUATION:
        return durations.reevaluation[intensity]
    return str(getattr(durations, DURATION_FIELD[kind]))


def add_duration(start: datetime, iso_duration: str) -> datetime:
    """Calendar-aware: P2M after 31 December is the end of February, not 60 days."""
    result = start + isodate.parse_duration(iso_duration)
    assert isinstance(result, datetime)
    return result


class PurgeInput(BaseModel):
    household_id: str


class PolicyFailureInput(BaseModel):
    """An action refused because the rules could not be evaluated: alert the coordinator."""

    household_id: str
    departement: str
    action: Action
    reason: str
