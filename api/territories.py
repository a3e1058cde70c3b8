"""The per-territory table (R-OBS-1): households per département and stage, every small count
masked, with the secondary suppression that keeps a masked cell from being read off the total."""

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.exports import TerritoryRow, TerritoryTable
from models.pathway import Stage
from models.records import Household
from models.sensitivity import MASKED, SMALL, masked


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


def territory_table(session: Session, departements: Iterable[str]) -> TerritoryTable:
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
