"""A vacancy's candidates (issue 11, item 4): who may be proposed, in which order and why, and
why a given household is not among them. Reads of household data: audited like the files."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api import matching, vacancies
from api.disclosure import Access, Disclosed, Disclosure
from api.errors import problem
from api.permissions import Permission
from api.security import Principal, household_for, require
from api.state import BookDep, EngineDep
from core import clock
from models.matching import CandidateCheck, CandidateList

router = APIRouter(prefix="/vacancies", tags=["Offre : protocole d'orientation des vacances"])
VacancyId = Annotated[
    str, Path(pattern=r"^vacance-\d{1,10}-\d{1,6}$", description="vacance-<place>-<n>")
]
HouseholdId = Annotated[str, Path(min_length=36, max_length=36)]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: problem("Vacance ou ménage inconnu (ou hors de votre périmètre)")
}
Proposer = Annotated[Principal, Depends(require(Permission.ORIENTATION))]
RANKING = Disclosure(Access.READ, "candidats", "classement des candidats d'une vacance")
SHOWN = ["rang", "critères de classement", "ancienneté"]


@router.get(
    "/{vacancy_id}/candidates",
    response_model=CandidateList,
    responses=ERRORS,
    summary="Les ménages candidats, classés, avec leurs raisons",
)
async def candidates(
    vacancy_id: VacancyId,
    engine: EngineDep,
    book: BookDep,
    who: Proposer,
    disclosed: Annotated[Disclosed, Depends(RANKING)],
    limit: Annotated[int, Query(ge=1, le=100, description="combien expliquer")] = 20,
) -> CandidateList:
    """Les ménages en attente d'orientation dont la préconisation correspond à la place et qui
    en remplissent les exigences, dans l'ordre des critères de la politique du département,
    puis d'un tirage au sort conservé pour chaque ménage : l'ordre est stable."""

    def work() -> tuple[CandidateList, str]:
        with Session(engine) as session:
            vacancy, structure = vacancies.vacancy_for(session, who, vacancy_id)
            policy = book.policy(structure.departement)
            found = matching.ranked(
                session, vacancy, structure, policy.ranking, policy.version, clock.now(), limit
            )
            return found, structure.departement

    found, departement = await run_in_threadpool(work)
    for candidate in found.candidates:  # the candidates are of the place's département
        disclosed.household(candidate.household_id, SHOWN, departement)
    return found


@router.get(
    "/{vacancy_id}/candidates/{household_id}",
    response_model=CandidateCheck,
    responses=ERRORS,
    summary="Pourquoi ce ménage est (ou n'est pas) candidat",
)
async def candidate(
    vacancy_id: VacancyId,
    household_id: HouseholdId,
    engine: EngineDep,
    book: BookDep,
    who: Proposer,
    disclosed: Annotated[Disclosed, Depends(RANKING)],
) -> CandidateCheck:
    """L'exigence, l'étape, la préconisation ou le refus qui l'écarte ; sinon son rang."""

    def work() -> tuple[CandidateCheck, str]:
        with Session(engine) as session:
            vacancy, structure = vacancies.vacancy_for(session, who, vacancy_id)
            household = household_for(session, who, household_id)
            policy = book.policy(structure.departement)
            found = matching.check(
                session, vacancy, structure, household, policy.ranking, policy.version, clock.now()
            )
            return found, household.departement

    found, departement = await run_in_threadpool(work)
    disclosed.household(household_id, SHOWN, departement)
    return found
