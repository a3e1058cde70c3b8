"""A vacancy's protocol as the VacancyWorkflow runs it, and its SQL read model (issue 10).

The workflow is the source of truth for the protocol; the tables below are what lists, the live
count and alerts read. Workflow inputs carry ids, codes and dates only.
"""

from datetime import UTC, date, datetime

from pydantic import BaseModel, Field, field_validator
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from core.clock import now
from models.offer import PlaceStatus, StructureKind
from models.pathway import Action
from models.protocol import (
    ACTIVE,
    Consequence,
    ProposalStatus,
    ProtocolStep,
    ProtocolTerms,
    StallReason,
    StallRecipient,
)
from models.records import code, when
from models.vocab_orientation import RefusalReason, RefusedBy

# -- the workflow's inputs and state -------------------------------------------------------------


class VacancyInput(BaseModel):
    vacancy_id: str
    place_id: int
    structure_id: int
    structure: str = Field(description="nom de la structure (pas une donnée personnelle)")
    kind: StructureKind
    departement: str
    declared_at: datetime
    actor: str

    @field_validator("declared_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        """SQLite gives stored times back without their zone: they are UTC."""
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class ProposeInput(BaseModel):
    household_id: str
    actor: str
    occurred_at: datetime


class AnswerInput(BaseModel):
    """One party's answer to a proposal; a refusal names its reason, the text of an « autre »
    stays in the database under `note_id` (a staged entry)."""

    household_id: str
    party: RefusedBy
    accepted: bool
    reason: RefusalReason | None = None
    note_id: str | None = None
    actor: str
    occurred_at: datetime


class AdmitInput(BaseModel):
    household_id: str
    admitted_on: date
    actor: str
    occurred_at: datetime


class ProposalState(BaseModel):
    household_id: str
    status: ProposalStatus
    proposed_at: datetime
    due_at: datetime  # the awaited answer (or admission) by then
    stall_level: int = 0  # alerts raised for the current wait
    escalate_at: datetime | None = None
    accepted_at: datetime | None = None
    refused_by: RefusedBy | None = None
    reason: RefusalReason | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


class VacancyState(BaseModel):
    vacancy_id: str
    place_id: int
    departement: str
    kind: StructureKind
    step: ProtocolStep = ProtocolStep.AWAITING_PROPOSAL
    terms: ProtocolTerms | None = None
    propose_due: datetime | None = None  # while no household is proposed
    propose_stall_level: int = 0
    propose_escalate_at: datetime | None = None
    proposals: list[ProposalState] = Field(default_factory=list)
    filled_by: str | None = None
    withdrawn_reason: RefusalReason | None = None

    def proposal(self, household_id: str) -> ProposalState | None:
        found = [p for p in self.proposals if p.household_id == household_id]
        return found[-1] if found else None

    @property
    def active(self) -> list[ProposalState]:
        return [p for p in self.proposals if p.active]


# -- activity inputs --------------------------------------------------------------------------


class VacancyRecordInput(BaseModel):
    """Write the vacancy's read model: its step, and one proposal's row when it moved."""

    vacancy: VacancyInput
    step: ProtocolStep
    proposal: ProposalState | None = None
    consequence: Consequence | None = None
    parked_until: datetime | None = None
    declined_after_accepting: bool = False
    admitted_on: date | None = None
    place_to: PlaceStatus | None = None  # where the place moves (vacant, proposed…)


class PathwayCallInput(BaseModel):
    """An action the protocol sends to the household's pathway (through its update)."""

    vacancy: VacancyInput
    household_id: str
    action: Action
    sequence: int  # the proposal's rank in this vacancy: one submission per (action, proposal)
    actor: str
    occurred_at: datetime
    answer: dict[str, str | None] = Field(default_factory=dict)  # refusal codes, note id
    started_on: date | None = None

    @classmethod
    def of(
        cls,
        vacancy: VacancyInput,
        household_id: str,
        action: Action,
        sequence: int,
        inp: "ProposeInput | AnswerInput | AdmitInput",
        started_on: date | None = None,
    ) -> "PathwayCallInput":
        answer: dict[str, str | None] = {}
        if isinstance(inp, AnswerInput) and not inp.accepted:
            answer = {
                "refused_by": inp.party.value,
                "refusal_reason": inp.reason.value if inp.reason else None,
                "note_id": inp.note_id,
            }
        return cls(
            vacancy=vacancy,
            household_id=household_id,
            action=action,
            sequence=sequence,
            actor=inp.actor,
            occurred_at=inp.occurred_at,
            answer=answer,
            started_on=started_on,
        )


class StallInput(BaseModel):
    vacancy: VacancyInput
    reason: StallReason
    recipient: StallRecipient
    household_id: str | None = None
    due_at: datetime
    level: int


# -- the read model -----------------------------------------------------------------------------


class Vacancy(SQLModel, table=True):
    id: str = SQLField(primary_key=True, max_length=40)  # the workflow id
    place_id: int = SQLField(foreign_key="place.id", index=True)
    number: int
    departement: str = SQLField(max_length=3, index=True)
    structure_id: int = SQLField(index=True)
    step: ProtocolStep = code(ProtocolStep.AWAITING_PROPOSAL, index=True)
    declared_at: datetime = when()
    updated_at: datetime = when(default_factory=now)
    filled_by: str | None = SQLField(default=None, max_length=36)


class Proposal(SQLModel, table=True):
    id: int | None = SQLField(default=None, primary_key=True)
    vacancy_id: str = SQLField(index=True, max_length=40)
    place_id: int = SQLField(index=True)
    household_id: str = SQLField(index=True, max_length=36)
    status: ProposalStatus = code(index=True)
    proposed_at: datetime = when()
    due_at: datetime | None = when(None)
    accepted_at: datetime | None = when(None)
    refused_by: RefusedBy | None = code(None)
    refusal_reason: RefusalReason | None = code(None)
    consequence: Consequence | None = code(None)
    parked_until: datetime | None = when(None)
    declined_after_accepting: bool = False
    admitted_on: date | None = None
    updated_at: datetime = when(default_factory=now)


class StallAlert(SQLModel, table=True):
    """A protocol that stalls: the structure's contact is told first, then the coordinator."""

    id: int | None = SQLField(default=None, primary_key=True)
    vacancy_id: str = SQLField(index=True, max_length=40)
    departement: str = SQLField(max_length=3, index=True)
    household_id: str | None = SQLField(default=None, index=True, max_length=36)
    reason: StallReason = code()
    recipient: StallRecipient = code()
    recipient_structure: str | None = SQLField(default=None, max_length=120)
    level: int = 0
    due_at: datetime = when()
    raised_at: datetime = when(default_factory=now)
