"""The vacancy protocol's API bodies and views (issue 10): bounded, unknown fields refused."""

from datetime import date
from typing import Self

from pydantic import Field, model_validator
from sqlmodel._compat import SQLModelConfig

from models.offer_schemas import Body, Moment
from models.protocol import (
    REASON_PARTY,
    Consequence,
    ProposalStatus,
    ProtocolStep,
    StallReason,
    StallRecipient,
)
from models.vocab_orientation import OrientationAnswer, RefusalReason, RefusedBy

HouseholdId = Field(min_length=36, max_length=36, description="identifiant du ménage")


class ProposalCreate(Body):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={"examples": [{"household_id": "3f0b6c1e-6a51-4d3e-9c2a-1b2c3d4e5f60"}]},
    )
    household_id: str = HouseholdId
    proposed_at: Moment | None = Field(
        None, description="quand la proposition a été faite, si saisie après coup"
    )


class AnswerCreate(Body):
    """Une réponse à une proposition ; la partie qui répond est celle de la route."""

    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"answer": "acceptee"},
                {"answer": "refusee", "refusal_reason": "public_non_correspondant"},
                {
                    "answer": "refusee",
                    "refusal_reason": "autre",
                    "refusal_detail": "travaux dans la chambre jusqu'à la fin du mois",
                },
            ]
        },
    )

    answer: OrientationAnswer = Field(description=OrientationAnswer.describe())
    refusal_reason: RefusalReason | None = Field(None, description=RefusalReason.describe())
    refusal_detail: str | None = Field(None, max_length=2000, description="motif « autre »")

    @model_validator(mode="after")
    def _motivated(self) -> Self:
        if self.answer is OrientationAnswer.ACCEPTEE:
            if self.refusal_reason or self.refusal_detail:
                raise ValueError("une acceptation n'a pas de motif de refus")
            return self
        if self.refusal_reason is None:
            raise ValueError("un refus doit être motivé : indiquez refusal_reason")
        if self.refusal_reason is RefusalReason.AUTRE and not (self.refusal_detail or "").strip():
            raise ValueError("motif « autre » : précisez-le dans refusal_detail")
        return self

    def owner(self) -> RefusedBy | None:
        """Who may give this refusal's reason (None: anyone, or an acceptance)."""
        return REASON_PARTY.get(self.refusal_reason) if self.refusal_reason else None


class AdmissionCreate(Body):
    model_config = SQLModelConfig(
        extra="forbid", json_schema_extra={"examples": [{"admitted_on": "2026-12-07"}]}
    )
    admitted_on: date = Field(description="date d'entrée dans la place")


class View(Body):
    model_config = SQLModelConfig(extra="ignore")  # built from rows


class ProposalView(View):
    household_id: str
    status: ProposalStatus
    proposed_at: Moment
    due_at: Moment | None = None
    accepted_at: Moment | None = None
    refused_by: RefusedBy | None = None
    refusal_reason: RefusalReason | None = None
    consequence: Consequence | None = None
    parked_until: Moment | None = None
    declined_after_accepting: bool = False
    admitted_on: date | None = None


class StallAlertView(View):
    household_id: str | None = None
    reason: StallReason
    recipient: StallRecipient
    recipient_structure: str | None = None
    level: int
    due_at: Moment
    raised_at: Moment


class VacancyView(View):
    id: str = Field(description="identifiant du workflow (vacance-<place>-<n>)")
    place_id: int
    structure_id: int
    departement: str
    step: ProtocolStep
    declared_at: Moment
    updated_at: Moment
    filled_by: str | None = None
    proposals: list[ProposalView] = Field(default_factory=list)
    alerts: list[StallAlertView] = Field(default_factory=list)
