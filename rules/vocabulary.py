"""The fixed vocabulary of policy files: the facts a rule may test and the actions it may take.

Policy staff write rules only with these words; `siao policies reference` publishes them as a
French reference page (docs/vocabulaire-des-regles.md).
"""

from dataclasses import dataclass, field
from typing import Literal

from models.pathway import DeadlineKind, Stage
from models.vocab import (
    AccompanimentIntensity,
    AdministrativeSituation,
    Coded,
    Expertise,
    ResidentialSituation,
    Sex,
    Typology,
    Vulnerability,
)
from models.vocab_orientation import Measure, PlaceType, RefusalReason, RefusedBy

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


class Theme(Coded):
    JEUNES = "jeunes", "jeunes (18–25 ans)"
    VIOLENCES = "violences", "femmes victimes de violences"
    SANTE_MENTALE = "sante_mentale", "santé mentale"
    JUSTICE = "justice", "personnes sous main de justice / sortant de détention"
    ADDICTION = "addiction", "addictions"
    ASILE = "asile", "demande d'asile et protection internationale"


class Flag(Coded):
    DNA_REORIENTATION = "dna_reorientation", "réorienter vers le DNA"
    OFII_LIST = "ofii_list", "liste mensuelle OFII (R-FOLLOW-2)"
    DLS_RENEWAL = "dls_renewal", "demande de logement social à renouveler"
    SYPLO_LABELLING = "syplo_labelling", "à labelliser dans SYPLO"
    LONG_STAY_REVIEW = "long_stay_review", "séjour anormalement long : à analyser (R-HOUS-1)"


class Recipient(Coded):
    LEAD_REFERENT = "lead_referent", "référent principal de parcours"
    SIAO_COORDINATOR = "siao_coordinator", "coordinateur SIAO"


class SyploStatus(Coded):
    INSCRIT = "inscrit", "inscrit"
    NON_INSCRIT = "non_inscrit", "non inscrit"
    NON_CONCERNE = "non_concerne", "non concerné"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


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
    "stage": _code(Stage, "l'étape du parcours", "reported"),
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


REASON = ParamSpec("motif, en français", kind="text")
ACTIONS: dict[str, ActionSpec] = {
    "route_to_partnership_commission": ActionSpec(
        "orienter vers la commission partenariale (situation complexe, R-COM-2)", {"reason": REASON}
    ),
    "assign_thematic_referent": ActionSpec(
        "désigner un référent thématique", {"theme": ParamSpec("thème", Theme)}
    ),
    "escalate": ActionSpec(
        "alerter (R-EVAL-5)", {"to": ParamSpec("destinataire", Recipient), "reason": REASON}
    ),
    "set_deadline": ActionSpec(
        "fixer une échéance pour ce ménage",
        {
            "kind": ParamSpec("échéance", DeadlineKind),
            "duration": ParamSpec("durée ISO 8601 (PT72H, P2M…)", kind="duration"),
        },
    ),
    "flag": ActionSpec("signaler", {"kind": ParamSpec("signalement", Flag)}),
    "propose_accompaniment": ActionSpec(
        "proposer une mesure d'accompagnement", {"kind": ParamSpec("mesure", Measure)}
    ),
    "refuse_solicitation": ActionSpec(
        "refuser la sollicitation du bailleur (hors fenêtre de suivi)", {"reason": REASON}
    ),
}

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
