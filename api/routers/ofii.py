"""The monthly OFII list (R-FOLLOW-2), for the coordinator only: the months made for its
départements, and each month's file. A list is made by the worker on the 5th of each month
(workflows/ofii.py), never here. Another département's list answers 404 like an unknown one.
Every download is audited — one row per household on the file, or one for an empty file — with
the SHA-256 of the very bytes served (also in the `X-Content-SHA256` header)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from sqlmodel import Session, col, select

from activities import audit
from api.disclosure import Access, AuditedBy, AuditedElsewhere
from api.errors import ApiError, problem
from api.permissions import Permission
from api.security import Principal, require
from api.state import EngineDep
from models.departements import DEPARTEMENT_PATTERN
from models.ofii import (
    COLUMNS,
    MONTH_PATTERN,
    OfiiList,
    OfiiListRow,
    OfiiListView,
    csv_bytes,
    sha256_of,
)

router = APIRouter(prefix="/ofii-lists", tags=["Liste mensuelle OFII"])
RECORD = "liste OFII"
PURPOSE = "transmission mensuelle à l'OFII (R-FOLLOW-2)"
UNKNOWN = "Liste OFII inconnue."
Coordinator = Annotated[Principal, Depends(require(Permission.OFII_LIST))]
Departement = Annotated[str, Path(pattern=DEPARTEMENT_PATTERN, description="département")]
Month = Annotated[str, Path(pattern=MONTH_PATTERN, description="mois, AAAA-MM")]
# The route writes its own audit rows: their purpose carries the served file's SHA-256.
DOWNLOADS = Depends(AuditedElsewhere(Access.EXPORT, RECORD, PURPOSE, AuditedBy.ROUTE))


class CsvResponse(Response):
    media_type = "text/csv"


@router.get("", response_model=list[OfiiListView], summary="Listes OFII disponibles")
def available(
    engine: EngineDep,
    who: Coordinator,
    departement: Annotated[
        str | None, Query(pattern=DEPARTEMENT_PATTERN, description="un de vos départements")
    ] = None,
) -> list[OfiiListView]:
    """Les mois établis pour vos départements, les plus récents d'abord : nombre de personnes
    et SHA-256 du fichier à son établissement (aucune donnée personnelle)."""
    wanted = sorted(who.departements) if departement is None else [departement]
    mine = [d for d in wanted if d in who.departements]
    with Session(engine) as session:
        found = session.exec(
            select(OfiiList)
            .where(col(OfiiList.departement).in_(mine))
            .order_by(col(OfiiList.month).desc(), col(OfiiList.departement))
        ).all()
    return [OfiiListView.model_validate(row, from_attributes=True) for row in found]


CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "le fichier CSV (UTF-8, séparateur « ; ») : " + ", ".join(COLUMNS),
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
    404: problem("Liste inconnue (ou d'un autre département)"),
}


@router.get(
    "/{departement}/{month}.csv",
    response_class=Response,  # no JSON answer to declare: the file is documented below
    responses=CSV_ANSWER,
    summary="Télécharger la liste OFII d'un mois",
    dependencies=[DOWNLOADS],
)
def download(engine: EngineDep, who: Coordinator, departement: Departement, month: Month) -> Any:
    """Le fichier tel qu'établi (une personne effacée depuis en est retirée). Chaque
    téléchargement est inscrit au journal d'audit avec l'empreinte SHA-256 du fichier."""
    if departement not in who.departements:
        raise ApiError(404, UNKNOWN)
    with Session(engine) as session:
        header = session.exec(
            select(OfiiList).where(OfiiList.departement == departement, OfiiList.month == month)
        ).first()
        if header is None:
            raise ApiError(404, UNKNOWN)
        rows = session.exec(
            select(OfiiListRow)
            .where(OfiiListRow.list_id == header.id)
            .order_by(col(OfiiListRow.position))
        ).all()
    content = csv_bytes(rows)
    digest = sha256_of(content)
    households: list[str | None] = list(dict.fromkeys(r.household_id for r in rows)) or [None]

    def work(session: Session) -> None:
        for household_id in households:
            audit.record(
                engine,
                actor=f"agent-{who.user_id}",
                action=Access.EXPORT.value,
                record=f"{RECORD} {departement} {month}",
                purpose=f"{PURPOSE}, fichier sha256 {digest}",
                household_id=household_id,
                fields=list(COLUMNS) if household_id else [],
                departement=departement,
                session=session,
            )

    audit.transaction(engine, work)  # before the file leaves; a failure sends nothing
    filename = f"liste-ofii-{departement}-{month}.csv"
    return CsvResponse(
        content,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-SHA256": digest,
        },
    )
