"""The monthly list sent to OFII (R-FOLLOW-2; instruction of 4 July 2019): the asylum seekers
and protected persons present in shelter or adapted housing, one list per département and month.

Who is on it (activities/ofii.py applies it; the README says it too):
- a household whose pathway is open and whose latest placement (admission or housing, the
  latest `started_at` then the latest id, as api/security.py reads « hosted there ») is in a
  listed place: any shelter (CHRS, emergency, specialised, hotel, ALT) or adapted housing (IML,
  pension de famille, résidence sociale, résidence accueil) — not ordinary housing (a tenant has
  left the scheme) nor the DNA (the asylum reception scheme OFII runs itself);
- whose latest in-depth evaluation records the administrative situation `demandeur_asile` or
  `protection_internationale`: a refusal to answer is recorded `non_renseigne`, so whoever
  refused is left out;
- each member of that household recorded as informed of their rights (`informed_of_rights`).

Only the fields the instruction needs: name as recorded with consent (else the pseudonym), birth
year, sex, administrative situation, structure, place type, admission date. No notes, no health,
no household id in the file. The rows hold personal data: they live in SQL only (never in a
Temporal payload), keep their household id so an erasure deletes them (activities/erasure.py),
and the file is rebuilt from them byte for byte at each download.
"""

import csv
import hashlib
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import UniqueConstraint
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from core.clock import PARIS
from models.departements import DEPARTEMENT_PATTERN
from models.records import code, when
from models.vocab import AdministrativeSituation, Coded, Sex
from models.vocab_orientation import PlaceType

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
Month = Annotated[str, Field(pattern=MONTH_PATTERN, description="mois, AAAA-MM")]
Departement = Annotated[str, Field(pattern=DEPARTEMENT_PATTERN, description="département")]
Moment = Annotated[datetime, AfterValidator(lambda t: t if t.tzinfo else t.replace(tzinfo=UTC))]

LISTED_SITUATIONS = frozenset(
    {AdministrativeSituation.DEMANDEUR_ASILE, AdministrativeSituation.PROTECTION_INTERNATIONALE}
)
# Shelter and adapted housing; not ordinary housing, not the DNA (OFII's own scheme).
ADAPTED_HOUSING = frozenset(
    {
        PlaceType.IML,
        PlaceType.PENSION_FAMILLE,
        PlaceType.RESIDENCE_SOCIALE,
        PlaceType.RESIDENCE_ACCUEIL,
    }
)
SHELTER = frozenset(
    {
        PlaceType.CHRS,
        PlaceType.HEBERGEMENT_URGENCE,
        PlaceType.HEBERGEMENT_SPECIALISE,
        PlaceType.HOTEL,
        PlaceType.ALT,
    }
)
LISTED_PLACES = SHELTER | ADAPTED_HOUSING

# The file's columns, in order (French: OFII reads it).
COLUMNS = (
    "nom",
    "prenom",
    "pseudonyme",
    "annee_naissance",
    "sexe",
    "situation_administrative",
    "structure",
    "type_de_place",
    "date_admission",
)


def month_of(moment: datetime) -> str:
    """The list's month: the month, in Paris, of the moment the schedule meant to start it (a
    naive moment is UTC). The same scheduled time always gives the same month."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(PARIS).strftime("%Y-%m")


class OfiiList(SQLModel, table=True):
    """One département's list for one month: made once, never made again (unique)."""

    __table_args__ = (UniqueConstraint("departement", "month", name="uq_ofiilist_month"),)

    id: int | None = SQLField(default=None, primary_key=True)
    departement: str = SQLField(index=True, max_length=3)
    month: str = SQLField(max_length=7, description="AAAA-MM")
    generated_at: datetime = when()
    generated_by: str = SQLField(max_length=120, description="le workflow qui l'a établie")
    row_count: int
    sha256: str = SQLField(max_length=64, description="SHA-256 du fichier CSV établi")


class OfiiListRow(SQLModel, table=True):
    """One person on a list: only the fields the instruction lists. Personal data: erased with
    the household (activities/erasure.py), never sent to Temporal."""

    id: int | None = SQLField(default=None, primary_key=True)
    list_id: int = SQLField(foreign_key="ofiilist.id", index=True)
    position: int
    household_id: str = SQLField(index=True, max_length=36)
    last_name: str | None = SQLField(default=None, max_length=80)
    first_name: str | None = SQLField(default=None, max_length=80)
    nickname: str | None = SQLField(default=None, max_length=80)
    birth_year: int | None = None
    sex: Sex = code(Sex.NON_RENSEIGNE)
    administrative_situation: AdministrativeSituation = code()
    structure: str = SQLField(max_length=120)
    place_type: PlaceType = code()
    admitted_on: date


def _label(value: str, kind: type[Coded]) -> str:
    member = kind._value2member_map_.get(value)
    return member.label if isinstance(member, kind) else value


def csv_bytes(rows: Iterable[OfiiListRow]) -> bytes:
    """The file OFII receives: UTF-8 with a byte-order mark (spreadsheets read the accents),
    `;` separated, one line per person in the list's order. Same rows, same bytes."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            (
                row.last_name or "",
                row.first_name or "",
                row.nickname or "",
                row.birth_year or "",
                _label(row.sex, Sex),
                _label(row.administrative_situation, AdministrativeSituation),
                row.structure,
                _label(row.place_type, PlaceType),
                row.admitted_on.isoformat(),
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class OfiiListView(BaseModel):
    """A month available for download (no personal data: counts and the file's hash)."""

    departement: str
    month: str
    generated_at: Moment
    row_count: int = Field(description="personnes sur la liste à son établissement")
    sha256: str = Field(description="SHA-256 du fichier établi")


# --- What crosses Temporal: codes, counts and ids only --------------------------------------


class OfiiListInput(BaseModel):
    """The workflow's input. The month is never given: it comes from the scheduled time."""

    departements: list[Departement] = Field(
        default_factory=list,
        max_length=101,
        description="départements à traiter (vide : tous ceux qui ont des ménages)",
    )


class OfiiBuildInput(BaseModel):
    month: Month
    generated_at: datetime  # the workflow's time, passed in: the activity reads no clock
    generated_by: str  # the workflow id
    departements: list[Departement] = Field(default_factory=list, max_length=101)


class OfiiListCount(BaseModel):
    departement: str
    list_id: int
    rows: int
    created: bool  # False: the month was already there, left as it is


class OfiiBuildReport(BaseModel):
    month: str
    lists: list[OfiiListCount] = Field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for c in self.lists if c.created)

    @property
    def existing(self) -> int:
        return sum(1 for c in self.lists if not c.created)
