"""One action recorded in one local activity: the pathway's state goes in, the new one comes out.

The activity plans the action (rules/planning.py), asks the département's rules and writes the
records in one call; the workflow makes the returned state its own. The result is recorded in the
workflow's history, so a replay reads it back rather than planning again.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, model_validator

from models.pathway import ActionInput, PathwayState


class RecordActionInput(BaseModel):
    workflow_id: str
    state: PathwayState  # as it stands before the action
    started: bool  # False: this is the pathway's first contact
    action: ActionInput
    now: datetime  # the workflow's time: what the facts of time (ages, stays) are read against


class ActionOutcome(StrEnum):
    RECORDED = "recorded"
    REFUSED_BY_POLICY = "refused_by_policy"  # the rules refuse it: nothing written
    POLICY_UNAVAILABLE = "policy_unavailable"  # no usable rules nor deadlines: nothing written


class RecordActionResult(BaseModel):
    outcome: ActionOutcome
    state: PathwayState | None = None  # the new state, when recorded
    # False when the records were already written, by this very action before a crash.
    applied: bool = False
    reason: str | None = None  # why it was refused, in French, without personal data

    @model_validator(mode="after")
    def _says_what_it_must(self) -> "RecordActionResult":
        if (self.outcome is ActionOutcome.RECORDED) != (self.state is not None):
            raise ValueError("a recorded action carries its new state, a refusal none")
        if self.outcome is not ActionOutcome.RECORDED and not self.reason:
            raise ValueError("a refusal says why")
        return self
