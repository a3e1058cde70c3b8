"""The fixed vocabulary of policy files: the facts a rule may test and the actions it may take.

Policy staff write rules only with these words; `siao policies reference` publishes them as a
French reference page (docs/vocabulaire-des-regles.md).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from models.decisions import DecisionAction
from models.pathway import DeadlineKind, Stage
from models.vocab import (
    AccompanimentIntensity,
    AdministrativeSituation,
    Coded,
    Expertise,
    Flag,
    HousingWish,
    Recipient,
    ResidentialSituation,
    Sex,
    SyploStatus,
    Theme,
    Typology,
    Vulnerability,
)
from models.vocab_orientation import (
    HousingPlace,
    Measure,
    NotHousingReason,
    PlaceType,
    RefusalReason,
    RefusedBy,
    ShelterPlace,
)

Kind = Literal["code", "codes", "bool", "int"]


class Event(Coded):
    REPORTED = "reported", "premier contact enregistré"
    FLASH_RECORDED = "flash_recorded", "évaluation flash enregistrée"
    IN_DEPTH_RECORDED = "in_depth_recorded", "évaluation approfondie enregistrée"
    COMMISSION_DECISION = "commission_decision", "décision de commission"
    ORIENTATION_PROPOSED = "orientation_proposed", "orientation proposée"
    ORIENTATION_ACCEPTED = "orientation_accepted", "orientation acceptée"
    ORIENTATION_REFUSED = "orientation_refused", "orientation refusée"
    ADMITTED = "admitted", "admission en hébergement"
    HOUSED = "housed", "accès au logement"
    FOLLOW_UP = "follow_up", "contact de suivi post-logement"
    REVIEW_RECORDED = "review_recorded", "revue de parcours tenue"
    DEADLINE_MISSED = (
        "deadline_missed",
        "échéance dépassée (ou toujours dépassée après le délai d'escalade)",
    )
    LANDLORD_SOLICITATION = "landlord_solicitation", "sollicitation d'un bailleur (R-HOUS-3)"
    EXIT = "exit", "sortie du dispositif"
    ACCOMPANIMENT_CHANGED = (
        "accompaniment_changed",
        "mesure d'accompagnement mobilisée, modifiée, transférée ou terminée",
    )


@dataclass(frozen=True)
class FactSpec:
    kind: Kind
    label: str
    codes: type[Coded] | None = None
    default: object = None

    def allowed(self) -> set[str] | None:
        return {c.value for c in self.codes} if self.codes else None


def _code(codes: type[Coded], label: str, default: str = "non_renseigne") -> FactSpec:
    return FactSpec("code", label, codes, default)


def _int(label: str, default: int = -1) -> FactSpec:
    return FactSpec("int", label, None, default)


def _bool(label: str) -> FactSpec:
    return FactSpec("bool", label, None, False)


FACTS: dict[str, FactSpec] = {
    "event": _code(Event, "l'événement qui déclenche l'évaluation", "reported"),
    "stage": _code(Stage, "l'étape du parcours", Stage.REPORTED),
    "deadline_kind": _code(DeadlineKind, "l'échéance dépassée (avec deadline_missed)", ""),
    "escalation_level": _int("0 au dépassement, puis +1 à chaque délai d'escalade", 0),
    "typology": _code(Typology, "composition du ménage"),
    "members_count": _int("nombre de personnes du ménage", 1),
    "has_children": _bool("le ménage compte des enfants"),
    "young_adult": _bool("une personne a entre 18 et 25 ans"),
    "minor_alone": _bool("mineur isolé"),
    "applicant_sex": _code(Sex, "sexe du demandeur principal"),
    "residential_situation": _code(ResidentialSituation, "situation résidentielle à la demande"),
    "vulnerability": _code(Vulnerability, "niveau de vulnérabilité (évaluation flash)"),
    "expertise_needed": FactSpec("codes", "expertises nécessaires", Expertise, ()),
    "administrative_situation": _code(AdministrativeSituation, "situation administrative"),
    "no_resources": _bool("aucune ressource déclarée"),
    "housing_wish": _code(HousingWish, "souhait d'un logement (évaluation approfondie)"),
    "accompaniment_intensity": _code(
        AccompanimentIntensity, "intensité de l'accompagnement", "moyen"
    ),
    "housing_conditions_met": _bool(
        "souhaite un logement et sa situation administrative le permet (R-COM-1)"
    ),
    "dls_age_days": _int("jours depuis le dépôt ou le renouvellement de la DLS (-1 : aucune)"),
    "syplo": _code(SyploStatus, "labellisation SYPLO"),
    "days_in_shelter": _int("jours depuis l'admission en hébergement (-1 : non hébergé)"),
    "long_stay": _bool("hébergé depuis plus que le séjour anormalement long de la politique"),
    "days_since_housing": _int("jours depuis l'accès au logement (-1 : non logé)"),
    "refusals_count": _int("nombre d'orientations refusées", 0),
    "refused_by": _code(RefusedBy, "auteur du dernier refus d'orientation", ""),
    "refusal_reason": _code(RefusalReason, "motif du dernier refus d'orientation", ""),
    "recommended_place": _code(PlaceType, "type de place préconisé par la commission", ""),
}


@dataclass(frozen=True)
class ParamSpec:
    label: str
    codes: type[Coded] | None = None
    kind: Literal["code", "text", "duration"] = "code"


@dataclass(frozen=True)
class ActionSpec:
    label: str
    params: dict[str, ParamSpec] = field(default_factory=dict)


A = DecisionAction
REASON = ParamSpec("motif, en français", kind="text")
# One entry per action of models/decisions.py, its parameters as its model's fields
# (tests/test_decisions.py keeps them equal).
ACTIONS: dict[str, ActionSpec] = {
    A.ROUTE_TO_PARTNERSHIP_COMMISSION: ActionSpec(
        A.ROUTE_TO_PARTNERSHIP_COMMISSION.label, {"reason": REASON}
    ),
    A.ASSIGN_THEMATIC_REFERENT: ActionSpec(
        A.ASSIGN_THEMATIC_REFERENT.label, {"theme": ParamSpec("thème", Theme)}
    ),
    A.ESCALATE: ActionSpec(
        A.ESCALATE.label, {"to": ParamSpec("destinataire", Recipient), "reason": REASON}
    ),
    A.SET_DEADLINE: ActionSpec(
        A.SET_DEADLINE.label,
        {
            "kind": ParamSpec("échéance", DeadlineKind),
            "duration": ParamSpec("durée ISO 8601 (PT72H, P2M…)", kind="duration"),
        },
    ),
    A.FLAG: ActionSpec(A.FLAG.label, {"kind": ParamSpec("signalement", Flag)}),
    A.PROPOSE_ACCOMPANIMENT: ActionSpec(
        A.PROPOSE_ACCOMPANIMENT.label, {"kind": ParamSpec("mesure", Measure)}
    ),
    # Decides the landlord route: the solicitation is refused, nothing recorded (R-HOUS-3).
    A.REFUSE_SOLICITATION: ActionSpec(A.REFUSE_SOLICITATION.label, {"reason": REASON}),
    # The recommendation the commission confirms or changes (R-COM-1): housing first; any other
    # answer says why, from a list where a lack of income has no place.
    A.PROPOSE_HOUSING: ActionSpec(
        A.PROPOSE_HOUSING.label, {"place_type": ParamSpec("logement", HousingPlace)}
    ),
    A.PROPOSE_SHELTER: ActionSpec(
        A.PROPOSE_SHELTER.label,
        {
            "place_type": ParamSpec("hébergement", ShelterPlace),
            "reason": ParamSpec("ce qui empêche le logement", NotHousingReason),
        },
    ),
}
# The event an action acts on, when it acts on one only (checked when a policy is read).
ONLY_ON: dict[str, Event] = {A.REFUSE_SOLICITATION: Event.LANDLORD_SOLICITATION}

OPERATORS = {
    "eq": "égal à",
    "ne": "différent de",
    "lt": "inférieur à",
    "lte": "inférieur ou égal à",
    "gt": "supérieur à",
    "gte": "supérieur ou égal à",
    "in": "parmi",
    "not_in": "hors de",
    "contains": "contient (liste)",
}


def default_facts() -> dict[str, object]:
    """Every fact present, so a rule never silently misses a field that was not said."""
    return {name: ([] if spec.kind == "codes" else spec.default) for name, spec in FACTS.items()}


NOT_SAID = Literal[""]  # a fact that has no value yet (no deadline missed, no refusal…)


class RuleFacts(BaseModel):
    """The facts the rules see, typed: one field per entry of FACTS, same codes and defaults
    (tests/test_decisions.py keeps them equal). Sent to the engine as JSON."""

    event: Event = Event.REPORTED
    stage: Stage = Stage.REPORTED
    deadline_kind: DeadlineKind | NOT_SAID = ""
    escalation_level: int = 0
    typology: Typology = Typology.NON_RENSEIGNE
    members_count: int = 1
    has_children: bool = False
    young_adult: bool = False
    minor_alone: bool = False
    applicant_sex: Sex = Sex.NON_RENSEIGNE
    residential_situation: ResidentialSituation = ResidentialSituation.NON_RENSEIGNE
    vulnerability: Vulnerability = Vulnerability.NON_RENSEIGNE
    expertise_needed: list[Expertise] = Field(default_factory=list)
    administrative_situation: AdministrativeSituation = AdministrativeSituation.NON_RENSEIGNE
    no_resources: bool = False
    housing_wish: HousingWish = HousingWish.NON_RENSEIGNE
    accompaniment_intensity: AccompanimentIntensity = AccompanimentIntensity.MOYEN
    housing_conditions_met: bool = False
    dls_age_days: int = -1
    syplo: SyploStatus = SyploStatus.NON_RENSEIGNE
    days_in_shelter: int = -1
    long_stay: bool = False  # the policy book derives it from days_in_shelter
    days_since_housing: int = -1
    refusals_count: int = 0
    refused_by: RefusedBy | NOT_SAID = ""
    refusal_reason: RefusalReason | NOT_SAID = ""
    recommended_place: PlaceType | NOT_SAID = ""

    @classmethod
    def read(cls, recorded: Mapping[str, object]) -> "RuleFacts":
        """The facts from what a pathway recorded (other keys ignored). A value that no longer
        reads as its code counts as not said: a workflow must never fail on an old value."""
        known = {k: v for k, v in recorded.items() if k in cls.model_fields}
        try:
            return cls.model_validate(known)
        except ValidationError as exc:
            bad = {err["loc"][0] for err in exc.errors() if err["loc"]}
            return cls.model_validate({k: v for k, v in known.items() if k not in bad})
