"""Reading the records: the list of households (read model) and one household's file."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import String, and_, cast, false, func, or_
from sqlmodel import Session, SQLModel, col, select
from starlette.concurrency import run_in_threadpool

from api import redaction, viewers
from api.disclosure import Access, Disclosed, Disclosure
from api.errors import problem
from api.permissions import Permission
from api.security import Principal, household_for, require
from api.state import BookDep, EngineDep
from api.viewers import Viewer
from core.clock import aware
from models.evaluations import RECORD_TABLES as RECORDS
from models.pathway import Stage
from models.records import Alert, Household, Person, TimelineEvent
from models.schemas import DEPARTEMENT
from models.views import HouseholdDetail, HouseholdPage, HouseholdSummary
from models.vocab import Flag
from rules.book import PolicyBook

router = APIRouter(prefix="/households", tags=["Fiches"])
MAX_OFFSET = 1_000_000_000  # beyond what a database integer holds, a query would fail
Sort = Literal["recent", "seniority"]
# Waiting time first: the oldest requests (an unknown seniority last), then the last contact.
ORDERS: dict[str, tuple[Any, ...]] = {
    "recent": (col(Household.updated_at).desc(),),
    "seniority": (
        col(Household.seniority_since).is_(None),
        col(Household.seniority_since),
        col(Household.encountered_at),
    ),
}


def _dump(row: SQLModel) -> dict[str, Any]:
    data = row.model_dump(mode="json", warnings=False)  # codes come back from SQL as text
    for key, value in vars(row).items():
        if isinstance(value, datetime):
            data[key] = aware(value).isoformat()
    return data


def _names(session: Session, ids: list[str]) -> dict[str, str]:
    """Each household's applicant as staff call them: the name when consented, else the
    nickname."""
    people = session.exec(
        select(Person).where(col(Person.household_id).in_(ids)).order_by(col(Person.id))
    ).all()
    found: dict[str, str] = {}
    for p in people:
        named = " ".join(filter(None, (p.first_name, p.last_name))) if p.nominative_consent else ""
        if p.household_id not in found and (named or p.nickname):
            found[p.household_id] = named or p.nickname or ""
    return found


def _summary(h: Household, name: str | None = None) -> HouseholdSummary:
    return HouseholdSummary(
        id=h.id,
        departement=h.departement,
        typology=h.typology,
        stage=h.stage,
        overdue=h.overdue,
        next_deadline=aware(h.next_deadline),
        referent_structure=h.referent_structure,
        encountered_at=aware(h.encountered_at),
        seniority_since=aware(h.seniority_since),
        updated_at=aware(h.updated_at),
        name=name,
        flags=list(h.flags or []),
    )


def _viewers(principal: Principal, book: PolicyBook) -> Callable[[str, str], Viewer]:
    cache: dict[tuple[str, str], Viewer] = {}

    def of(departement: str, stage: str) -> Viewer:
        if (departement, stage) not in cache:
            cache[departement, stage] = viewers.viewer(
                principal, stage=stage, departement=departement, book=book
            )
        return cache[departement, stage]

    return of


HouseholdsRead = Annotated[
    Disclosed,
    Depends(
        Disclosure(Access.READ, "liste des ménages", "consultation de la liste des ménages"),
        scope="function",
    ),
]
HouseholdRead = Annotated[
    Disclosed,
    Depends(
        Disclosure(Access.READ, "fiche ménage", "consultation de la fiche ménage"),
        scope="function",
    ),
]


@router.get("", response_model=HouseholdPage, summary="Lister les ménages (filtres, pagination)")
def list_households(
    engine: EngineDep,
    book: BookDep,
    principal: Annotated[Principal, Depends(require(Permission.LIST))],
    disclosed: HouseholdsRead,
    departement: Annotated[
        str | None, Query(pattern=DEPARTEMENT.pattern, description="code département")
    ] = None,
    stage: Annotated[Stage | None, Query(description=Stage.describe())] = None,
    overdue: Annotated[
        bool | None,
        Query(
            description="seulement les parcours en retard, parmi ceux dont vous voyez les échéances"
        ),
    ] = None,
    flag: Annotated[
        Flag | None, Query(description="seulement les ménages portant ce signalement")
    ] = None,
    sort: Annotated[
        Sort, Query(description="`recent` : dernière mise à jour ; `seniority` : les plus anciens")
    ] = "recent",
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> HouseholdPage:
    viewer_of = _viewers(principal, book)
    # Only the caller's départements exist for them: not in lists, not in counts.
    filters: list[Any] = [col(Household.departement).in_(sorted(principal.departements))]
    if departement is not None:
        filters.append(Household.departement == departement)
    if stage is not None:
        filters.append(Household.stage == stage.value)
    if overdue is not None:
        filters.append(Household.overdue == overdue)
        # Being late tells a due date: only the stages whose deadlines the caller sees.
        filters.append(
            or_(
                *(
                    and_(
                        col(Household.departement) == dep,
                        col(Household.stage).in_(
                            [
                                s.value
                                for s in Stage
                                if viewer_of(dep, s.value).shows_deadlines_of(s)
                            ]
                        ),
                    )
                    for dep in sorted(principal.departements)
                )
            )
        )
    if flag is not None:  # only where the caller may see that flag (its value may be sensitive)
        filters.append(
            or_(
                *(
                    and_(
                        col(Household.departement) == dep,
                        cast(Household.flags, String).like(f'%"{flag.value}"%'),
                    )
                    for dep in sorted(principal.departements)
                    if viewer_of(dep, Stage.REPORTED.value).shows_value(Flag, flag)
                ),
                false(),
            )
        )
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(Household).where(*filters)).one()
        rows = session.exec(
            select(Household)
            .where(*filters)
            .order_by(*ORDERS[sort], col(Household.id))
            .offset(offset)
            .limit(limit)
        ).all()
        names = _names(session, [h.id for h in rows])
    items = [
        redaction.summary(
            _summary(h, names.get(h.id)),
            viewer_of(h.departement, h.stage),
            viewer_of(h.departement, Stage.REPORTED.value),  # no stage's need-to-know
        )
        for h in rows
    ]
    for h in rows:
        disclosed.household(h.id, LISTED_FIELDS, h.departement)
    return HouseholdPage(items=items, total=total, offset=offset, limit=limit)


LISTED_FIELDS = sorted(HouseholdSummary.model_fields)


def _detail(
    engine: Any, book: PolicyBook, principal: Principal, household_id: str, disclosed: Disclosed
) -> HouseholdDetail:
    with Session(engine) as session:
        household = household_for(session, principal, household_id)

        def rows(table: Any, order: Any) -> list[dict[str, Any]]:
            found = session.exec(
                select(table).where(table.household_id == household_id).order_by(order)
            ).all()
            return [_dump(r) for r in found]

        detail = HouseholdDetail(
            **_summary(household).model_dump(),
            members=rows(Person, col(Person.id)),
            records={name: rows(t, col(t.id)) for name, t in RECORDS.items()},
            timeline=rows(TimelineEvent, col(TimelineEvent.id)),
            alerts=rows(Alert, col(Alert.id)),
            partnership_commission=household.partnership_commission,
            thematic_referents=household.thematic_referents,
            proposed_accompaniments=household.proposed_accompaniments,
            proposed_place=household.proposed_place,
            proposal_reason=household.proposal_reason,
            recommended_place=household.recommended_place,
        )
        departement, stage = household.departement, household.stage
    seen = viewers.viewer(principal, stage=stage, departement=departement, book=book)
    fields = ["membres", *RECORDS, "chronologie"] + (["champs sensibles"] if seen.sensitive else [])
    disclosed.household(household_id, fields, departement)
    return redaction.detail(detail, seen)


@router.get(
    "/{household_id}",
    response_model=HouseholdDetail,
    responses={404: problem("Ménage inconnu")},
    summary="Fiche ménage : membres, évaluations, décisions, chronologie, alertes",
)
async def household(
    household_id: Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")],
    engine: EngineDep,
    book: BookDep,
    principal: Annotated[Principal, Depends(require(Permission.READ))],
    disclosed: HouseholdRead,
) -> HouseholdDetail:
    return await run_in_threadpool(_detail, engine, book, principal, household_id, disclosed)
