"""The coded facts an action hands to the workflow, named as the rules vocabulary names them
(rules/vocabulary.py): codes, flags and dates — never free text."""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from models.pathway import Action
from models.schemas import FirstContactCreate
from models.vocab import AdministrativeSituation as Admin
from models.vocab import Relationship, Resource

# body field → fact name, per action (same name unless said).
CODED_FIELDS: dict[Action, dict[str, str]] = {
    Action.FLASH_EVALUATION: {
        "vulnerability": "vulnerability",
        "expertise_needed": "expertise_needed",
        "first_orientation": "first_orientation",
    },
    Action.IN_DEPTH_EVALUATION: {
        "accompaniment_intensity": "accompaniment_intensity",
        "administrative_situation": "administrative_situation",
        "syplo": "syplo",
    },
    Action.COMMISSION_DECISION: {"commission": "commission", "place_type": "recommended_place"},
    Action.REFUSE_ORIENTATION: {"refused_by": "refused_by", "refusal_reason": "refusal_reason"},
    Action.EXIT: {"exit_situation": "exit_situation"},
}
# Fields the workflow itself acts on, passed as typed inputs as well as facts.
TYPED_FIELDS = ("accompaniment_intensity", "exit_situation")
# R-COM-1: the only preconditions to housing are the wish and the administrative situation.
ADMITS_HOUSING = {Admin.FRANCAISE, Admin.UE, Admin.PROTECTION_INTERNATIONALE, Admin.TITRE_SEJOUR}


def _plain(value: Any) -> Any:
    return [str(v) for v in value] if isinstance(value, list) else value


def of_action(action: Action, body: BaseModel) -> dict[str, Any]:
    found = {
        fact: _plain(getattr(body, field))
        for field, fact in CODED_FIELDS.get(action, {}).items()
        if getattr(body, field, None) is not None
    }
    if action is Action.IN_DEPTH_EVALUATION:
        resources = [str(r) for r in getattr(body, "resources", [])]
        found["no_resources"] = not resources or resources == [Resource.AUCUNE.value]
        found["housing_conditions_met"] = bool(
            getattr(body, "wants_housing", False)
            and getattr(body, "administrative_situation", None) in ADMITS_HOUSING
        )
        if filed := getattr(body, "dls_filed_on", None):
            found["dls_filed_on"] = filed.isoformat()
    typed = {f: found[f] for f in TYPED_FIELDS if f in found}
    return {"facts": found, **typed}


def of_first_contact(body: FirstContactCreate) -> dict[str, Any]:
    year = datetime.now(UTC).year
    ages = [year - m.birth_year for m in body.members if m.birth_year]
    return {
        "typology": body.typology.value,
        "residential_situation": body.residential_situation.value,
        "time_without_housing": body.time_without_housing.value,
        "contact_channel": body.contact_channel.value,
        "members_count": len(body.members),
        "has_children": any(m.relationship is Relationship.ENFANT for m in body.members),
        "young_adult": any(18 <= age <= 25 for age in ages),
        "minor_alone": len(body.members) == 1 and any(age < 18 for age in ages),
        "applicant_sex": body.members[0].sex.value,
    }
