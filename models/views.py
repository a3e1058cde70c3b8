"""What the API answers: the pathway's and the household's views, and its errors (messages in
French: they are what a caseworker reads). The bodies it reads are models/schemas.py."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from models.pathway import Action, PathwayState, Stage


class PathwayView(PathwayState):
    """État vivant du parcours, lu dans le workflow."""

    workflow_id: str
    stage_label: str
    overdue_now: bool = Field(description="au moins une échéance dépassée")
    next_deadline_at: datetime | None

    @classmethod
    def of(cls, state: PathwayState, workflow_id: str) -> "PathwayView":
        return cls(
            **state.model_dump(),
            workflow_id=workflow_id,
            stage_label=state.stage.label,
            overdue_now=state.overdue,
            next_deadline_at=state.next_deadline,
        )


class FirstContactResult(BaseModel):
    household_id: str
    pathway: PathwayView


class HouseholdSummary(BaseModel):
    id: str
    departement: str
    typology: str
    stage: str
    overdue: bool | None = Field(
        description="une échéance dépassée (absent : échéances que votre rôle ne voit pas)"
    )
    next_deadline: datetime | None
    referent_structure: str | None
    encountered_at: datetime
    seniority_since: datetime | None = Field(
        None, description="ancienneté de la demande (perdue seulement selon le motif d'un refus)"
    )
    updated_at: datetime
    name: str | None = Field(
        None, description="demandeur : nom (s'il y consent) ou pseudonyme, pour qui lit les fiches"
    )
    flags: list[str] = Field(default_factory=list, description="signalements des règles")


class HouseholdPage(BaseModel):
    items: list[HouseholdSummary]
    total: int
    offset: int
    limit: int


class HouseholdDetail(HouseholdSummary):
    members: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]]
    timeline: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    partnership_commission: str | None = None
    thematic_referents: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    proposed_accompaniments: list[str] = Field(default_factory=list)
    proposed_place: str | None = Field(None, description="préconisation proposée par les règles")
    proposal_reason: str | None = Field(None, description="pourquoi pas un logement")
    recommended_place: str | None = Field(None, description="type de place préconisé")
    sensitive_hidden: bool = Field(False, description="champs sensibles masqués pour ce rôle")


class Problem(BaseModel):
    """Une erreur : son message, en français."""

    detail: str


class FieldError(BaseModel):
    champ: str | None = Field(None, description="le champ en cause (« corps » : tout le corps)")
    message: str
    fichier: str | None = Field(None, description="fichier de politique en cause")
    ligne: int | None = Field(None, description="ligne du fichier de politique")


class InvalidInput(Problem):
    """Saisie invalide : le message général, puis un message par champ en cause."""

    erreurs: list[FieldError] = Field(default_factory=list)


class ActionRefused(Problem):
    stage: Stage | None = Field(
        None, description="étape actuelle (absente si le refus ne tient pas à l'étape)"
    )
    allowed_actions: list[Action] = Field(
        default_factory=list, description="actions possibles à cette étape"
    )
