"""What is need-to-know, declared once: per field of a record, per fact the rules see, and per
value of a value list (README, « Privacy and access »: shown only to those who need it).

A field listed here is hidden whatever its value (free text can say anything; an administrative
situation is sensitive whichever it is). A value listed here is hidden wherever it appears — in a
record, a fact, a flag, a thematic referent — while the other values of its list stay visible.
The rules' decisions are classified from these declarations (rules/sensitivity.py); the one
boundary that applies them to every answer is api/redaction.py.
"""

from typing import Any, get_args

from pydantic import BaseModel

from models.evaluations import (
    CommissionDecisionBase,
    FlashEvaluationBase,
    InDepthEvaluationBase,
    Orientation,
    ReviewBase,
)
from models.measures import Measure as MeasureRecord
from models.measures import MeasureKind
from models.pathway import PathwayState
from models.records import Household
from models.vocab import (
    AdministrativeSituation,
    Coded,
    ContactChannel,
    Employment,
    Expertise,
    FirstOrientation,
    Flag,
    HealthCover,
    ImmediateNeed,
    ResidentialSituation,
    Resource,
    SelfAssessedHealth,
    Theme,
    TimeWithoutHousing,
    Vulnerability,
)
from models.vocab_orientation import (
    CommissionKind,
    ExitSituation,
    Measure,
    NotHousingReason,
    PlaceType,
    RefusalReason,
)


class Sensitivity(Coded):
    """Why a field or a value is kept from those who do not accompany the household."""

    SANTE = "sante", "santé, handicap, vulnérabilité"
    STATUT = "statut_administratif", "situation administrative (asile, séjour)"
    VIOLENCES = "violences", "violences subies"
    JUSTICE = "justice", "justice, détention"
    RESSOURCES = "ressources", "ressources et droits sociaux"
    TEXTE_LIBRE = "texte_libre", "texte libre (peut tout dire)"


S = Sensitivity

# Fields hidden whatever their value, per record (a table inherits its base's declarations).
SENSITIVE_FIELDS: dict[type[BaseModel], dict[str, Sensitivity]] = {
    FlashEvaluationBase: {
        "vulnerability": S.SANTE,
        "expertise_needed": S.SANTE,
        "wishes": S.TEXTE_LIBRE,
    },
    InDepthEvaluationBase: {
        "social_situation": S.TEXTE_LIBRE,
        "health_cover": S.SANTE,
        "health_rights_up_to_date": S.SANTE,
        "has_gp": S.SANTE,
        "self_assessed_health": S.SANTE,
        "mobile_health_team_offered": S.SANTE,
        "administrative_situation": S.STATUT,
        "housing_wishes": S.TEXTE_LIBRE,
        "accompaniment_wishes": S.TEXTE_LIBRE,
        "accompaniment_needed": S.TEXTE_LIBRE,
        "roadmap": S.TEXTE_LIBRE,
    },
    CommissionDecisionBase: {"notes": S.TEXTE_LIBRE},
    Orientation: {"refusal_detail": S.TEXTE_LIBRE},
    ReviewBase: {"notes": S.TEXTE_LIBRE, "participants": S.TEXTE_LIBRE},
    MeasureRecord: {"end_detail": S.TEXTE_LIBRE},
    # What the rules decided for the household: a reason in the policy's words names the case.
    Household: {"partnership_commission": S.TEXTE_LIBRE},
    PathwayState: {"partnership_commission": S.TEXTE_LIBRE},
}

# Values hidden wherever they appear; the rest of their list is shown.
SENSITIVE_VALUES: dict[type[Coded], dict[Coded, Sensitivity]] = {
    ImmediateNeed: {ImmediateNeed.SOINS: S.SANTE},
    # Why not housing: the administrative situation (the wish is the person's own word).
    NotHousingReason: {NotHousingReason.SITUATION_ADMINISTRATIVE: S.STATUT},
    FirstOrientation: {FirstOrientation.DNA: S.STATUT, FirstOrientation.SANTE: S.SANTE},
    Resource: {Resource.ADA: S.STATUT, Resource.AAH: S.SANTE},
    Employment: {Employment.RQTH: S.SANTE},
    PlaceType: {PlaceType.DNA: S.STATUT},
    RefusalReason: {RefusalReason.SANTE_SECURITE: S.SANTE},
    ResidentialSituation: {
        ResidentialSituation.ASILE: S.STATUT,
        ResidentialSituation.DETENTION: S.JUSTICE,
        ResidentialSituation.MEDICAL: S.SANTE,
    },
    ExitSituation: {
        ExitSituation.DISPOSITIF_ASILE: S.STATUT,
        ExitSituation.RETOUR_PAYS: S.STATUT,
        ExitSituation.HOPITAL: S.SANTE,
        ExitSituation.LHSS: S.SANTE,
        ExitSituation.DETENTION: S.JUSTICE,
    },
    Flag: {Flag.DNA_REORIENTATION: S.STATUT, Flag.OFII_LIST: S.STATUT},
    # A psychiatric mobile team, therapeutic flats or medical beds say the person is ill.
    MeasureKind: {MeasureKind.EMPP: S.SANTE, MeasureKind.ACT: S.SANTE, MeasureKind.LHSS: S.SANTE},
    Theme: {
        Theme.VIOLENCES: S.VIOLENCES,
        Theme.SANTE_MENTALE: S.SANTE,
        Theme.JUSTICE: S.JUSTICE,
        Theme.ADDICTION: S.SANTE,
        Theme.ASILE: S.STATUT,
    },
    # Lists whose every value is sensitive (their fields are declared above as well).
    Vulnerability: {v: S.SANTE for v in Vulnerability},
    Expertise: {v: S.SANTE for v in Expertise},
    HealthCover: {v: S.SANTE for v in HealthCover},
    SelfAssessedHealth: {v: S.SANTE for v in SelfAssessedHealth},
    AdministrativeSituation: {v: S.STATUT for v in AdministrativeSituation},
}

# Facts the rules see (rules/vocabulary.py), hidden whatever their value; a fact whose value
# list has sensitive values hides those values only.
SENSITIVE_FACTS: dict[str, Sensitivity] = {
    "vulnerability": S.SANTE,
    "expertise_needed": S.SANTE,
    "first_orientation": S.SANTE,
    "administrative_situation": S.STATUT,
    # Derived: true only for the administrative situations that give access to housing.
    "housing_conditions_met": S.STATUT,
    "no_resources": S.RESSOURCES,
}

# Fields stored as plain text (or text lists) that hold the codes of a value list.
VALUE_LISTS: dict[type[BaseModel], dict[str, type[Coded]]] = {
    Household: {
        "exit_situation": ExitSituation,
        "flags": Flag,
        "thematic_referents": Theme,
        "proposed_accompaniments": Measure,
        "proposal_reason": NotHousingReason,
    },
    PathwayState: {
        "proposal_reason": NotHousingReason,
        "flags": Flag,
        "thematic_referents": Theme,
        "proposed_accompaniments": Measure,
        "measures": MeasureKind,
    },
}


def field_sensitivity(model: type[BaseModel], field: str) -> Sensitivity | None:
    """The declaration for `field` of `model` or of one of its bases."""
    for base in model.__mro__:
        found = SENSITIVE_FIELDS.get(base, {}).get(field)
        if found is not None:
            return found
    return None


def value_list(model: type[BaseModel], field: str) -> type[Coded] | None:
    """The value list a field's codes come from: its annotation, or VALUE_LISTS."""
    for base in model.__mro__:
        declared = VALUE_LISTS.get(base, {}).get(field)
        if declared is not None:
            return declared
    info = model.model_fields.get(field)
    return _coded(info.annotation) if info is not None else None


def _coded(annotation: Any) -> type[Coded] | None:
    if isinstance(annotation, type) and issubclass(annotation, Coded):
        return annotation
    for arg in get_args(annotation):  # list[X], X | None
        found = _coded(arg)
        if found is not None:
            return found
    return None


def value_sensitivity(codes: type[Coded] | None, value: Any) -> Sensitivity | None:
    if codes is None or not isinstance(value, str):
        return None
    member = codes._value2member_map_.get(value)
    return SENSITIVE_VALUES.get(codes, {}).get(member) if isinstance(member, Coded) else None


# Facts the actions record that the rules vocabulary does not name (api/facts.py): their lists.
OTHER_FACTS: dict[str, type[Coded] | None] = {
    "time_without_housing": TimeWithoutHousing,
    "contact_channel": ContactChannel,
    "first_orientation": FirstOrientation,
    "commission": CommissionKind,
    "exit_situation": ExitSituation,
    "dls_filed_on": None,  # a date
}


def sensitive_codes() -> dict[str, Sensitivity]:
    """Every sensitive code as it is written (for tests that scan answers)."""
    return {str(v): s for values in SENSITIVE_VALUES.values() for v, s in values.items()}


# -- small counts ------------------------------------------------------------------------------

SMALL = 5  # a count from 1 to 4 could single someone out: anonymous figures show « < 5 »
MASKED = f"< {SMALL}"


def masked(count: int) -> int | str:
    """A count as anonymous figures show it: 0, or at least SMALL, else « < 5 »."""
    return count if count == 0 or count >= SMALL else MASKED
