"""Anonymised exports (R-OBS-1): the dataset (api/export_dataset.py) anonymised to k and ℓ by
anjana (generalisation along models/export_columns.py's hierarchies, suppression of what cannot be
generalised enough), checked by pycanon before anything leaves. Only the API calls this
(api/routers/exports.py); the per-territory table is api/territories.py.
"""

import contextlib
import io
import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pycanon.anonymity as canon
from anjana.anonymity import k_anonymity as anjana_k_anonymity
from anjana.anonymity import l_diversity as anjana_l_diversity
from anjana.anonymity.utils.utils import get_transformation
from sqlmodel import Session

from api.export_dataset import bounds, dataset
from models.export_columns import COLUMNS, PLACE, QUASI_IDENTIFIERS, SENSITIVE, hierarchies
from models.exports import AnonymisedExportRequest, ExportFormat

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
    start, end = bounds(request)
    frame = dataset(session, request.departements, start, end)
    return anonymise(frame, request.k, request.l, request.max_suppression)
