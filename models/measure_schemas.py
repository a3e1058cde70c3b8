"""Accompaniment measures' API bodies and views (issue 10, item 5): bounded, unknown fields
refused by name, « autre » explained in words."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel._compat import SQLModelConfig

from core import clock
from models.measures import MeasureChangeKind, MeasureEndReason, MeasureKind
from models.offer_schemas import Departement, Moment
from models.schemas import Dated, JsonTypes
from models.views import PathwayView
from models.vocab import AccompanimentIntensity

ServiceId = Annotated[
    int, Field(ge=1, le=2**31 - 1, description="identifiant du service d'accompagnement")
]
Intensity = Annotated[AccompanimentIntensity, Field(description=AccompanimentIntensity.describe())]


class MeasureServiceCreate(JsonTypes):
    departement: Departement
    kind: MeasureKind = Field(description=MeasureKind.describe())
    operator: str = Field(min_length=1, max_length=120, description="opérateur de la mesure")
    capacity: int = Field(ge=1, le=10_000, description="ménages accompagnés en même temps")
    intensity: Intensity = AccompanimentIntensity.MOYEN


class MeasureServiceView(MeasureServiceCreate):
    model_config = SQLModelConfig(extra="ignore")  # a view, built from the row
    id: int
    active: int = Field(description="mesures en cours")
    remaining: int = Field(description="places restantes : capacité moins les mesures en cours")


class MeasureCreate(Dated):
    service_id: ServiceId
    intensity: Intensity | None = Field(None, description="par défaut : celle du service")
    started_at: datetime = Field(default_factory=clock.now, description="début de la mesure")


class IntensityChange(Dated):
    intensity: Intensity
    changed_at: datetime = Field(default_factory=clock.now, description="date du changement")


class Transfer(Dated):
    service_id: ServiceId = Field(description="le service qui prend le relais (même type)")
    transferred_at: datetime = Field(default_factory=clock.now, description="date du relais")


class MeasureEnd(Dated):
    reason: MeasureEndReason = Field(description=MeasureEndReason.describe())
    detail: str | None = Field(None, max_length=2000, description="précision (motif « autre »)")
    ended_at: datetime = Field(default_factory=clock.now, description="date de fin")

    @model_validator(mode="after")
    def _motivated(self) -> Self:
        if self.reason is MeasureEndReason.AUTRE and not (self.detail or "").strip():
            raise ValueError("motif « autre » : précisez-le dans detail")
        if self.reason is MeasureEndReason.RELAIS:
            raise ValueError(
                "le motif « relais » est celui d'un transfert : utilisez /measures/{id}/transfer"
            )
        return self


class MeasureOperation(BaseModel):
    """What a measure route asks the pathway to record: the staged entry's payload (personal
    contents stay in the database; the workflow gets the action, its date and codes only)."""

    model_config = ConfigDict(extra="forbid")
    operation: MeasureChangeKind
    measure_id: int | None = None
    service_id: int | None = None
    intensity: AccompanimentIntensity | None = None
    at: datetime = Field(default_factory=clock.now)
    reason: MeasureEndReason | None = None
    detail: str | None = None


class MeasureChangeView(BaseModel):
    at: Moment
    actor: str
    what: MeasureChangeKind
    from_intensity: AccompanimentIntensity | None = None
    to_intensity: AccompanimentIntensity | None = None
    reason: MeasureEndReason | None = None


class MeasureView(BaseModel):
    """A measure as its reader may know it: a kind that reveals health is masked (with its
    service and operator) for those who do not accompany the household."""

    id: int
    household_id: str
    service_id: int | None = Field(description="absent quand le type est masqué")
    operator: str
    kind: str = Field(description=MeasureKind.describe())
    intensity: AccompanimentIntensity
    active: bool
    started_at: Moment
    ended_at: Moment | None = None
    end_reason: MeasureEndReason | None = None
    end_detail: str | None = None
    transferred_from: int | None = None
    changes: list[MeasureChangeView] = Field(default_factory=list)


class MeasureResult(BaseModel):
    measure: MeasureView
    pathway: PathwayView | None = Field(
        description="le parcours après l'acte (absent : parcours clos, non modifié)"
    )
