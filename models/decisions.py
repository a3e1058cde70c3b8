"""Policy decisions as they cross boundaries: what the rules decided, by which rule and version,
and what each decision does — read once, here (`Decision.into`), whoever writes it down.

A decision's JSON is `{"rule_id", "action", "params"}` with the action and its parameters as the
policy file wrote them: recorded histories (evaluations, pathway states) decode unchanged.
"""

from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, Field, TypeAdapter

from models.vocab import (
    AccompanimentIntensity,
    Coded,
    DeadlineKind,
    Flag,
    Recipient,
    Theme,
)
from models.vocab_orientation import HousingPlace, Measure, NotHousingReason, ShelterPlace

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
    dls_renewal: str = "P1Y"  # a DLS is renewed yearly (R-HOUS-1)


class DeadlineDurations(DeadlineSet):
    """The durations in force for a département, with the policy version that set them."""

    policy_id: str
    policy_version: str


# -- the actions (rules/vocabulary.py publishes them, with their parameters) ----------------


class DecisionAction(Coded):
    ROUTE_TO_PARTNERSHIP_COMMISSION = (
        "route_to_partnership_commission",
        "orienter vers la commission partenariale (situation complexe, R-COM-2)",
    )
    ASSIGN_THEMATIC_REFERENT = "assign_thematic_referent", "désigner un référent thématique"
    ESCALATE = "escalate", "alerter (R-EVAL-5)"
    SET_DEADLINE = "set_deadline", "fixer une échéance pour ce ménage"
    FLAG = "flag", "signaler"
    PROPOSE_ACCOMPANIMENT = "propose_accompaniment", "proposer une mesure d'accompagnement"
    REFUSE_SOLICITATION = (
        "refuse_solicitation",
        "refuser la sollicitation du bailleur (hors fenêtre de suivi)",
    )
    PROPOSE_HOUSING = (
        "propose_housing",
        "proposer à la commission un logement, ordinaire ou adapté (le logement d'abord, R-COM-1)",
    )
    PROPOSE_SHELTER = (
        "propose_shelter",
        "proposer à la commission un hébergement, avec la raison qui empêche le logement",
    )


A = DecisionAction


# -- one parameter model per action ------------------------------------------------------------


class RouteParams(BaseModel):
    reason: str


class ThemeParams(BaseModel):
    theme: Theme


class EscalateParams(BaseModel):
    to: Recipient
    reason: str


class DeadlineParams(BaseModel):
    kind: DeadlineKind
    duration: str  # ISO 8601, bounded by the policy checks (rules/vocabulary_check.py)


class FlagParams(BaseModel):
    kind: Flag


class AccompanimentParams(BaseModel):
    kind: Measure


class RefusalParams(BaseModel):
    reason: str


class HousingParams(BaseModel):
    place_type: HousingPlace


class ShelterParams(BaseModel):
    place_type: ShelterPlace
    reason: NotHousingReason


# -- decisions, and the one place each is interpreted ------------------------------------------


class Decided(Protocol):
    """What the rules' lasting effects are written onto: the pathway's state, the household."""

    partnership_commission: str | None
    thematic_referents: list[str]
    flags: list[str]
    proposed_accompaniments: list[str]
    proposed_place: str | None
    proposal_reason: str | None


def _merged(held: list[str], new: list[Theme] | list[Flag] | list[Measure]) -> list[str]:
    return [*held, *(code.value for code in new if code.value not in held)]


class Effects(BaseModel):
    """What an evaluation changes. The state and the household take the lasting part (`onto`);
    the workflow arms the deadlines, asks again whom to alert, or refuses the solicitation; the
    activity raises the alerts."""

    partnership_commission: str | None = None
    thematic_referents: list[Theme] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    proposed_accompaniments: list[Measure] = Field(default_factory=list)
    deadlines: dict[DeadlineKind, str] = Field(default_factory=dict)  # over the policy's
    escalations: list["Escalation"] = Field(default_factory=list)
    solicitation_refused: str | None = None  # why, in the policy's words
    # The recommendation proposed to the commission (the last rule to say one wins).
    proposed_place: HousingPlace | ShelterPlace | None = None
    proposal_reason: NotHousingReason | None = None  # None: housing

    def onto(self, target: Decided) -> None:
        if self.partnership_commission:
            target.partnership_commission = self.partnership_commission
        if self.proposed_place is not None:
            target.proposed_place = self.proposed_place.value
            target.proposal_reason = self.proposal_reason.value if self.proposal_reason else None
        target.thematic_referents = _merged(target.thematic_referents, self.thematic_referents)
        target.flags = _merged(target.flags, self.flags)
        target.proposed_accompaniments = _merged(
            target.proposed_accompaniments, self.proposed_accompaniments
        )


class _Decision(BaseModel):
    rule_id: str

    def into(self, effects: Effects) -> None:
        raise NotImplementedError  # every decision below says what it does

    def as_written(self) -> dict[str, str]:
        """Its parameters as the policy file wrote them (codes as text)."""
        params = getattr(self, "params", None)
        return params.model_dump(mode="json") if isinstance(params, BaseModel) else {}


def _add(codes: list, code: Coded) -> None:
    if code not in codes:
        codes.append(code)


class PartnershipRouting(_Decision):
    action: Literal[A.ROUTE_TO_PARTNERSHIP_COMMISSION] = A.ROUTE_TO_PARTNERSHIP_COMMISSION
    params: RouteParams

    def into(self, effects: Effects) -> None:
        effects.partnership_commission = self.params.reason


class ThematicReferent(_Decision):
    action: Literal[A.ASSIGN_THEMATIC_REFERENT] = A.ASSIGN_THEMATIC_REFERENT
    params: ThemeParams

    def into(self, effects: Effects) -> None:
        _add(effects.thematic_referents, self.params.theme)


class Escalation(_Decision):
    action: Literal[A.ESCALATE] = A.ESCALATE
    params: EscalateParams

    def into(self, effects: Effects) -> None:
        effects.escalations.append(self)


class DeadlineSetting(_Decision):
    action: Literal[A.SET_DEADLINE] = A.SET_DEADLINE
    params: DeadlineParams

    def into(self, effects: Effects) -> None:
        effects.deadlines[self.params.kind] = self.params.duration


class Flagging(_Decision):
    action: Literal[A.FLAG] = A.FLAG
    params: FlagParams

    def into(self, effects: Effects) -> None:
        _add(effects.flags, self.params.kind)


class AccompanimentProposal(_Decision):
    action: Literal[A.PROPOSE_ACCOMPANIMENT] = A.PROPOSE_ACCOMPANIMENT
    params: AccompanimentParams

    def into(self, effects: Effects) -> None:
        _add(effects.proposed_accompaniments, self.params.kind)


class SolicitationRefusal(_Decision):
    action: Literal[A.REFUSE_SOLICITATION] = A.REFUSE_SOLICITATION
    params: RefusalParams

    def into(self, effects: Effects) -> None:
        effects.solicitation_refused = self.params.reason


class HousingProposal(_Decision):
    action: Literal[A.PROPOSE_HOUSING] = A.PROPOSE_HOUSING
    params: HousingParams

    def into(self, effects: Effects) -> None:
        effects.proposed_place, effects.proposal_reason = self.params.place_type, None


class ShelterProposal(_Decision):
    action: Literal[A.PROPOSE_SHELTER] = A.PROPOSE_SHELTER
    params: ShelterParams

    def into(self, effects: Effects) -> None:
        effects.proposed_place, effects.proposal_reason = self.params.place_type, self.params.reason


Decision = Annotated[
    PartnershipRouting
    | ThematicReferent
    | Escalation
    | DeadlineSetting
    | Flagging
    | AccompanimentProposal
    | SolicitationRefusal
    | HousingProposal
    | ShelterProposal,
    Field(discriminator="action"),
]
DECISION: TypeAdapter[Decision] = TypeAdapter(Decision)
Effects.model_rebuild()


def decision(rule_id: str, action: str, params: dict[str, str]) -> Decision:
    """A decision from a policy's words (checked against the vocabulary beforehand)."""
    return DECISION.validate_python({"rule_id": rule_id, "action": action, "params": params})


class Evaluation(BaseModel):
    """Everything one evaluation decided, with the policy version that decided it."""

    policy_id: str
    policy_version: str
    fired: list[str] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    deadlines: DeadlineDurations

    def effects(self) -> Effects:
        effects = Effects()
        for d in self.decisions:
            d.into(effects)
        return effects


class EvaluateInput(BaseModel):
    departement: str
    facts: dict[str, FactValue]  # rules/vocabulary.py RuleFacts, as JSON
