"""Need to know: what is removed from a household's file for those who may read it but not its
health, administrative-status and violence details (DOMAIN.md, Privacy)."""

from typing import Any

from models.schemas import HouseholdDetail, PathwayView

# Fields that reveal health, administrative status or violence, per record.
SENSITIVE_RECORD_FIELDS: dict[str, frozenset[str]] = {
    "flash_evaluations": frozenset({"expertise_needed", "wishes"}),
    "in_depth_evaluations": frozenset(
        {
            "social_situation",
            "health_cover",
            "health_rights_up_to_date",
            "has_gp",
            "self_assessed_health",
            "mobile_health_team_offered",
            "administrative_situation",
            "accompaniment_needed",
        }
    ),
    "commission_decisions": frozenset({"notes"}),
    "reviews": frozenset({"notes"}),
}
HIDDEN = "masqué (besoin d'en connaître)"


def _strip(record: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    return {
        k: (HIDDEN if k in fields and v not in (None, [], "") else v) for k, v in record.items()
    }


def redact_detail(detail: HouseholdDetail) -> HouseholdDetail:
    records = {
        name: [_strip(r, SENSITIVE_RECORD_FIELDS.get(name, frozenset())) for r in rows]
        for name, rows in detail.records.items()
    }
    timeline = [{**e, "detail": {}} for e in detail.timeline]  # decisions reveal situations
    return detail.model_copy(
        update={
            "records": records,
            "timeline": timeline,
            "partnership_commission": None,
            "thematic_referents": [],
            "sensitive_hidden": True,
        }
    )


def redact_pathway(view: PathwayView) -> PathwayView:
    return view.model_copy(
        update={
            "facts": {},
            "last_decisions": [],
            "thematic_referents": [],
            "partnership_commission": None,
            "flags": [],
        }
    )
