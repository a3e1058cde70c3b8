"""SQL records: the fiche ménage, the fiche personne, submissions, timeline and alerts.

Schema family per entity (as in the FastAPI template): `XBase` holds what a caseworker enters and
is shared by the API body `XCreate`; the table `X` adds ids and bookkeeping.
"""

import random
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, TypeDecorator
from sqlmodel import AutoString, Field, SQLModel

from core.clock import now
from models.pathway import Action
from models.vocab import (
    Coded,
    ConsentScope,
    ContactChannel,
    DeadlineKind,
    Recipient,
    Relationship,
    ResidentialSituation,
    Sex,
    TimeWithoutHousing,
)
from models.vocab import Typology as Typo


class SubmissionStatus(Coded):
    PENDING = "pending", "déposée, pas encore appliquée"
    APPLIED = "applied", "appliquée"


class TimelineKind(Coded):
    """What a timeline row records: a caseworker's action (the same code as its `Action`, which
    a test keeps equal), an automatic event of the pathway, or an emergency shelter given by
    the 115 outside the pathway's actions (api/offer.py)."""

    REPORT = "report", "premier contact"
    FLASH_EVALUATION = "flash_evaluation", "évaluation flash"
    IN_DEPTH_EVALUATION = "in_depth_evaluation", "évaluation approfondie"
    COMMISSION_DECISION = "commission_decision", "décision de commission"
    ORIENTATION = "orientation", "orientation"
    ACCEPT_ORIENTATION = "accept_orientation", "acceptation de l'orientation"
    REFUSE_ORIENTATION = "refuse_orientation", "refus de l'orientation"
    ADMISSION = "admission", "admission"
    HOUSING = "housing", "accès au logement"
    FOLLOW_UP = "follow_up", "suivi post-logement"
    REVIEW = "review", "revue de parcours"
    EXIT = "exit", "sortie du dispositif"
    LANDLORD_SOLICITATION = "landlord_solicitation", "sollicitation d'un bailleur"
    ACCOMPANIMENT_CHANGE = "accompaniment_change", "changement d'accompagnement"
    DEADLINE_MISSED = "deadline_missed", "échéance dépassée"
    ESCALATION = "escalation", "échéance toujours dépassée après le délai d'escalade"
    EMERGENCY_SHELTER = "emergency_shelter", "mise à l'abri en urgence (sans commission)"
    SHELTER_RELEASED = "shelter_released", "fin de la mise à l'abri (libération du matin)"

    @classmethod
    def of(cls, action: Action) -> "TimelineKind":
        return cls[action.name]


class AlertKind(Coded):
    """What an alert is about: a missed deadline (the same code as its `DeadlineKind`, which a
    test keeps equal), rules that could not be applied, or a rule's own `escalate` on an event
    that is no deadline (stored empty, as before the kinds were typed)."""

    FLASH = "flash", "évaluation flash"
    IN_DEPTH = "in_depth", "évaluation approfondie"
    ORIENTATION_RESPONSE = "orientation_response", "réponse à l'orientation"
    REEVALUATION = "reevaluation", "réactualisation de l'évaluation"
    REVIEW = "review", "revue de parcours"
    FOLLOW_UP_END = "follow_up_end", "fin du suivi post-logement"
    DLS_RENEWAL = "dls_renewal", "demande de logement social d'un an, à renouveler"
    LONG_STAY = "long_stay", "séjour anormalement long en hébergement (R-HOUS-1)"
    POLICY_FAILURE = "policy_failure", "règles du département non appliquées"
    RULE = "", "alerte décidée par une règle"

    @classmethod
    def of(cls, kind: DeadlineKind) -> "AlertKind":
        return cls[kind.name]


def code(default: Any = ..., **kw: Any) -> Any:
    """A coded value, stored as plain text so adding a code needs no schema migration."""
    return Field(default, sa_type=AutoString, **kw)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime written in UTC. SQLite keeps no offset: a moment given with
    +01:00 would otherwise be stored as its wall time and read back as UTC, an hour off."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None and value.tzinfo else value


def when(default: Any = ..., **kw: Any) -> Any:
    """A timezone-aware datetime, stored in UTC."""
    return Field(default, sa_type=UTCDateTime, **kw)


def listing(**kw: Any) -> Any:
    return Field(default_factory=list, sa_type=JSON, **kw)


class PersonBase(SQLModel):
    relationship: Relationship = code(Relationship.LUI_MEME, description="lien avec le demandeur")
    nominative_consent: bool = Field(
        description="la personne accepte d'être enregistrée sous son nom (sinon : pseudonyme)"
    )
    nickname: str | None = Field(None, max_length=80, description="pseudonyme ou surnom")
    first_name: str | None = Field(None, max_length=80, description="prénom")
    last_name: str | None = Field(None, max_length=80, description="nom")
    birth_year: int | None = Field(None, ge=1900, le=2100, description="année de naissance")
    sex: Sex = code(Sex.NON_RENSEIGNE, description=Sex.describe())
    consent_given_at: datetime | None = when(None, description="date du consentement recueilli")
    informed_of_rights: bool = Field(
        False, description="informée de ses droits d'accès, de rectification et d'effacement"
    )
    consent_scope: list[ConsentScope] = listing(
        max_length=len(ConsentScope), description=ConsentScope.describe()
    )


class Person(PersonBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    household_id: str = Field(foreign_key="household.id", index=True)
    created_at: datetime = when(default_factory=now)


class Household(SQLModel, table=True):
    """The fiche ménage, with the read model of its pathway (stage, overdue) for lists."""

    # The candidates of a vacancy: one département, waiting at the commission, one place type.
    __table_args__ = (Index("ix_household_matching", "departement", "stage", "recommended_place"),)

    id: str = Field(primary_key=True, max_length=36)
    departement: str = Field(index=True, max_length=3)
    typology: Typo = code(Typo.NON_RENSEIGNE)
    residential_situation: ResidentialSituation = code(ResidentialSituation.NON_RENSEIGNE)
    time_without_housing: TimeWithoutHousing = code(TimeWithoutHousing.NON_RENSEIGNE)
    wandering_since: date | None = None
    contact_channel: ContactChannel = code(ContactChannel.AUTRE)
    reported_by_structure: str | None = Field(None, max_length=120)
    encountered_at: datetime = when()
    # Where the encounter took place (INSEE code, models/coverage.py): the white zones.
    commune: str | None = Field(None, max_length=5, index=True)
    # Waiting since (the request, the first contact): lost only by a refusal whose reason's
    # consequence says so (models/protocol.Consequence), then counted from that refusal.
    seniority_since: datetime | None = when(None, index=True)
    referent_structure: str | None = Field(None, max_length=120)
    referent_worker: str | None = Field(None, max_length=120)
    workflow_id: str = Field(max_length=64)
    stage: str = code(index=True)
    overdue: bool = Field(False, index=True)
    next_deadline: datetime | None = when(None)
    exit_situation: str | None = code(None)
    closed_at: datetime | None = when(None)
    # Its earlier pathway, when the household was recognised at the first contact: first-time
    # requests and returns after housing are counted from it (activities/indicators.py).
    previous_household_id: str | None = Field(None, max_length=36, index=True)
    # What the rules last saw and decided (coded facts only): dry-runs and lists read them.
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    partnership_commission: str | None = Field(None, max_length=300)
    thematic_referents: list[str] = listing()
    flags: list[str] = listing()
    proposed_accompaniments: list[str] = listing()
    # Housing first (R-COM-1): what the rules propose to the commission, and why not housing.
    proposed_place: str | None = code(None)
    proposal_reason: str | None = code(None)
    # Matching (models/ranking.py reads these columns in SQL): the place type the commission
    # recommended, the vulnerability the flash evaluation found, when a refusal's consequence
    # lets the household be proposed again, and a tie-breaker drawn once and kept.
    recommended_place: str | None = code(None, index=True)
    vulnerability: str | None = code(None)
    held_until: datetime | None = when(None)
    awaiting_reassessment: bool = False
    tie_breaker: float = Field(default_factory=random.random)
    created_at: datetime = when(default_factory=now)
    updated_at: datetime = when(default_factory=now)


class Submission(SQLModel, table=True):
    """A caseworker's entry, staged before the workflow accepts it; the update id is its id.

    The personal contents wait here (never in Temporal); the activity that applies the accepted
    action moves them into the records and empties `payload`. Applying twice does nothing.
    """

    id: str = Field(primary_key=True, max_length=64)
    household_id: str = Field(index=True, max_length=36)
    action: Action = code()
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: SubmissionStatus = code(
        SubmissionStatus.PENDING, description=SubmissionStatus.describe()
    )
    actor: str = Field(max_length=120)
    created_at: datetime = when(default_factory=now)
    applied_at: datetime | None = when(None)
    # SHA-256 of the body as the client sent it: a key reused with another body is refused
    # (None for entries staged before the digest existed: those are not compared).
    request_digest: str | None = Field(default=None, max_length=64)


class TimelineEvent(SQLModel, table=True):
    """One row per action or automatic event: who, when, what — the start of the audit trail."""

    # The report's monthly flows read a département's events of a period from this index alone.
    __table_args__ = (Index("ix_timelineevent_flows", "departement", "occurred_at", "action"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: str = Field(index=True, max_length=36)
    departement: str | None = Field(None, max_length=3)  # the household's, for reports
    workflow_id: str = Field(max_length=64)
    action: TimelineKind = code(description=TimelineKind.describe())
    actor: str = Field(max_length=120)
    occurred_at: datetime = when()
    recorded_at: datetime = when(default_factory=now)
    stage_before: str | None = code(None)
    stage_after: str | None = code(None)
    submission_id: str | None = Field(default=None, max_length=64, unique=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Alert(SQLModel, table=True):
    """A missed deadline's alert, to whom the rules said (lead referent, then coordinator);
    resolved by the late action."""

    id: int | None = Field(default=None, primary_key=True)
    household_id: str = Field(index=True, max_length=36)
    kind: AlertKind = code(description=AlertKind.describe())
    recipient: Recipient = code(Recipient.LEAD_REFERENT, description=Recipient.describe())
    recipient_structure: str | None = Field(None, max_length=120)
    due_at: datetime = when()
    raised_at: datetime = when(default_factory=now)
    resolved_at: datetime | None = when(None)
    policy_version: str = Field(max_length=64)
    rule_id: str | None = Field(default=None, max_length=60, description="règle ayant décidé")
    reason: str | None = Field(default=None, max_length=300)
