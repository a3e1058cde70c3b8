"""The offer's API bodies and views (issue 10): bounded, unknown fields refused by name."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, field_validator
from sqlmodel._compat import SQLModelConfig

from core import clock
from models.departements import DEPARTEMENT_PATTERN
from models.offer import Funding, PlaceStatus, Requirement, StructureKind, UnitType
from models.schemas import JsonTypes
from models.vocab import Typology

Departement = Annotated[str, Field(pattern=DEPARTEMENT_PATTERN, description="département")]
# SQLite gives stored times back without their zone (they are UTC): answers always carry it.
Moment = Annotated[datetime, AfterValidator(lambda t: t if t.tzinfo else t.replace(tzinfo=UTC))]
Commune = Annotated[str, Field(pattern=r"^[0-9AB]{5}$", description="code commune INSEE")]
Reason = Annotated[str, Field(max_length=300, description="motif")]
Requirements = Annotated[
    list[Requirement], Field(default_factory=list, max_length=20, description="éligibilité")
]


class Body(JsonTypes):
    """Bounded, strict JSON types (a date is an ISO text), unknown fields refused."""


class StructureCreate(Body):
    name: str = Field(min_length=1, max_length=120, description="nom de la structure")
    departement: Departement
    kind: StructureKind = Field(description=StructureKind.describe())
    public: str = Field("", max_length=300, description="public accueilli")
    capacity: dict[Typology, Annotated[int, Field(ge=0, le=10_000)]] = Field(
        default_factory=dict, max_length=len(Typology), description="capacité par composition"
    )
    accessible: bool = Field(False, description="accessible aux personnes à mobilité réduite")
    commune: Commune
    funding: Funding = Field(Funding.P177, description=Funding.describe())
    state_quota: bool = Field(False, description="contingent préfectoral")
    quota_rate: int = Field(0, ge=0, le=100, description="taux de réservation (%)")
    contact: str = Field("", max_length=200, description="contact de la structure")
    requirements: Requirements


class StructureView(StructureCreate):
    model_config = SQLModelConfig(extra="ignore")  # a view, built from the row
    id: int


class PlaceCreate(Body):
    label: str = Field(min_length=1, max_length=120, description="nom ou numéro du logement")
    unit_type: UnitType = Field(UnitType.CHAMBRE, description=UnitType.describe())
    beds: int = Field(1, ge=1, le=20, description="nombre de personnes accueillies")
    accessible: bool = False
    status: PlaceStatus = Field(
        PlaceStatus.VACANT, description="statut initial (pas `proposed` : hors protocole)"
    )
    state_quota: bool = Field(False, description="réservée au contingent préfectoral")
    address: str | None = Field(None, max_length=200, description="IML : adresse")
    rent: int | None = Field(None, ge=0, le=10_000, description="IML : loyer négocié (€)")
    charges: int | None = Field(None, ge=0, le=10_000, description="IML : charges (€)")
    convention: str | None = Field(None, max_length=120, description="IML : convention")
    convention_start: date | None = None
    convention_end: date | None = None
    requirements: Requirements


class PlaceView(BaseModel):
    id: int
    structure_id: int
    structure: str
    kind: StructureKind
    departement: str
    commune: str
    label: str
    unit_type: UnitType
    beds: int
    accessible: bool
    status: PlaceStatus
    status_since: Moment
    state_quota: bool = False
    address: str | None = None
    rent: int | None = None
    charges: int | None = None
    convention: str | None = None
    convention_start: date | None = None
    convention_end: date | None = None
    requirements: list[Requirement] = []


class StatusChange(Body):
    reason: Reason = ""
    occurred_at: Moment | None = Field(
        None, description="quand c'est arrivé, si déclaré après coup (30 jours au plus)"
    )

    @field_validator("occurred_at")
    @classmethod
    def _recent(cls, value: datetime | None) -> datetime | None:
        if value is not None and not (clock.now() - timedelta(days=30) <= value <= clock.now()):
            raise ValueError("une date des 30 derniers jours est attendue (pas dans le futur)")
        return value


class Assignment(Body):
    household_id: str = Field(pattern=r"^[0-9a-f-]{36}$", description="ménage signalé")
    reason: Reason = ""


class Prolongation(Body):
    until: date = Field(description="la place reste attribuée jusqu'à ce jour inclus")
    reason: Reason = ""


class StatusChangeView(BaseModel):
    at: Moment
    actor: str
    from_status: PlaceStatus | None
    to_status: PlaceStatus
    reason: str


class OfferCount(BaseModel):
    """Places of one type, commune and funding, by status; and those of the State quota."""

    departement: str
    kind: StructureKind
    commune: str
    funding: Funding
    total: int
    vacant: int
    proposed: int
    occupied: int
    unavailable: int
    state_quota: int = Field(description="dont places du contingent préfectoral")
    state_quota_vacant: int = Field(description="dont places du contingent préfectoral vacantes")
