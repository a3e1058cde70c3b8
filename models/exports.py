"""Anonymised exports (R-OBS-1): what an observatory asks for (the request, its format) and the
per-territory table. The dataset's columns and their hierarchies are models/export_columns.py."""

from datetime import date
from typing import Annotated, Self

from pydantic import BaseModel, Field, model_validator

from core import clock
from models.departements import DEPARTEMENT_PATTERN, DEPARTEMENTS
from models.schemas import JsonTypes
from models.vocab import (
    Coded,
)


class ExportFormat(Coded):
    CSV = "csv", "CSV (UTF-8, virgules, une ligne d'en-tête)"
    PARQUET = "parquet", "Apache Parquet"


Departement = Annotated[str, Field(pattern=DEPARTEMENT_PATTERN, description="département")]
Month = Annotated[
    str,
    Field(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$", description="mois, AAAA-MM"),
]
MIN_K = 5  # R-OBS-1: no group of fewer than five households
MIN_L = 2


def _month(text: str) -> date:
    year, month = text.split("-")
    return date(int(year), int(month), 1)


class AnonymisedExportRequest(JsonTypes):
    """What an observatory asks for: territory, period, and the guarantees."""

    departements: list[Departement] = Field(
        default_factory=list,
        max_length=len(DEPARTEMENTS),
        description="départements exportés (parmi les vôtres) ; vide : tous les vôtres",
    )
    period_start: Month | None = Field(
        None,
        description="premier mois (AAAA-MM) des premiers contacts ; par défaut onze mois "
        "avant le dernier",
    )
    period_end: Month | None = Field(
        None, description="dernier mois (AAAA-MM), au plus le mois en cours ; par défaut celui-ci"
    )
    k: int = Field(
        MIN_K,
        ge=MIN_K,
        le=1000,
        description="k-anonymat : chaque combinaison de quasi-identifiants est partagée par au "
        f"moins k ménages (au moins {MIN_K})",
    )
    l: int = Field(  # noqa: E741 — the ℓ of ℓ-diversity, as the literature names it
        MIN_L,
        ge=MIN_L,
        le=20,
        description="ℓ-diversité : au moins ℓ valeurs distinctes de chaque attribut sensible "
        "dans chaque groupe",
    )
    max_suppression: int = Field(
        10,
        ge=0,
        le=50,
        description="part maximale (en %) des ménages supprimés plutôt que de généraliser "
        "davantage",
    )
    format: ExportFormat = Field(ExportFormat.CSV, description=ExportFormat.describe())

    @model_validator(mode="after")
    def _period(self) -> Self:
        this_month = clock.today_paris().replace(day=1)
        end = _month(self.period_end) if self.period_end else this_month
        if end > this_month:
            raise ValueError("« period_end » ne peut pas être un mois à venir")
        start = _month(self.period_start) if self.period_start else _months_before(end, 11)
        if start > end:
            raise ValueError("« period_start » doit précéder « period_end »")
        self.period_start, self.period_end = start.strftime("%Y-%m"), end.strftime("%Y-%m")
        self.departements = sorted(set(self.departements))
        return self

    def months(self) -> tuple[date, date]:
        """The first day of the first month, and the first day after the last month."""
        assert self.period_start and self.period_end  # set by the validator
        end = _month(self.period_end)
        return _month(self.period_start), _months_before(end, -1)


def _months_before(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


# ---- The per-territory table (counts per département × stage, small cells masked) ---------


class TerritoryRow(BaseModel):
    departement: str
    by_stage: dict[str, int | str] = Field(
        description="ménages par étape ; de 1 à 4 : « < 5 » (et une autre cellule de la ligne "
        "quand le total permettrait de la retrouver)"
    )
    total: int | str


class TerritoryTable(BaseModel):
    unit: str = Field("ménages", description="ce qui est compté")
    stages: list[str] = Field(description="les étapes, dans l'ordre du parcours")
    rows: list[TerritoryRow]
    masking: str = Field(
        description="règle du secret statistique appliquée aux cellules de ce tableau"
    )
