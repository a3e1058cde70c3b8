"""The annual activity report and the data-quality report (issue 12): what their answers hold.
Every figure is computed from the records (activities/report.py, activities/quality.py)."""

from pydantic import BaseModel, Field

from models.indicators import STATUS, IndicatorValue

# Entry delay (event → entry), in days: 0, 1–3, 4–6, 7–10, 11 and more.
DELAY_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0 j", 0),
    ("1–3 j", 3),
    ("4–6 j", 6),
    ("7–10 j", 10),
    ("11 j et plus", None),
)
NO_CONTACT_DAYS = 90


class StructureQuality(BaseModel):
    """One structure's share of what it left unsaid and how late it entered what it did."""

    structure: str
    records: int
    not_filled: dict[str, float] = Field(
        description="part de « non renseigné », en %, par champ (sur ses saisies)"
    )
    entry_delay: dict[str, int] = Field(description="saisies par délai événement → saisie")
    without_contact: int = Field(
        description=f"ménages ouverts sans contact depuis {NO_CONTACT_DAYS} j"
    )


class QualityReport(BaseModel):
    departement: str
    year: int
    not_filled: dict[str, float] = Field(description="part de « non renseigné », en %, par champ")
    entry_delay: dict[str, int]
    without_contact: int
    structures: list[StructureQuality]


class ActivityReport(BaseModel):
    departement: str
    year: int
    status: str = STATUS
    indicators: list[IndicatorValue]
    monthly_flows: dict[str, dict[str, int]] = Field(
        description="par mois (AAAA-MM) : nombre d'actions de chaque sorte dans la chronologie"
    )
    offer: dict[str, dict[str, int]] = Field(description="places par type de structure et statut")
    quality: QualityReport
