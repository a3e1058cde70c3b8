"""The offer: structures, their places (units) and each place's status history (issue 10).

A place's status lives in SQL and moves by one conditional UPDATE per action (api/offer.py):
the live count (`GET /offer`) is never stale by more than one action. Eligibility requirements
("must" / "must not") are written over the rules' fact vocabulary (rules/vocabulary.py).
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from core.clock import now
from models.records import code, when
from models.vocab import Coded


class StructureKind(Coded):
    CHU = "chu", "CHU (centre d'hébergement d'urgence)"
    CHRS = "chrs", "CHRS"
    HOTEL = "hotel", "hôtel"
    RESIDENCE_SOCIALE = "residence_sociale", "résidence sociale"
    PENSION_FAMILLE = "pension_de_famille", "pension de famille"
    RESIDENCE_ACCUEIL = "residence_accueil", "résidence accueil"
    FJT = "fjt", "FJT (foyer de jeunes travailleurs)"
    FTM = "ftm", "FTM (foyer de travailleurs migrants)"
    IML = "iml", "opérateur IML (intermédiation locative)"
    LHSS = "lhss", "LHSS (lits halte soins santé)"
    ACT = "act", "ACT (appartements de coordination thérapeutique)"
    AUTRE = "autre", "autre"


# Emergency shelter: assigned directly by the 115, without a commission.
EMERGENCY_KINDS = frozenset({StructureKind.CHU, StructureKind.HOTEL})


class Funding(Coded):
    P177 = "p177", "programme 177 (État)"
    DEPARTEMENT = "departement", "conseil départemental"
    AUTRE = "autre", "autre financement"


class UnitType(Coded):
    LIT = "lit", "lit (chambre partagée)"
    CHAMBRE = "chambre", "chambre"
    STUDIO = "studio", "studio"
    T1 = "t1", "T1"
    T2 = "t2", "T2"
    T3 = "t3", "T3"
    T4_PLUS = "t4_plus", "T4 et plus"


class PlaceStatus(Coded):
    VACANT = "vacant", "vacante"
    PROPOSED = "proposed", "proposée à un ménage"
    OCCUPIED = "occupied", "occupée"
    UNAVAILABLE = "unavailable", "indisponible"


class Requirement(BaseModel):
    """One eligibility requirement: the fact must (or must not) take one of these codes; for a
    yes/no fact, `codes` is empty and the fact must (or must not) be true."""

    model_config = ConfigDict(extra="forbid")
    fact: str = PField(max_length=60, description="un fait du vocabulaire des règles")
    rule: Literal["must", "must_not"] = PField(
        description="`must` : doit ; `must_not` : ne doit pas"
    )
    codes: list[Annotated[str, PField(max_length=60)]] = PField(default_factory=list, max_length=30)

    @model_validator(mode="after")
    def _in_vocabulary(self) -> "Requirement":
        from rules.vocabulary import FACTS  # the rules' words (rules import models, not back)

        spec = FACTS.get(self.fact)
        if spec is None or spec.kind == "int":
            raise ValueError(
                f"fait « {self.fact} » inconnu ou non utilisable ici : un fait codé ou oui/non "
                "du vocabulaire des règles est attendu"
            )
        if spec.kind == "bool":
            if self.codes:
                raise ValueError(f"« {self.fact} » est un fait oui/non : aucun code attendu")
            return self
        if not self.codes:
            raise ValueError(f"« {self.fact} » : au moins un code attendu")
        unknown = sorted(set(self.codes) - (spec.allowed() or set()))
        if unknown:
            raise ValueError(f"« {self.fact} » : code(s) inconnu(s) {', '.join(unknown)}")
        return self


class Structure(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, index=True)
    departement: str = Field(max_length=3, index=True)
    kind: StructureKind = code(description=StructureKind.describe())
    public: str = Field(default="", max_length=300)
    capacity: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    accessible: bool = False
    commune: str = Field(max_length=5)
    funding: Funding = code(Funding.P177)
    state_quota: bool = False
    quota_rate: int = 0
    contact: str = Field(default="", max_length=200)
    requirements: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = when(default_factory=now)


class Place(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    label: str = Field(max_length=120)
    unit_type: UnitType = code(UnitType.CHAMBRE)
    beds: int = 1
    accessible: bool = False
    status: PlaceStatus = code(PlaceStatus.VACANT, index=True)
    status_since: datetime = when(default_factory=now)
    household_id: str | None = Field(default=None, max_length=36)
    # Emergency shelter: kept past the morning's release until this day (a prolongation).
    held_until: date | None = None
    # Reserved to the Prefect (contingent préfectoral): a pension de famille's or résidence
    # accueil's State quota is told apart from its other places (R-RES-2, R-HOUS-5).
    state_quota: bool = False
    address: str | None = Field(default=None, max_length=200)
    rent: int | None = None
    charges: int | None = None
    convention: str | None = Field(default=None, max_length=120)
    convention_start: date | None = None
    convention_end: date | None = None
    requirements: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = when(default_factory=now)


class PlaceStatusChange(SQLModel, table=True):
    """Who moved a place from one status to another, when and why."""

    id: int | None = Field(default=None, primary_key=True)
    place_id: int = Field(foreign_key="place.id", index=True)
    at: datetime = when(default_factory=now)
    actor: str = Field(max_length=120)
    from_status: PlaceStatus | None = code(None)
    to_status: PlaceStatus = code()
    reason: str = Field(default="", max_length=300)
