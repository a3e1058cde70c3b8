"""Commission sessions (R-COM-1, R-COM-2): a sitting of the single or the partnership commission
of one département, its members and partners, its agenda and the decisions taken in it.

A decision taken in a session is the pathway's own `commission_decision` action: the staged entry
(`SessionDecisionEntry`) carries the session id and who sat, so the recorded `CommissionDecision`
row (models/evaluations.py) says in which sitting it was taken.
"""

from datetime import datetime, timedelta
from typing import Annotated, Self

import sqlmodel
from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator
from sqlmodel import SQLModel

from core import clock
from models.offer_schemas import Departement, Moment
from models.pathway import Stage
from models.records import code, listing, when
from models.schemas import CommissionDecisionCreate, JsonTypes
from models.vocab import Coded
from models.vocab_orientation import CommissionKind, Recommendation

MAX_MEMBERS = 30
MAX_PARTNERS = 30
# A session is entered around its date: a sitting held long ago or years ahead is a typo.
HELD_WITHIN = timedelta(days=2 * 365)

Username = Annotated[str, StringConstraints(min_length=1, max_length=80)]
PartnerName = Annotated[str, StringConstraints(min_length=1, max_length=120)]


class SessionStatus(Coded):
    OUVERTE = "ouverte", "ouverte : la commission rend ses décisions"
    CLOSE = "close", "close : plus aucune décision"


class AgendaReason(Coded):
    """Why a household is on a session's agenda."""

    EVALUATION_APPROFONDIE = "evaluation_approfondie", "évaluation approfondie faite"
    RETOUR_APRES_REFUS = "retour_apres_refus", "de retour après un refus d'orientation"
    EN_ATTENTE_ORIENTATION = (
        "en_attente_orientation",
        "préconisation déjà rendue, en attente d'orientation",
    )
    ORIENTATION_PARTENARIALE = (
        "orientation_partenariale",
        "orienté vers la commission partenariale par les règles (R-COM-2)",
    )
    SEJOUR_LONG = "sejour_long", "séjour anormalement long en hébergement (R-HOUS-1)"


class CommissionSession(SQLModel, table=True):
    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    departement: str = sqlmodel.Field(index=True, max_length=3)
    kind: CommissionKind = code()
    held_on: datetime = when()
    members: list[str] = listing()  # account usernames (models/users.py)
    partners: list[str] = listing()  # partner organisations, as named by the coordinator
    status: SessionStatus = code(SessionStatus.OUVERTE)
    created_by: str = sqlmodel.Field(max_length=80)  # the account's opaque actor id
    created_at: datetime = when(default_factory=clock.now)


class CommissionSessionCreate(JsonTypes):
    departement: Departement
    kind: CommissionKind = Field(description=CommissionKind.describe())
    held_on: datetime = Field(
        default_factory=clock.now, description="date et heure de la séance (heure de Paris)"
    )
    members: list[Username] = Field(
        min_length=1,
        max_length=MAX_MEMBERS,
        description="identifiants des comptes membres (rôle commission ou coordination, actifs, "
        "du département)",
    )
    partners: list[PartnerName] = Field(
        default_factory=list,
        max_length=MAX_PARTNERS,
        description="partenaires invités (commission partenariale seulement)",
    )

    @field_validator("held_on")
    @classmethod
    def _held_around_now(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=clock.PARIS)
        now = clock.now()
        try:
            near = now - HELD_WITHIN <= value <= now + HELD_WITHIN
        except OverflowError:
            near = False
        if not near:
            raise ValueError("la date de la séance doit être à moins de deux ans d'aujourd'hui")
        return value

    @field_validator("members")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _partners_of_the_partnership(self) -> Self:
        if self.partners and self.kind is CommissionKind.UNIQUE:
            raise ValueError(
                "la commission unique est interne au SIAO : les partenaires siègent en "
                "commission partenariale"
            )
        return self


class CommissionSessionView(BaseModel):
    id: int
    departement: str
    kind: CommissionKind
    kind_label: str = ""
    held_on: Moment
    members: list[str]
    partners: list[str]
    status: SessionStatus
    status_label: str = ""
    created_by: str
    created_at: Moment

    @model_validator(mode="after")
    def _labels(self) -> Self:
        self.kind_label, self.status_label = self.kind.label, self.status.label
        return self

    @classmethod
    def of(cls, row: CommissionSession) -> "CommissionSessionView":
        return cls.model_validate(row.model_dump(warnings=False))  # codes read back as text


def kind_of(row: CommissionSession) -> CommissionKind:
    """The stored code as its enum (a row read back holds plain text)."""
    return next(kind for kind in CommissionKind if kind.value == row.kind)


class SessionDecisionCreate(CommissionDecisionCreate):
    """The commission's decision for one household of the agenda, and who sat."""

    members_present: list[Username] = Field(
        min_length=1,
        max_length=MAX_MEMBERS,
        description="membres présents : des membres de la séance",
    )

    @field_validator("members_present")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class SessionDecisionEntry(SessionDecisionCreate):
    """What is staged (api/actions.py): the body and its session; the writer of the
    `commission_decision` action copies both onto the CommissionDecision row."""

    session_id: int


class AgendaDecision(BaseModel):
    """The decision this session took for the household."""

    decision_id: int
    decided_at: Moment
    recommendation: Recommendation
    place_type: str | None  # masked for a reader who may not know it (`dna`)
    members_present: list[str]


class AgendaItem(BaseModel):
    household_id: str
    stage: Stage
    stage_label: str = ""
    reason: AgendaReason
    reason_label: str = ""
    seniority_since: Moment | None = Field(description="en attente depuis (ancienneté)")
    proposed_place: str | None = Field(description="proposition des règles (logement d'abord)")
    proposal_reason: str | None = Field(description="pourquoi pas un logement, selon les règles")
    flags: list[str]
    to_decide: bool = Field(description="faux : décidé dans cette séance (voir `decision`)")
    decision: AgendaDecision | None = None

    @model_validator(mode="after")
    def _labels(self) -> Self:
        self.stage_label, self.reason_label = self.stage.label, self.reason.label
        return self
