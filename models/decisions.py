"""Policy decisions as they cross boundaries: what the rules decided, by which rule and version."""

from pydantic import BaseModel, Field

from models.vocab import AccompanimentIntensity

FactValue = str | int | bool | list[str]


class DeadlineSet(BaseModel):
    """The `deadlines` section of a policy file: ISO 8601 durations."""

    flash: str
    in_depth: str
    orientation_response: str
    reevaluation: dict[AccompanimentIntensity, str]
    review: str
    follow_up_window: str
    # Added with the rules engine; defaults let older recorded payloads still decode.
    escalation: str = "P7D"
    abnormal_stay: str = "P18M"


class DeadlineDurations(DeadlineSet):
    """The durations in force for a département, with the policy version that set them."""

    policy_id: str
    policy_version: str


class Decision(BaseModel):
    """One action decided by one rule."""

    rule_id: str
    action: str
    params: dict[str, str] = Field(default_factory=dict)


class Evaluation(BaseModel):
    """Everything one evaluation decided, with the policy version that decided it."""

    policy_id: str
    policy_version: str
    fired: list[str] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    deadlines: DeadlineDurations

    def of(self, action: str) -> list[Decision]:
        return [d for d in self.decisions if d.action == action]


class EvaluateInput(BaseModel):
    departement: str
    facts: dict[str, FactValue]
