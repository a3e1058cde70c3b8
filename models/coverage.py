"""Outreach coverage (R-COORD-1; issue 12, item 8): the veille sociale's teams and centres —
maraudes, day centres, mobile teams — with the communes they cover and their opening hours, so
the SIAO finds the white zones: communes where people were met or reported and no one goes.

Communes are INSEE codes (5 characters: the département's code, then the commune's number; Paris
is 75056, its arrondissements 75101–75120). A team covers communes of its own département only;
an encounter's commune (`Household.commune`, given at the first contact) is in the household's.
"""

from datetime import date, datetime
from typing import Annotated, Self

import sqlmodel
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig

from core import clock
from models.communes import Commune, departement_of
from models.offer_schemas import Departement, Moment
from models.records import code, when
from models.schemas import JsonTypes
from models.vocab import Coded

HourMinute = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["20:00"])]
MAX_COMMUNES = 1_000  # a département has at most about 900 communes
MAX_OPENINGS = 14


class OutreachKind(Coded):
    """The veille sociale's actors that meet people (codes as in `ContactChannel`)."""

    MARAUDE = "maraude", "maraude (équipe de rue)"
    ACCUEIL_DE_JOUR = "accueil_de_jour", "accueil de jour"
    EQUIPE_MOBILE = "equipe_mobile", "équipe mobile"


class Weekday(Coded):
    LUNDI = "lundi", "lundi"
    MARDI = "mardi", "mardi"
    MERCREDI = "mercredi", "mercredi"
    JEUDI = "jeudi", "jeudi"
    VENDREDI = "vendredi", "vendredi"
    SAMEDI = "samedi", "samedi"
    DIMANCHE = "dimanche", "dimanche"


class Opening(JsonTypes):
    """Days and hours (Paris time) when the team goes out or the centre is open. A slot that
    closes before it opens runs past midnight (a night maraude, 20:00–02:00)."""

    days: list[Weekday] = Field(min_length=1, max_length=7, description=Weekday.describe())
    opens: HourMinute = Field(description="heure de début (HH:MM)")
    closes: HourMinute = Field(description="heure de fin (HH:MM ; avant le début : le lendemain)")

    @model_validator(mode="after")
    def _slot(self) -> Self:
        if self.opens == self.closes:
            raise ValueError("un créneau ne peut pas finir à l'heure où il commence")
        if len(set(self.days)) != len(self.days):
            raise ValueError("un jour figure deux fois dans le même créneau")
        return self


class OutreachTeam(SQLModel, table=True):
    """A maraude, a day centre or a mobile team of one département. Its zone is in
    `OutreachZone`, one row per commune, so the white zones are one SQL query."""

    __table_args__ = (
        UniqueConstraint("departement", "name", name="uq_outreachteam_departement_name"),
    )

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    departement: str = sqlmodel.Field(index=True, max_length=3)
    name: str = sqlmodel.Field(max_length=120)
    kind: OutreachKind = code()
    operator: str | None = sqlmodel.Field(default=None, max_length=120)
    hours: list[dict[str, object]] = sqlmodel.Field(default_factory=list, sa_type=JSON)
    evaluation_capacity: int | None = None  # flash evaluations it can carry out in a week
    active: bool = True
    created_by: str = sqlmodel.Field(max_length=80)  # the account's opaque actor id
    created_at: datetime = when(default_factory=clock.now)
    updated_at: datetime = when(default_factory=clock.now)


class OutreachZone(SQLModel, table=True):
    """One commune a team covers."""

    team_id: int = sqlmodel.Field(foreign_key="outreachteam.id", primary_key=True)
    commune: str = sqlmodel.Field(primary_key=True, max_length=5, index=True)


class OutreachTeamCreate(JsonTypes):
    departement: Departement
    name: str = Field(min_length=1, max_length=120, description="nom de l'équipe ou du centre")
    kind: OutreachKind = Field(description=OutreachKind.describe())
    operator: str | None = Field(None, max_length=120, description="association gestionnaire")
    communes: list[Commune] = Field(
        min_length=1,
        max_length=MAX_COMMUNES,
        description="communes couvertes (codes INSEE du département)",
    )
    hours: list[Opening] = Field(
        default_factory=list, max_length=MAX_OPENINGS, description="jours et heures de passage"
    )
    evaluation_capacity: int | None = Field(
        None, ge=0, le=100_000, description="évaluations flash possibles par semaine"
    )
    active: bool = Field(True, description="en activité (une équipe arrêtée ne couvre plus)")

    @field_validator("communes")
    @classmethod
    def _distinct(cls, communes: list[str]) -> list[str]:
        return sorted(set(communes))

    @model_validator(mode="after")
    def _own_departement(self) -> Self:
        outside = [c for c in self.communes if departement_of(c) != self.departement]
        if outside:
            raise ValueError(
                f"communes hors du département {self.departement} : {', '.join(outside[:10])}"
            )
        return self


class OutreachTeamView(OutreachTeamCreate):
    model_config = SQLModelConfig(extra="ignore")  # a view, built from the row
    id: int
    created_at: Moment
    updated_at: Moment


class WhiteZone(BaseModel):
    commune: str
    households: int | str = Field(description="ménages rencontrés ou signalés (« < 5 » : masqué)")
    people: int | str = Field(description="personnes de ces ménages (« < 5 » : masqué)")


class WhiteZones(BaseModel):
    """One département's white zones over a period: communes where households were met or
    reported and that no active team or centre covers."""

    departement: str
    start: date | None = Field(description="début de la période (rencontres à partir de ce jour)")
    end: date | None = Field(description="fin de la période (incluse)")
    teams_active: int = Field(description="équipes et centres en activité")
    communes_covered: int = Field(description="communes couvertes par au moins l'un d'eux")
    communes_met: int = Field(description="communes où des ménages ont été rencontrés")
    households_without_commune: int | str = Field(
        description="ménages rencontrés sans commune renseignée (« < 5 » : masqué)"
    )
    households_met: int | str = Field(
        description="ménages rencontrés ou signalés sur la période (« < 5 » : masqué)"
    )
    weekly_evaluation_capacity: int = Field(
        description="évaluations flash par semaine que les équipes en activité déclarent pouvoir "
        "mener, à rapprocher des ménages rencontrés (R-COORD-1)"
    )
    teams_without_capacity: int = Field(
        description="équipes et centres en activité sans capacité d'évaluation déclarée"
    )
    white_zones: list[WhiteZone] = Field(
        description="communes non couvertes, les plus touchées d'abord"
    )
