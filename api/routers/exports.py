"""Anonymised exports and per-territory tables for the State and partners (R-OBS-1).

`POST /exports/anonymised` answers the file itself (CSV or Parquet), what it guarantees in its
headers; `GET /statistics/territories` counts households per département and stage, small cells
masked. No household, no id, no name in either.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from activities import audit
from api import exports
from api.disclosure import Access, AuditedBy, AuditedElsewhere
from api.errors import ApiError, problem
from api.permissions import Permission
from api.security import Principal, require
from api.state import EngineDep
from api.territories import territory_table
from models.export_columns import COLUMNS
from models.exports import AnonymisedExportRequest, ExportFormat, TerritoryTable
from models.sensitivity import masked

router = APIRouter(tags=["Statistiques anonymes"])

RECORD, PURPOSE = "export anonymisé", "observation sociale anonymisée (R-OBS-1)"
# Audited by the route itself: one row per exported département, with k, ℓ and the row count.
EXPORTED = Depends(AuditedElsewhere(Access.EXPORT, RECORD, PURPOSE, AuditedBy.ROUTE))
MEDIA = {ExportFormat.CSV: "text/csv", ExportFormat.PARQUET: "application/vnd.apache.parquet"}


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


FILE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "le fichier anonymisé : une ligne par ménage, quasi-identifiants "
        f"généralisés puis attributs sensibles ({', '.join(COLUMNS)})",
        "content": {
            MEDIA[ExportFormat.CSV]: {"schema": {"type": "string"}},
            MEDIA[ExportFormat.PARQUET]: {"schema": {"type": "string", "format": "binary"}},
        },
        "headers": {
            "X-Export-K": _header("k mesuré sur le fichier (pycanon), au moins celui demandé"),
            "X-Export-L": _header("ℓ mesuré sur le fichier (pycanon), au moins celui demandé"),
            "X-Export-Lignes": _header("lignes (ménages) du fichier"),
            "X-Export-Supprimes": _header(
                "ménages supprimés faute de pouvoir les généraliser (de 1 à 4 : « < 5 »)"
            ),
            "X-Export-Periode": _header("premiers contacts de AAAA-MM à AAAA-MM"),
            "X-Export-Generalisation": _header(
                "niveau de généralisation de chaque quasi-identifiant (0 : le plus fin)"
            ),
        },
    },
    409: problem(
        "Export impossible (trop peu de ménages ou de valeurs distinctes pour k et ℓ) ou "
        "refusé (le contrôle du fichier en dessous de ce qui est demandé) : rien n'est transmis"
    ),
}


def _scope(principal: Principal, asked: list[str]) -> list[str]:
    departements = asked or sorted(principal.departements)
    outside = [d for d in departements if d not in principal.departements]
    if outside:
        raise ApiError(
            403, f"Accès refusé : département(s) {', '.join(outside)} hors de votre périmètre."
        )
    if not departements:
        raise ApiError(403, "Accès refusé : votre compte n'est rattaché à aucun département.")
    return departements


def _filename(request: AnonymisedExportRequest) -> str:
    deps = request.departements
    where = "-".join(deps) if len(deps) <= 3 else f"{len(deps)}-departements"
    return f"export-anonymise-{where}-{request.period_start}-{request.period_end}.{request.format}"


@router.post(
    "/exports/anonymised",
    response_class=Response,
    responses=FILE_ANSWER,
    dependencies=[EXPORTED],
    summary="Export anonymisé (k-anonymat, ℓ-diversité) pour l'État et les observatoires",
)
async def anonymised_export(
    body: AnonymisedExportRequest,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(require(Permission.ANONYMISED_EXPORT))],
) -> Response:
    """Une ligne par ménage premier contact dans la période, dans vos départements : tranche
    d'âge et sexe du demandeur, typologie, taille du ménage, département, situation
    résidentielle regroupée (quasi-identifiants), situation administrative, vulnérabilité,
    besoins de santé (attributs sensibles). Aucun nom, pseudonyme, identifiant, texte libre,
    date ni âge exact. Généralisation et suppression (anjana) jusqu'à k et ℓ, puis contrôle du
    fichier (pycanon) : en dessous, rien n'est transmis (409). Chaque export est journalisé."""
    request = body.model_copy(update={"departements": _scope(principal, body.departements)})

    def work() -> tuple[exports.Anonymised, bytes]:
        with Session(engine) as session:
            result = exports.export(session, request)
        payload = exports.encode(result.frame, request.format)
        note = (
            f"k={request.k} (mesuré {result.k}) ; ℓ={request.l} (mesuré {result.ell}) ; "
            f"{result.rows} ligne(s), {result.suppressed} ménage(s) supprimé(s) sur "
            f"{result.households} ; {request.format} ; {request.period_start} à "
            f"{request.period_end}"
        )

        def write(session: Session) -> None:
            for dep in request.departements:
                audit.record(
                    engine,
                    actor=f"agent-{principal.user_id}",
                    action=Access.EXPORT.value,
                    record=RECORD,
                    purpose=PURPOSE,
                    fields=list(COLUMNS),
                    departement=dep,
                    note=note,
                    session=session,
                )

        audit.transaction(engine, write)  # before the file leaves
        return result, payload

    try:
        result, payload = await run_in_threadpool(work)
    except exports.ExportRefused as exc:
        raise ApiError(409, str(exc)) from exc
    headers = {
        "Content-Disposition": f'attachment; filename="{_filename(request)}"',
        "X-Export-K": str(result.k),
        "X-Export-L": str(result.ell),
        "X-Export-Lignes": str(result.rows),
        "X-Export-Supprimes": str(masked(result.suppressed)),
        "X-Export-Periode": f"{request.period_start}/{request.period_end}",
        "X-Export-Generalisation": ";".join(f"{q}={n}" for q, n in result.levels.items()),
    }
    return Response(payload, media_type=MEDIA[request.format], headers=headers)


@router.get(
    "/statistics/territories",
    response_model=TerritoryTable,
    summary="Ménages par département et par étape, petites cellules masquées",
)
async def territories(
    engine: EngineDep, principal: Annotated[Principal, Depends(require(Permission.STATISTICS))]
) -> TerritoryTable:
    """Pour chacun de vos départements, les ménages à chaque étape du parcours et leur total.
    Une cellule de 1 à 4 est affichée « < 5 » ; quand le total de la ligne permettrait de la
    retrouver, la plus petite autre cellule non nulle est masquée aussi."""

    def count() -> TerritoryTable:
        with Session(engine) as session:
            return territory_table(session, principal.departements)

    return await run_in_threadpool(count)
