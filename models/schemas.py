"""What the API reads: the bodies of first contacts and actions, checked on the way in (messages
in French: they are what a caseworker reads on a 422). What it answers is models/views.py."""

import re
from datetime import date, datetime, timedelta
from types import UnionType
from typing import Annotated, Any, Self, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator
from sqlmodel._compat import SQLModelConfig

from core import clock
from models.communes import Commune, commune_in
from models.departements import DEPARTEMENT_PATTERN
from models.evaluations import (
    CommissionDecisionBase,
    FlashEvaluationBase,
    InDepthEvaluationBase,
    OrientationBase,
    PlacementBase,
    ReviewBase,
)
from models.records import PersonBase
from models.vocab import ContactChannel, ResidentialSituation, TimeWithoutHousing, Typology
from models.vocab_orientation import (
    HOUSING_PLACES,
    ExitSituation,
    OrientationAnswer,
    RefusalReason,
    RefusedBy,
)

DEPARTEMENT = re.compile(DEPARTEMENT_PATTERN)
CLOCK_SKEW = timedelta(minutes=5)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")  # not "0", which Pydantic reads as 1970-01-01


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _kinds(annotation: Any) -> set[Any]:
    """The types a field admits: `date | None` → {date, None} (`Annotated[int, …]` → int)."""
    kinds = (
        set(get_args(annotation)) if get_origin(annotation) in (Union, UnionType) else {annotation}
    )
    return {get_args(kind)[0] if get_origin(kind) is Annotated else kind for kind in kinds}


def _not_future_year(year: int) -> int:
    if year > clock.today_paris().year:
        raise ValueError(f"l'année {year} est dans le futur")
    return year


# A year a person was born, at most the current one (a birth year to come would make the rules
# see an unaccompanied minor).
BirthYear = Annotated[
    int,
    Field(ge=1900, json_schema_extra={"maximum": clock.today_paris().year}),  # as of start-up
    AfterValidator(_not_future_year),  # checked against the current year
]


class JsonTypes(BaseModel):
    """A body's JSON types as its schema declares them: a date or a date and time is an ISO 8601
    text, a yes/no is true or false, a count is a whole number. (Pydantic would otherwise read 0
    or "0" as 1 January 1970, 0 as « non » and "1980" as 1980.) No text holds a NUL character:
    PostgreSQL cannot store one. A field the schema does not know is refused, not dropped: a
    misspelt field would otherwise lose what was typed in it."""

    # SQLModel's config type (a ConfigDict): the bodies also inherit from SQLModel bases.
    model_config = SQLModelConfig(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _json_types(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if _has_nul(data):
            raise ValueError("caractère nul (\\u0000) interdit dans un texte")
        for name, info in cls.model_fields.items():
            value = data.get(info.alias or name)
            if value is None:
                continue
            kinds = _kinds(info.annotation)
            if kinds & {date, datetime} and not (isinstance(value, str) and ISO_DATE.match(value)):
                raise ValueError(f"« {name} » : une date au format ISO 8601 est attendue")
            if bool in kinds and not isinstance(value, bool):
                raise ValueError(f"« {name} » : doit être vrai ou faux")
            if int in kinds and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (isinstance(value, float) and not value.is_integer())
            ):
                raise ValueError(f"« {name} » : doit être un nombre entier")
        return data


class Dated(JsonTypes):
    """Naive datetimes are read as Paris time; no date or datetime may lie in the future."""

    @model_validator(mode="after")
    def _dates(self) -> Self:
        now = clock.now()
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, datetime):
                if value.tzinfo is None:
                    value = value.replace(tzinfo=clock.PARIS)
                    object.__setattr__(self, name, value)
                if value > now + CLOCK_SKEW:
                    raise ValueError(f"« {name} » ne peut pas être dans le futur")
            elif isinstance(value, date) and value > clock.today_paris():
                raise ValueError(f"« {name} » ne peut pas être dans le futur")
        return self


class PersonCreate(PersonBase, JsonTypes):
    birth_year: BirthYear | None = Field(
        None, description="année de naissance (au plus l'année en cours)"
    )

    @model_validator(mode="after")
    def _identity(self) -> Self:
        if self.nominative_consent:
            if not (self.first_name or self.last_name or self.nickname):
                raise ValueError("indiquez un nom, un prénom ou un pseudonyme")
        else:
            if self.first_name or self.last_name:
                raise ValueError(
                    "sans consentement nominatif, n'enregistrez ni nom ni prénom : "
                    "utilisez un pseudonyme"
                )
            if not self.nickname:
                raise ValueError("sans consentement nominatif, un pseudonyme est obligatoire")
        return self


class FirstContactCreate(Dated):
    """Premier contact : une personne ou un ménage rencontré (R-EVAL-1)."""

    # No `id`: the server chooses the household's id (a client retries with its
    # Idempotency-Key, scoped to its account); a body naming one is refused like any unknown
    # field, so nothing a caller sends can probe which households exist.
    departement: str = Field(
        max_length=3, description="code du département (75, 93, 2A…)", examples=["75"]
    )
    encountered_at: datetime = Field(
        default_factory=clock.now, description="date et heure de la rencontre"
    )
    commune: Commune | None = Field(None, description="commune de la rencontre (code INSEE)")
    contact_channel: ContactChannel = Field(description=ContactChannel.describe())
    reported_by_structure: str | None = Field(None, max_length=120)
    typology: Typology = Field(Typology.NON_RENSEIGNE, description=Typology.describe())
    residential_situation: ResidentialSituation = ResidentialSituation.NON_RENSEIGNE
    time_without_housing: TimeWithoutHousing = TimeWithoutHousing.NON_RENSEIGNE
    wandering_since: date | None = Field(None, description="date du début de l'errance")
    referent_structure: str | None = Field(None, max_length=120, description="structure référente")
    referent_worker: str | None = Field(None, max_length=120, description="référent de parcours")
    previous_household_id: str | None = Field(
        None,
        min_length=36,
        max_length=36,
        description="la fiche de son parcours précédent, quand le ménage est reconnu (un retour "
        "à la rue après un logement, une nouvelle demande) : elle doit être close",
    )
    members: list[PersonCreate] = Field(min_length=1, max_length=30)

    @field_validator("departement")
    @classmethod
    def _departement(cls, value: str) -> str:
        if not DEPARTEMENT.match(value):
            raise ValueError(f"« {value} » n'est pas un code de département")
        return value

    @model_validator(mode="after")
    def _commune(self) -> Self:
        commune_in(self.commune, self.departement)  # the white zones are per département
        return self


class FlashEvaluationCreate(FlashEvaluationBase, Dated):
    pass


class InDepthEvaluationCreate(InDepthEvaluationBase, Dated):
    pass


class CommissionDecisionCreate(CommissionDecisionBase, Dated):
    pass


class OrientationCreate(OrientationBase, Dated):
    pass


class OrientationResponseCreate(Dated):
    answer: OrientationAnswer = Field(description=OrientationAnswer.describe())
    answered_at: datetime = Field(default_factory=clock.now)
    refused_by: RefusedBy | None = Field(None, description=RefusedBy.describe())
    refusal_reason: RefusalReason | None = Field(None, description=RefusalReason.describe())
    refusal_detail: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _motivated(self) -> Self:
        if self.answer is OrientationAnswer.REFUSEE:
            if not (self.refused_by and self.refusal_reason):
                raise ValueError("un refus doit être motivé : indiquez qui refuse et pourquoi")
            if self.refusal_reason is RefusalReason.AUTRE and not self.refusal_detail:
                raise ValueError("motif « autre » : précisez-le dans refusal_detail")
        elif self.refused_by or self.refusal_reason:
            raise ValueError("une orientation acceptée n'a pas de motif de refus")
        return self


class AdmissionCreate(PlacementBase, Dated):
    pass


class HousingCreate(PlacementBase, Dated):
    @model_validator(mode="after")
    def _housing(self) -> Self:
        if self.place_type not in HOUSING_PLACES:
            raise ValueError("l'accès au logement demande un type de logement, pas d'hébergement")
        return self


class ReviewCreate(ReviewBase, Dated):
    pass


class ExitCreate(Dated):
    exited_at: datetime = Field(default_factory=clock.now)
    exit_situation: ExitSituation = Field(description=ExitSituation.describe())
