"""The coded facts an action hands to the workflow (for deadlines and rules): codes, never text."""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from models.pathway import Action
from models.schemas import FirstContactCreate
from models.vocab import Relationship

# Which fields of each body are coded facts the rules may use.
CODED_FIELDS: dict[Action, tuple[str, ...]] = {
    Action.FLASH_EVALUATION: (
        "vulnerability",
        "immediate_needs",
        "expertise_needed",
        "shelter_requested",
        "first_orientation",
    ),
    Action.IN_DEPTH_EVALUATION: (
        "accompaniment_intensity",
        "health_cover",
        "employment",
        "administrative_situation",
        "resources",
        "has_gp",
    ),
    Action.COMMISSION_DECISION: ("commission", "recommendation", "place_type", "measures"),
    Action.ORIENTATION: ("place_type",),
    Action.REFUSE_ORIENTATION: ("refused_by", "refusal_reason"),
    Action.ADMISSION: ("place_type",),
    Action.HOUSING: ("place_type",),
    Action.FOLLOW_UP: ("housing_retained",),
    Action.EXIT: ("exit_situation",),
}
# Fields the workflow itself acts on, passed as typed inputs rather than facts.
TYPED_FIELDS = ("accompaniment_intensity", "exit_situation")


def _plain(value: Any) -> Any:
    return [str(v) for v in value] if isinstance(value, list) else value


def of_action(action: Action, body: BaseModel) -> dict[str, Any]:
    found = {
        f: _plain(getattr(body, f))
        for f in CODED_FIELDS.get(action, ())
        if getattr(body, f, None) is not None
    }
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
    }
