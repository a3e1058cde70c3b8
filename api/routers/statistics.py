"""Anonymous figures for State observers and coordinators (R-GOV-1, R-OBS-1): counts only, never
a household, and never below a small threshold that could single someone out."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api.permissions import Permission
from api.security import Principal, require
from api.state import EngineDep
from models.audit import AnonymousPathway
from models.records import Household
from models.sensitivity import masked

router = APIRouter(prefix="/statistics", tags=["Statistiques anonymes"])


class Figures(BaseModel):
    departement: str
    by_stage: dict[str, int | str]
    overdue: int | str
    closed_and_erased: int | str


@router.get("", response_model=list[Figures], summary="Chiffres anonymes par département")
async def statistics(
    engine: EngineDep, principal: Annotated[Principal, Depends(require(Permission.STATISTICS))]
) -> list[Figures]:
    def count() -> list[Figures]:
        figures = []
        with Session(engine) as session:
            for dep in sorted(principal.departements):
                stages: Any = session.exec(
                    select(Household.stage, func.count())
                    .where(Household.departement == dep)
                    .group_by(col(Household.stage))
                ).all()
                overdue = session.exec(
                    select(func.count())
                    .select_from(Household)
                    .where(Household.departement == dep, col(Household.overdue).is_(True))
                ).one()
                erased = session.exec(
                    select(func.count())
                    .select_from(AnonymousPathway)
                    .where(AnonymousPathway.departement == dep)
                ).one()
                figures.append(
                    Figures(
                        departement=dep,
                        by_stage={s: masked(n) for s, n in stages},
                        overdue=masked(overdue),
                        closed_and_erased=masked(erased),
                    )
                )
        return figures

    return await run_in_threadpool(count)
