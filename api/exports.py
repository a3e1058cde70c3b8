"""Anonymised exports (R-OBS-1): the dataset read from SQL, anonymised to k and ℓ by anjana
(generalisation along models/exports.py's hierarchies, suppression of what cannot be generalised
enough), checked by pycanon before anything leaves — and the per-territory table with its small
cells masked. Only the API calls this (api/routers/exports.py).
"""

import contextlib
import io
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

import pandas as pd
import pycanon.anonymity as canon
from anjana.anonymity import k_anonymity as anjana_k_anonymity
from anjana.anonymity import l_diversity as anjana_l_diversity
from anjana.anonymity.utils.utils import get_transformation
from sqlalchemy import func
from sqlalchemy import select as rows
from sqlmodel import Session, col, select

from core import clock
from models.evaluations import FlashEvaluation, InDepthEvaluation
from models.exports import (
    ADMINISTRATIVE,
    AGE,
    COLUMNS,
    HEALTH,
    NOT_SAID,
    OTHER_PLACE,
    PLACE,
    QUASI_IDENTIFIERS,
    RESIDENTIAL,
    RESIDENTIAL_GROUPS,
    SENSITIVE,
    SENSITIVE_CODES,
    SEX,
    SIZE,
    TYPOLOGY,
    VULNERABILITY,
    AnonymisedExportRequest,
    ExportFormat,
    TerritoryRow,
    TerritoryTable,
    age_band,
    health_needs,
    hierarchies,
    size_band,
)
from models.pathway import Stage
from models.records import Household, Person
from models.sensitivity import MASKED, SMALL, masked
from models.vocab import Relationship, Sex, Typology

# anjana prints its progress on standard output and reads no option to stop it: runs are
# serialised (they are CPU-bound anyway) and their output dropped.
_ONE_AT_A_TIME = threading.Lock()


class ExportRefused(Exception):
    """The export cannot be delivered with the guarantees asked for (a French message)."""


@dataclass
class Anonymised:
    frame: pd.DataFrame
    households: int  # in the requested scope, before anonymisation
    suppressed: int
    k: int  # as pycanon measures the delivered file (0: empty file)
    ell: int  # ℓ
    levels: dict[str, int] = field(default_factory=dict)  # generalisation level of each QI

    @property
    def rows(self) -> int:
        return len(self.frame)


# ---- The dataset ----------------------------------------------------------------------------


def _bounds(request: AnonymisedExportRequest) -> tuple[datetime, datetime]:
    first, after = request.months()
    return (
        datetime.combine(first, time(), clock.PARIS).astimezone(UTC),
        datetime.combine(after, time(), clock.PARIS).astimezone(UTC),
    )


def _latest(rows: Iterable[Any]) -> dict[str, Any]:
    """Per household, the row of its latest record (by stated time, then id)."""
    latest: dict[str, Any] = {}
    for row in sorted(rows, key=lambda r: (r.evaluated_at, r.id or 0)):
        latest[row.household_id] = row
    return latest


def _code(value: Any, known: Iterable[str]) -> str:
    return str(value) if value is not None and str(value) in set(known) else NOT_SAID


def dataset(session: Session, departements: list[str], start: datetime, end: datetime) -> Any:
    """One row per household first met in [start, end) in these départements: coded
    quasi-identifiers at their finest exported level and sensitive attributes — no id, name,
    nickname, free text, date or exact age (the household's id only joins its records here)."""
    scope = (
        col(Household.departement).in_(departements),
        col(Household.encountered_at) >= start,
        col(Household.encountered_at) < end,
    )
    households = session.execute(
        rows(
            col(Household.id),
            col(Household.departement),
            col(Household.typology),
            col(Household.residential_situation),
            col(Household.vulnerability),
            col(Household.facts),
            col(Household.encountered_at),
        ).where(*scope)
    ).all()
    persons: dict[str, list[Any]] = defaultdict(list)
    for person in session.execute(
        rows(
            col(Person.household_id),
            col(Person.id),
            col(Person.relationship),
            col(Person.birth_year),
            col(Person.sex),
        )
        .join(Household, col(Household.id) == col(Person.household_id))
        .where(*scope)
    ):
        persons[person.household_id].append(person)
    flash = _latest(
        session.execute(
            rows(
                col(FlashEvaluation.household_id),
                col(FlashEvaluation.id),
                col(FlashEvaluation.evaluated_at),
                col(FlashEvaluation.vulnerability),
                col(FlashEvaluation.expertise_needed),
            )
            .join(Household, col(Household.id) == col(FlashEvaluation.household_id))
            .where(*scope)
        )
    )
    in_depth = _latest(
        session.execute(
            rows(
                col(InDepthEvaluation.household_id),
                col(InDepthEvaluation.id),
                col(InDepthEvaluation.evaluated_at),
                col(InDepthEvaluation.administrative_situation),
            )
            .join(Household, col(Household.id) == col(InDepthEvaluation.household_id))
            .where(*scope)
        )
    )
    found = []
    for h in households:
        members = sorted(persons.get(h.id, []), key=lambda p: p.id or 0)
        applicant = next(
            (p for p in members if p.relationship == Relationship.LUI_MEME),
            members[0] if members else None,
        )
        facts = h.facts or {}
        age = (
            h.encountered_at.year - applicant.birth_year
            if applicant is not None and applicant.birth_year is not None
            else None
        )
        evaluated, assessed = flash.get(h.id), in_depth.get(h.id)
        found.append(
            {
                AGE: age_band(age),
                SEX: _code(applicant.sex if applicant else None, (s.value for s in Sex)),
                TYPOLOGY: _code(h.typology, (t.value for t in Typology)),
                SIZE: size_band(len(members)),
                PLACE: h.departement,
                RESIDENTIAL: RESIDENTIAL_GROUPS.get(str(h.residential_situation), OTHER_PLACE),
                ADMINISTRATIVE: _code(
                    assessed.administrative_situation
                    if assessed
                    else facts.get("administrative_situation"),
                    SENSITIVE_CODES[ADMINISTRATIVE],
                ),
                VULNERABILITY: _code(
                    evaluated.vulnerability
                    if evaluated
                    else h.vulnerability or facts.get("vulnerability"),
                    SENSITIVE_CODES[VULNERABILITY],
                ),
                HEALTH: health_needs(
                    list(evaluated.expertise_needed or [])
                    if evaluated
                    else facts.get("expertise_needed")
                ),
            }
        )
    return pd.DataFrame(found, columns=list(COLUMNS), dtype=str)


# ---- Anonymisation (anjana) and the check before delivery (pycanon) -------------------------


def _tidy(frame: Any) -> Any:
    """Our columns only (anjana adds its `index` after a suppression), renumbered."""
    return frame[list(COLUMNS)].reset_index(drop=True).astype(str)


def measure(frame: Any) -> tuple[int, int]:
    """k and ℓ of a dataset, as pycanon computes them (ℓ: the least over every sensitive
    attribute of the fewest distinct values in an equivalence class)."""
    qi, sa = list(QUASI_IDENTIFIERS), list(SENSITIVE)
    return int(canon.k_anonymity(frame, qi)), int(canon.l_diversity(frame, qi, sa))


def _without_poor_classes(data: Any, ell: int, allowed: float) -> Any:
    """Suppress the equivalence classes with fewer than ℓ distinct values of a sensitive
    attribute when they fit in the suppression still allowed. anjana's ℓ-diversity suppresses
    only when *every* class falls short (its test is `l_div > max(...)`), so on its own it
    generalises the whole file for one small class; what is left short here, it generalises."""
    diversity = data.groupby(list(QUASI_IDENTIFIERS))[list(SENSITIVE)].transform("nunique")
    poor = diversity.min(axis=1) < ell
    if 0 < int(poor.sum()) <= allowed:
        return data[~poor].reset_index(drop=True)
    return data


def impossible(k: int, ell: int) -> str:
    """One message whatever the reason: saying « fewer than k households » would tell a small
    count, and « fewer than ℓ administrative situations » what everyone in scope shares."""
    return (
        f"Export impossible : avec k = {k} et ℓ = {ell}, ce périmètre ne peut pas être "
        "anonymisé (trop peu de ménages, ou trop peu de valeurs distinctes d'un attribut "
        "sensible). Élargissez la période ou les départements. Rien n'est transmis."
    )


def anonymise(frame: Any, k: int, ell: int, max_suppression: int) -> Anonymised:
    """Generalise and suppress until every group of quasi-identifiers holds at least k
    households and ℓ distinct values of each sensitive attribute, at most `max_suppression` %
    of the households suppressed; ExportRefused when no generalisation gets there."""
    n = len(frame)
    if n == 0:  # nobody met in the period: an empty file, its header only
        return Anonymised(frame, 0, 0, *check(frame, k, ell))
    if n < k:
        raise ExportRefused(impossible(k, ell))
    budget = n * max_suppression / 100
    data = _tidy(frame)
    places = list(frame[PLACE].unique())
    qi = list(QUASI_IDENTIFIERS)

    def allowance() -> float:  # the suppression still allowed, in % of what is left (anjana's)
        return 100 * max(0.0, budget - (n - len(data))) / len(data)

    with _ONE_AT_A_TIME, contextlib.redirect_stdout(io.StringIO()):
        # anjana anonymises for one sensitive attribute at a time; each pass keeps what the
        # previous ones reached (it reads each hierarchy's level back from the data).
        for _ in range(len(SENSITIVE) + 1):
            data = _tidy(anjana_k_anonymity(data, [], qi, k, allowance(), hierarchies(places)))
            data = _without_poor_classes(data, ell, budget - (n - len(data)))
            for attribute in SENSITIVE:
                data = anjana_l_diversity(
                    data, [], qi, attribute, k, ell, allowance(), hierarchies(places)
                )
                if data.empty:  # even fully generalised, fewer than ℓ values
                    raise ExportRefused(impossible(k, ell))
                data = _tidy(data)
            reached_k, reached_l = measure(data)
            if reached_k >= k and reached_l >= ell:
                break
        levels = get_transformation(data, list(QUASI_IDENTIFIERS), hierarchies(places))
    ordered = data.sort_values(list(COLUMNS), kind="stable").reset_index(drop=True)  # no order
    reached_k, reached_l = check(ordered, k, ell)
    return Anonymised(
        ordered,
        households=n,
        suppressed=n - len(ordered),
        k=reached_k,
        ell=reached_l,
        levels=dict(zip(QUASI_IDENTIFIERS, (int(v) for v in levels), strict=True)),
    )


def check(frame: Any, k: int, ell: int) -> tuple[int, int]:
    """The gate before delivery: pycanon measures the file as it will leave; below the k or
    the ℓ asked for, or any column beyond the declared ones, nothing is delivered."""
    if list(frame.columns) != list(COLUMNS):
        raise ExportRefused("Export refusé : le fichier contiendrait des colonnes non déclarées.")
    if frame.empty:
        return 0, 0
    reached_k, reached_l = measure(frame)
    if reached_k < k or reached_l < ell:
        raise ExportRefused(
            f"Export refusé : le contrôle du fichier donne k = {reached_k} et ℓ = {reached_l}, "
            f"en dessous de k = {k} et ℓ = {ell} demandés. Rien n'est transmis."
        )
    return reached_k, reached_l


def encode(frame: Any, fmt: ExportFormat) -> bytes:
    if fmt is ExportFormat.PARQUET:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False, engine="pyarrow")
        return buffer.getvalue()
    return str(frame.to_csv(index=False, lineterminator="\n")).encode()


def export(session: Session, request: AnonymisedExportRequest) -> Anonymised:
    """Blocking: read, anonymise, check."""
    start, end = _bounds(request)
    frame = dataset(session, request.departements, start, end)
    return anonymise(frame, request.k, request.l, request.max_suppression)


# ---- The per-territory table ----------------------------------------------------------------


def masked_row(counts: dict[str, int]) -> tuple[dict[str, int | str], int | str]:
    """A row's cells and its total, each count from 1 to 4 masked. When the total is shown and a
    single cell is masked, that cell would be the total minus the others: the smallest other
    non-zero cell is masked with it (secondary suppression)."""
    total = sum(counts.values())
    cells: dict[str, int | str] = {stage: masked(n) for stage, n in counts.items()}
    small = [s for s, n in counts.items() if 0 < n < SMALL]
    if len(small) == 1 and total >= SMALL:
        others = sorted((n, s) for s, n in counts.items() if n >= SMALL)
        if others:
            cells[others[0][1]] = MASKED
    return cells, masked(total)


def territories(session: Session, departements: Iterable[str]) -> TerritoryTable:
    stages = [s.value for s in Stage]
    counted: dict[str, dict[str, int]] = {
        dep: dict.fromkeys(stages, 0) for dep in sorted(departements)
    }
    for dep, stage, n in session.exec(
        select(Household.departement, Household.stage, func.count())
        .where(col(Household.departement).in_(list(counted)))
        .group_by(col(Household.departement), col(Household.stage))
    ).all():
        if stage in counted[dep]:
            counted[dep][stage] += n
    rows = []
    for dep, counts in counted.items():
        cells, total = masked_row(counts)
        rows.append(TerritoryRow(departement=dep, by_stage=cells, total=total))
    return TerritoryTable(
        stages=stages,
        rows=rows,
        masking=f"cellules de 1 à {SMALL - 1} ménages affichées « {MASKED} » ; quand le total "
        "de la ligne permettrait de retrouver une cellule masquée, la plus petite autre cellule "
        "non nulle l'est aussi",
    )
