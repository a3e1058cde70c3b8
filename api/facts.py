"""The coded facts an action hands to the workflow, named as the rules vocabulary names them
(rules/vocabulary.py): codes, flags and dates — never free text."""

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from core.clock import PARIS
from models.decisions import FactValue
from models.pathway import Action
from models.schemas import FirstContactCreate
from models.vocab import (
    AccompanimentIntensity,
    ContactChannel,
    Expertise,
    FirstOrientation,
    HousingWish,
    Relationship,
    ResidentialSituation,
    Resource,
    Sex,
    SyploStatus,
    TimeWithoutHousing,
    Typology,
    Vulnerability,
)
from models.vocab import AdministrativeSituation as Admin
from models.vocab_orientation import (
    CommissionKind,
    ExitSituation,
    PlaceType,
    RefusalReason,
    RefusedBy,
)


class RecordedFacts(BaseModel):
    """The coded facts one action records on its pathway (what it did not say stays None). Those
    the rules see have their type in rules/vocabulary.py RuleFacts (tests/test_decisions.py keeps
    them equal); the others serve the workflow (the commission named) or later facts (the DLS
    date gives `dls_age_days`)."""

    model_config = ConfigDict(extra="forbid")

    # the first contact
    typology: Typology | None = None
    residential_situation: ResidentialSituation | None = None
    time_without_housing: TimeWithoutHousing | None = None
    contact_channel: ContactChannel | None = None
    members_count: int | None = None
    has_children: bool | None = None
    young_adult: bool | None = None
    minor_alone: bool | None = None
    applicant_sex: Sex | None = None
    # the flash evaluation
    vulnerability: Vulnerability | None = None
    expertise_needed: list[Expertise] | None = None
    first_orientation: FirstOrientation | None = None
    # the in-depth evaluation
    accompaniment_intensity: AccompanimentIntensity | None = None
    administrative_situation: Admin | None = None
    syplo: SyploStatus | None = None
    no_resources: bool | None = None
    housing_wish: HousingWish | None = None
    housing_conditions_met: bool | None = None
    dls_filed_on: date | None = None
    # the commission, a refused orientation, the exit
    commission: CommissionKind | None = None
    recommended_place: PlaceType | None = None
    refused_by: RefusedBy | None = None
    refusal_reason: RefusalReason | None = None
    exit_situation: ExitSituation | None = None

    def coded(self) -> dict[str, FactValue]:
        """As the workflow keeps them (JSON codes; what was not said is left out)."""
        return self.model_dump(mode="json", exclude_none=True)


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
WISH = {True: HousingWish.OUI, False: HousingWish.NON}
# R-COM-1: the only preconditions to housing are the wish and the administrative situation.
ADMITS_HOUSING = {Admin.FRANCAISE, Admin.UE, Admin.PROTECTION_INTERNATIONALE, Admin.TITRE_SEJOUR}


def of_action(action: Action, body: BaseModel) -> RecordedFacts:
    found: dict[str, Any] = {
        fact: getattr(body, field)
        for field, fact in CODED_FIELDS.get(action, {}).items()
        if getattr(body, field, None) is not None
    }
    if action is Action.IN_DEPTH_EVALUATION:
        resources = list(getattr(body, "resources", []))
        found["no_resources"] = not resources or resources == [Resource.AUCUNE]
        wish = getattr(body, "wants_housing", None)
        found["housing_wish"] = HousingWish.NON_RENSEIGNE if wish is None else WISH[wish]
        found["housing_conditions_met"] = bool(
            getattr(body, "wants_housing", False)
            and getattr(body, "administrative_situation", None) in ADMITS_HOUSING
        )
        found["dls_filed_on"] = getattr(body, "dls_filed_on", None)
    return RecordedFacts.model_validate(found)


def of_first_contact(body: FirstContactCreate) -> RecordedFacts:
    # Ages at the encounter, not today: a first contact may be entered days later.
    year = body.encountered_at.astimezone(PARIS).year
    ages = [year - m.birth_year for m in body.members if m.birth_year]
    return RecordedFacts(
        typology=body.typology,
        residential_situation=body.residential_situation,
        time_without_housing=body.time_without_housing,
        contact_channel=body.contact_channel,
        members_count=len(body.members),
        has_children=any(m.relationship is Relationship.ENFANT for m in body.members),
        young_adult=any(18 <= age <= 25 for age in ages),
        minor_alone=len(body.members) == 1 and any(age < 18 for age in ages),
        applicant_sex=body.members[0].sex,
    )
