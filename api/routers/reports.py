"""The annual activity report and the data-quality report (issue 12): numbers, definitions,
targets and gaps, charts, and the households behind each number for who may see them."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from activities import report as activity
from activities.quality import quality
from api.disclosure import Access, Disclosed, Disclosure
from api.errors import ApiError, problem
from api.permissions import Permission
from api.report_html import render
from api.security import Principal, require
from api.state import BookDep, EngineDep
from core import clock
from models.indicators import Indicator
from models.records import Household
from models.reports import ActivityReport, QualityReport
from models.schemas import DEPARTEMENT
from rules.book import PolicyBook

router = APIRouter(prefix="/reports", tags=["Rapports et indicateurs"])
Reporter = Annotated[Principal, Depends(require(Permission.REPORTS))]
Departement = Annotated[str, Query(pattern=DEPARTEMENT.pattern, description="code département")]
Year = Annotated[int, Query(ge=2000, le=2100, description="année civile (heure de Paris)")]
ERRORS: dict[int | str, dict[str, Any]] = {403: problem("Ce département n'est pas le vôtre")}
DRILL = Disclosure(Access.READ, "ménages d'un indicateur", "détail d'un indicateur du rapport")


def _checked(who: Principal, departement: str, year: int) -> None:
    if departement not in who.departements:
        raise ApiError(403, "Accès refusé : ce département n'est pas le vôtre.")
    if year > clock.today_paris().year:
        raise ApiError(422, f"Année {year} à venir : un rapport porte sur une année commencée.")


async def _report(engine: Engine, book: PolicyBook, departement: str, year: int) -> ActivityReport:
    targets = book.policy(departement).targets
    return await run_in_threadpool(activity.activity_report, engine, departement, year, targets)


@router.get(
    "/activity",
    response_model=ActivityReport,
    responses={**ERRORS, 200: {"content": {"text/csv": {}}}},
    summary="Rapport d'activité annuel (JSON ou CSV)",
)
async def activity_report(
    engine: EngineDep,
    book: BookDep,
    who: Reporter,
    departement: Departement,
    year: Year,
    format: Annotated[Literal["json", "csv"], Query(description="json ou csv")] = "json",
) -> ActivityReport | Response:
    """Les indicateurs (proposition v1 : univers, formule, sources), leurs cibles CPO et
    écarts, les flux mensuels, l'offre et la qualité des données."""
    _checked(who, departement, year)
    found = await _report(engine, book, departement, year)
    if format == "csv":
        name = f"rapport-activite-{departement}-{year}.csv"
        return Response(
            activity.as_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return found


@router.get(
    "/activity.html",
    # HTML when it answers; JSON errors like every route (no media type on the class, or
    # FastAPI would document them as HTML).
    response_class=Response,
    responses={
        **ERRORS,
        200: {"description": "La page", "content": {"text/html": {"schema": {"type": "string"}}}},
    },
    summary="Rapport d'activité annuel, lisible (graphiques et tableaux)",
)
async def activity_page(
    engine: EngineDep, book: BookDep, who: Reporter, departement: Departement, year: Year
) -> HTMLResponse:
    _checked(who, departement, year)
    return HTMLResponse(render(await _report(engine, book, departement, year)))


@router.get(
    "/quality",
    response_model=QualityReport,
    responses=ERRORS,
    summary="Qualité des données, par structure",
)
async def quality_report(
    engine: EngineDep, who: Reporter, departement: Departement, year: Year
) -> QualityReport:
    """Part de « non renseigné » par champ, délai de saisie, ménages sans contact depuis 90 j."""
    _checked(who, departement, year)
    scope = activity.year_scope(departement, year)

    def work() -> QualityReport:
        with engine.connect() as conn:
            return quality(conn, departement, year, scope.start, scope.end)

    return await run_in_threadpool(work)


class Behind(BaseModel):
    household_id: str
    stage: str


@router.get(
    "/indicators/{code}/households",
    response_model=list[Behind],
    dependencies=[Depends(require(Permission.REPORTS))],
    responses=ERRORS,
    summary="Les ménages derrière un indicateur",
)
async def households_behind(
    code: Annotated[Indicator, Path(description=Indicator.describe())],
    engine: EngineDep,
    book: BookDep,
    who: Annotated[Principal, Depends(require(Permission.LIST))],
    disclosed: Annotated[Disclosed, Depends(DRILL)],
    departement: Departement,
    year: Year,
) -> list[Behind]:
    """Pour qui peut lister les ménages : chaque lecture est tracée."""
    _checked(who, departement, year)
    targets = book.policy(departement).targets
    scope = activity.year_scope(departement, year)

    def work() -> list[Behind]:
        ids = next(i for v, i in activity.values(engine, scope, targets) if v.code is code)
        with Session(engine) as session:
            rows = session.exec(
                select(Household.id, Household.stage)
                .where(col(Household.id).in_(ids))
                .order_by(col(Household.id))
            ).all()
        return [Behind(household_id=h, stage=s) for h, s in rows]

    found = await run_in_threadpool(work)
    for item in found:
        disclosed.household(item.household_id, ["étape"], departement)
    return found
