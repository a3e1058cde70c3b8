"""The 115 call log (R-GOV-1; issue 12, item 2): calls received and answered, imported per day
from the phone system, and each request a 115 call handler handled.

Calls, requests and people are counted apart (one person calls the 115 many times): a day's
calls come from the phone system's counters (`CallDay`), the requests from the handlers' entries
(`CallRequest`, one row per request handled), and people only through the households a request
is linked to, when known.

The phone system's export is a French CSV (`;`, `date;received;answered`), read line by line by
`parse_daily_csv`: a file with one bad line is refused whole, each bad line named with its number
and the reason in French.
"""

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Self

import sqlmodel
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import SQLModel

from core import clock
from models.offer_schemas import Departement, Moment
from models.records import code, when
from models.schemas import Dated
from models.vocab import Coded

HouseholdRef = Annotated[
    str, Field(pattern=r"^[0-9a-f-]{36}$", description="identifiant du ménage, s'il est connu")
]
MAX_CALLS = 1_000_000  # a day's calls in one département (Paris: 5,000–6,000)
MAX_LINES = 4_000  # about ten years of days in one file
MAX_ERRORS = 50  # named in one answer; the file is refused whole anyway
EARLIEST = date(2000, 1, 1)


class CallRequestKind(Coded):
    """What the caller asked for."""

    MISE_A_L_ABRI = "mise_a_l_abri", "mise à l'abri (hébergement d'urgence)"
    INFORMATION = "information", "information, orientation"
    AUTRE = "autre", "autre demande"


class CallOutcome(Coded):
    """What the request got: an answer, or none — for lack of a place, or for another reason
    (the person refused the place offered, did not call back…)."""

    POURVUE = "pourvue", "demande pourvue (réponse apportée)"
    NON_POURVUE_FAUTE_DE_PLACE = (
        "non_pourvue_faute_de_place",
        "demande non pourvue faute de place",
    )
    NON_POURVUE_AUTRE = "non_pourvue_autre_motif", "demande non pourvue pour un autre motif"


class CallDay(SQLModel, table=True):
    """One département's calls on one day, as the phone system counted them. A new import of
    the same day replaces it."""

    __table_args__ = (UniqueConstraint("departement", "day", name="uq_callday_departement_day"),)

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    departement: str = sqlmodel.Field(index=True, max_length=3)
    day: date
    received: int
    answered: int
    imported_by: str = sqlmodel.Field(max_length=80)  # the account's opaque actor id
    imported_at: datetime = when(default_factory=clock.now)


class CallRequest(SQLModel, table=True):
    """One request handled by a 115 call handler. `day` is the Paris date of `received_at`,
    kept so counts per day are plain SQL. The household is linked when known; an erasure
    unlinks it and keeps the request, which is a count of the 115's activity."""

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    departement: str = sqlmodel.Field(index=True, max_length=3)
    received_at: datetime = when()  # as the call handler states it
    day: date = sqlmodel.Field(index=True)
    kind: CallRequestKind = code()
    outcome: CallOutcome = code()
    household_id: str | None = sqlmodel.Field(default=None, index=True, max_length=36)
    recorded_by: str = sqlmodel.Field(max_length=80)  # the account's opaque actor id
    recorded_at: datetime = when(default_factory=clock.now)  # set by the server


class CallRequestCreate(Dated):
    departement: Departement
    received_at: datetime = Field(
        default_factory=clock.now, description="date et heure de l'appel (heure de Paris)"
    )
    kind: CallRequestKind = Field(description=CallRequestKind.describe())
    outcome: CallOutcome = Field(description=CallOutcome.describe())
    household_id: HouseholdRef | None = None

    @model_validator(mode="after")
    def _lack_of_place(self) -> Self:
        if (
            self.outcome is CallOutcome.NON_POURVUE_FAUTE_DE_PLACE
            and self.kind is not CallRequestKind.MISE_A_L_ABRI
        ):
            raise ValueError(
                "« non pourvue faute de place » ne vaut que pour une demande de mise à l'abri"
            )
        return self


class CallRequestView(BaseModel):
    id: int
    departement: str
    received_at: Moment
    day: date
    kind: CallRequestKind
    outcome: CallOutcome
    household_id: str | None
    recorded_by: str
    recorded_at: Moment

    @classmethod
    def of(cls, row: CallRequest) -> "CallRequestView":
        return cls.model_validate(row, from_attributes=True)


class CallDayView(BaseModel):
    """One département's day: the phone system's calls beside the handlers' requests and the
    households known behind them — three counts, never added to one another."""

    departement: str
    day: date
    received: int | None = Field(
        description="appels reçus (système téléphonique ; absent : non importé)"
    )
    answered: int | None = Field(description="appels décrochés (système téléphonique)")
    requests: int = Field(description="demandes traitées par les écoutants")
    shelter_requests: int = Field(description="dont demandes de mise à l'abri")
    unmet_for_lack_of_place: int = Field(description="demandes non pourvues faute de place")
    households_known: int = Field(description="ménages distincts liés à ces demandes")
    people_known: int = Field(description="personnes de ces ménages")
    imported_at: Moment | None = None


class DailyImport(BaseModel):
    departement: str
    days: int = Field(description="jours importés")
    replaced: int = Field(description="dont jours déjà importés, remplacés")
    first_day: date
    last_day: date


@dataclass(frozen=True)
class ParsedDay:
    line: int
    day: date
    received: int
    answered: int


@dataclass(frozen=True)
class LineError:
    line: int
    column: str | None
    message: str


class CsvRefused(Exception):
    """The file is refused whole: every bad line with its number and reason."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__(f"{len(errors)} erreur(s)")
        self.errors = errors


HEADERS = {"date", "jour"}
COLUMNS = ("date", "appels reçus", "appels décrochés")
FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SPACES = str.maketrans("", "", " \u00a0\u202f")  # "5 200": French thousands separators


def decode(raw: bytes) -> str:
    """UTF-8 (with or without its BOM), else Windows-1252, as French spreadsheets save."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise CsvRefused(
                [LineError(0, None, "encodage illisible : enregistrez le fichier en UTF-8")]
            ) from exc


def _day(text: str, line: int, today: date) -> date | LineError:
    found = FRENCH_DATE.match(text)
    try:
        if found:
            day = date(int(found[3]), int(found[2]), int(found[1]))
        elif ISO_DAY.match(text):
            day = date.fromisoformat(text)
        else:
            raise ValueError(text)
    except ValueError:
        return LineError(
            line, COLUMNS[0], f"ligne {line} : date « {text[:20]} » invalide (JJ/MM/AAAA attendu)"
        )
    if day > today:
        return LineError(line, COLUMNS[0], f"ligne {line} : le {day:%d/%m/%Y} est dans le futur")
    if day < EARLIEST:
        return LineError(line, COLUMNS[0], f"ligne {line} : le {day:%d/%m/%Y} est trop ancien")
    return day


def _count(text: str, line: int, column: str) -> int | LineError:
    digits = text.translate(SPACES)
    if not digits.isascii() or not digits.isdigit():
        return LineError(
            line, column, f"ligne {line} : {column} « {text[:20]} » n'est pas un nombre entier"
        )
    value = int(digits)
    if value > MAX_CALLS:
        return LineError(line, column, f"ligne {line} : {column} : {value} dépasse {MAX_CALLS}")
    return value


def _row(fields: list[str], line: int, today: date) -> ParsedDay | list[LineError]:
    while fields and not fields[-1].strip():  # a trailing « ; » some exports add
        fields = fields[:-1]
    if len(fields) != len(COLUMNS):
        return [
            LineError(
                line,
                None,
                f"ligne {line} : {len(fields)} champ(s) au lieu de 3 "
                "(date;reçus;décrochés, séparés par « ; »)",
            )
        ]
    day = _day(fields[0].strip(), line, today)
    received = _count(fields[1].strip(), line, COLUMNS[1])
    answered = _count(fields[2].strip(), line, COLUMNS[2])
    errors = [e for e in (day, received, answered) if isinstance(e, LineError)]
    if errors:
        return errors
    assert isinstance(day, date) and isinstance(received, int) and isinstance(answered, int)
    if answered > received:
        return [
            LineError(
                line,
                COLUMNS[2],
                f"ligne {line} : plus d'appels décrochés ({answered}) que reçus ({received})",
            )
        ]
    return ParsedDay(line, day, received, answered)


def parse_daily_csv(text: str, today: date) -> list[ParsedDay]:
    """Every line, or `CsvRefused` naming each bad one (the first `MAX_ERRORS`). Blank lines
    are skipped; a first line whose first field is « date » (or « jour ») is a header."""
    days: list[ParsedDay] = []
    errors: list[LineError] = []
    seen: dict[date, int] = {}
    reader = csv.reader(text.splitlines(), delimiter=";")
    first = True
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if first and fields[0].strip().lower() in HEADERS:
                first = False
                continue
            first = False
            if len(days) + len(errors) >= MAX_LINES:
                errors.append(LineError(line, None, f"ligne {line} : au plus {MAX_LINES} jours"))
                break
            parsed = _row(fields, line, today)
            if isinstance(parsed, list):
                errors += parsed
            elif parsed.day in seen:
                errors.append(
                    LineError(
                        line,
                        COLUMNS[0],
                        f"ligne {line} : le {parsed.day:%d/%m/%Y} figure déjà ligne "
                        f"{seen[parsed.day]}",
                    )
                )
            else:
                seen[parsed.day] = line
                days.append(parsed)
            if len(errors) >= MAX_ERRORS:
                break
    except csv.Error as exc:  # an unclosed quote, a NUL byte
        errors.append(LineError(reader.line_num, None, f"ligne {reader.line_num} : illisible"))
        raise CsvRefused(errors) from exc
    if errors:
        raise CsvRefused(errors)
    if not days:
        raise CsvRefused([LineError(0, None, "fichier vide : aucune ligne de jour")])
    return days
