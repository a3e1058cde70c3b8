"""Evaluations, commission decisions, orientations, placements and reviews (R-EVAL-2/4, R-COM-1).

Each `XBase` is what the caseworker enters (and the API body); the table adds the household,
the submission it came from (unique: an action is recorded once) and when it was recorded.
"""

from datetime import date, datetime
from typing import Annotated

from pydantic import StringConstraints, model_validator
from sqlmodel import Field, SQLModel

from core.clock import now
from models.records import code, listing, when
from models.vocab import (
    AccompanimentIntensity,
    AdministrativeSituation,
    Coded,
    Employment,
    Expertise,
    FirstOrientation,
    HealthCover,
    ImmediateNeed,
    Resource,
    SelfAssessedHealth,
    SyploStatus,
    Vulnerability,
)
from models.vocab_orientation import (
    CommissionKind,
    Measure,
    NotHousingReason,
    PlaceType,
    Recommendation,
    RefusalReason,
    RefusedBy,
    is_housing,
)

# Every text and list a caseworker enters is bounded (the request-size limit is the last net).
ROADMAP_ITEMS = 30
RoadmapItem = Annotated[str, StringConstraints(max_length=300)]


class Recorded(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    household_id: str = Field(foreign_key="household.id", index=True, max_length=36)
    submission_id: str = Field(unique=True, max_length=64)
    # Server-set entry time, beside the caseworker's stated time (the record's own date field).
    recorded_at: datetime = when(default_factory=now)
    # Timeliness at the source: the due date this record met or missed (None: nothing was
    # awaited) and whether its stated time was past it, whatever the timers did.
    due_at: datetime | None = when(None)
    late: bool | None = None


class FlashEvaluationBase(SQLModel):
    evaluated_at: datetime = when(description="date et heure de l'évaluation")
    evaluator_structure: str = Field(max_length=120, description="structure de l'évaluateur")
    vulnerability: Vulnerability = code(description=Vulnerability.describe())
    immediate_needs: list[ImmediateNeed] = listing(
        max_length=len(ImmediateNeed), description=ImmediateNeed.describe()
    )
    shelter_requested: bool = Field(description="une mise à l'abri est demandée")
    wishes: str | None = Field(None, max_length=2000, description="souhaits, dans ses mots")
    expertise_needed: list[Expertise] = listing(
        max_length=len(Expertise), description=Expertise.describe()
    )
    first_orientation: FirstOrientation = code(
        FirstOrientation.ADAPTEE, description=FirstOrientation.describe()
    )


class FlashEvaluation(FlashEvaluationBase, Recorded, table=True):
    pass


class InDepthEvaluationBase(SQLModel):
    evaluated_at: datetime = when(description="date de l'évaluation approfondie")
    evaluator_structure: str = Field(max_length=120)
    social_situation: str | None = Field(None, max_length=4000, description="situation sociale")
    health_cover: HealthCover = code(HealthCover.NON_RENSEIGNE, description=HealthCover.describe())
    health_rights_up_to_date: bool | None = None
    has_gp: bool | None = Field(None, description="a un médecin traitant")
    self_assessed_health: SelfAssessedHealth = code(SelfAssessedHealth.NON_RENSEIGNE)
    mobile_health_team_offered: bool = Field(False, description="équipe mobile santé proposée")
    employment: Employment = code(Employment.NON_RENSEIGNE, description=Employment.describe())
    resources: list[Resource] = listing(max_length=len(Resource), description=Resource.describe())
    administrative_situation: AdministrativeSituation = code(AdministrativeSituation.NON_RENSEIGNE)
    housing_wishes: str | None = Field(None, max_length=2000)
    accompaniment_wishes: str | None = Field(None, max_length=2000)
    accompaniment_needed: str | None = Field(None, max_length=2000)
    accompaniment_intensity: AccompanimentIntensity = code(
        AccompanimentIntensity.MOYEN, description=AccompanimentIntensity.describe()
    )
    roadmap: list[RoadmapItem] = listing(
        max_length=ROADMAP_ITEMS, description="feuille de route : actions prioritaires convenues"
    )
    wants_housing: bool | None = Field(None, description="souhaite accéder à un logement")
    dls_filed_on: date | None = Field(
        None, description="date de dépôt ou de dernier renouvellement de la DLS"
    )
    syplo: SyploStatus = code(
        SyploStatus.NON_RENSEIGNE, max_length=20, description=SyploStatus.describe()
    )


class InDepthEvaluation(InDepthEvaluationBase, Recorded, table=True):
    pass


class CommissionDecisionBase(SQLModel):
    decided_at: datetime = when()
    commission: CommissionKind = code(CommissionKind.UNIQUE, description=CommissionKind.describe())
    recommendation: Recommendation = code(description=Recommendation.describe())
    place_type: PlaceType | None = code(None, description=PlaceType.describe())
    measures: list[Measure] = listing(max_length=len(Measure), description=Measure.describe())
    not_housing_reason: NotHousingReason | None = code(
        None,
        description="obligatoire quand la préconisation n'est pas un logement (R-COM-1) : "
        + NotHousingReason.describe(),
    )
    notes: str | None = Field(None, max_length=4000)

    @model_validator(mode="after")
    def _housing_first(self) -> "CommissionDecisionBase":
        housing = self.recommendation is Recommendation.LOGEMENT or is_housing(self.place_type)
        if not housing and self.not_housing_reason is None:
            raise ValueError(
                "le logement d'abord (R-COM-1) : une préconisation autre qu'un logement indique "
                f"ce qui l'empêche (not_housing_reason : {NotHousingReason.describe()}) ; "
                "l'absence de ressources n'en est pas une, elle appelle un accompagnement"
            )
        return self


class CommissionDecision(CommissionDecisionBase, Recorded, table=True):
    # A decision taken in a commission session (models/commissions.py), with who sat in it.
    session_id: int | None = Field(None, index=True)
    members_present: list[str] = listing()
    # The recommendation the rules proposed, and whether the commission followed it.
    proposed_place: str | None = code(None)
    follows_proposal: bool | None = None


class OrientationBase(SQLModel):
    proposed_at: datetime = when()
    structure: str = Field(max_length=120, description="structure ou bailleur proposé")
    place_type: PlaceType = code(description=PlaceType.describe())


class Orientation(OrientationBase, Recorded, table=True):
    answer: str | None = code(None, description="acceptee | refusee")
    answered_at: datetime | None = when(None)
    refused_by: RefusedBy | None = code(None)
    refusal_reason: RefusalReason | None = code(None)
    refusal_detail: str | None = Field(None, max_length=2000)
    answer_due_at: datetime | None = when(None)
    answer_late: bool | None = None


class PlacementBase(SQLModel):
    started_at: datetime = when(description="date d'entrée")
    structure: str = Field(max_length=120)
    place_type: PlaceType = code(description=PlaceType.describe())


class PlacementKind(Coded):
    """The action that recorded the placement (the same codes as those actions)."""

    ADMISSION = "admission", "admission en hébergement"
    HOUSING = "housing", "accès au logement"


class Placement(PlacementBase, Recorded, table=True):
    """An admission in shelter or a move into housing."""

    kind: PlacementKind = code(description=PlacementKind.describe())


class ReviewBase(SQLModel):
    held_at: datetime = when()
    participants: str | None = Field(None, max_length=500)
    housing_retained: bool | None = Field(None, description="maintien dans le logement")
    notes: str | None = Field(None, max_length=4000)


class ReviewKind(Coded):
    """The action that recorded the review (the same codes as those actions)."""

    REVIEW = "review", "revue de parcours"
    FOLLOW_UP = "follow_up", "suivi post-logement"
    LANDLORD_SOLICITATION = "landlord_solicitation", "sollicitation d'un bailleur"


class Review(ReviewBase, Recorded, table=True):
    """A pathway review (R-FOLLOW-1) or a post-housing follow-up contact (R-HOUS-3)."""

    kind: ReviewKind = code(description=ReviewKind.describe())


# The records a household accumulates, by the name the API shows them under.
RECORD_TABLES: dict[str, type[Recorded]] = {
    "flash_evaluations": FlashEvaluation,
    "in_depth_evaluations": InDepthEvaluation,
    "commission_decisions": CommissionDecision,
    "orientations": Orientation,
    "placements": Placement,
    "reviews": Review,
}
