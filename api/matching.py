"""A vacancy's candidates, ranked in SQL (issue 11, item 4).

Eligibility is a filter on indexed columns of the read model (département, stage, the place type
the commission recommended) plus the place's requirements over the household's coded facts; the
order is the département's list of criteria (its policy file's `ranking:`), then the stored
tie-breaker. Only the first N are explained. `check` answers for one household in plain Python
with the same words the proposal uses (api/vacancies.py), and a test keeps both in agreement.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import String, case, cast, func, not_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from api import vacancies
from core import clock
from core.clock import aware
from models.matching import (
    Candidate,
    CandidateCheck,
    CandidateList,
    CandidateSnapshot,
    CriterionValue,
)
from models.offer import Place, Structure, StructureKind
from models.pathway import Stage
from models.protocol import PLACE_TYPE_OF
from models.records import Household
from models.vacancy import Proposal, Vacancy
from models.vocab import Flag, SyploStatus, Vulnerability
from models.vocab_orientation import PlaceType, RankingCriterion
from rules.policy import Policy
from rules.vocabulary import FACTS

C = RankingCriterion
SEVERITY = {
    Vulnerability.CRITIQUE.value: 0,
    Vulnerability.ELEVEE.value: 1,
    Vulnerability.MOYENNE.value: 2,
    Vulnerability.FAIBLE.value: 3,
}


def place_type(structure: Structure) -> PlaceType:
    return PLACE_TYPE_OF[StructureKind(structure.kind)]  # type: ignore[call-arg]


def _listed(column: Any, code: str) -> ColumnElement[bool]:
    """A JSON list holds this code (the same text test on SQLite and PostgreSQL)."""
    return cast(column, String).like(f'%"{code}"%')


def _requirement(req: dict[str, Any], dialect: str) -> ColumnElement[bool]:
    fact, must, codes = req["fact"], req["rule"] == "must", list(req.get("codes") or [])
    kind = FACTS[fact].kind
    held: ColumnElement[bool]
    if kind == "bool":
        held = func.coalesce(Household.facts[fact].as_boolean(), False).is_(True)
    elif kind == "codes":
        raw = (
            func.json_extract(Household.facts, f"$.{fact}")
            if dialect == "sqlite"
            else Household.facts.op("->")(fact)  # type: ignore[attr-defined]
        )
        held = or_(*(_listed(raw, c) for c in codes))
    else:
        held = func.coalesce(Household.facts[fact].as_string(), "").in_(codes)
    return held if must else not_(held)


def _eligible(
    session: Session, vacancy: Vacancy, structure: Structure, place: Place | None, now: datetime
) -> list[Any]:
    dialect = session.get_bind().dialect.name
    requirements = [*structure.requirements, *(place.requirements if place else [])]
    proposed = select(Proposal.household_id).where(Proposal.vacancy_id == vacancy.id)
    return [
        Household.departement == structure.departement,
        Household.stage == Stage.COMMISSION.value,
        Household.recommended_place == place_type(structure).value,
        or_(col(Household.held_until).is_(None), col(Household.held_until) <= now),
        col(Household.awaiting_reassessment).is_(False),
        col(Household.id).not_in(proposed),
        *(_requirement(r, dialect) for r in requirements),
    ]


def _order(criteria: tuple[RankingCriterion, ...]) -> list[Any]:
    keys: list[Any] = []
    for criterion in criteria:
        match criterion:
            case C.ENFANTS:
                keys.append(case((Household.facts["has_children"].as_boolean(), 0), else_=1))
            case C.VULNERABILITE:
                keys.append(case(SEVERITY, value=Household.vulnerability, else_=len(SEVERITY)))
            case C.SEJOUR_LONG:
                keys.append(case((_listed(Household.flags, Flag.LONG_STAY_REVIEW), 0), else_=1))
            case C.SYPLO:
                inscrit = Household.facts["syplo"].as_string() == SyploStatus.INSCRIT.value
                keys.append(case((inscrit, 0), else_=1))
            case C.ANCIENNETE:
                keys += [col(Household.seniority_since).is_(None), Household.seniority_since]
    return [*keys, Household.tie_breaker, Household.id]


def values(household: Household, criteria: tuple[RankingCriterion, ...]) -> list[CriterionValue]:
    """What each criterion read for this household, in the order they play."""
    facts = household.facts or {}
    read: dict[RankingCriterion, str | bool | None] = {
        C.ENFANTS: bool(facts.get("has_children")),
        C.VULNERABILITE: household.vulnerability or Vulnerability.NON_RENSEIGNE.value,
        C.SEJOUR_LONG: Flag.LONG_STAY_REVIEW.value in (household.flags or []),
        C.SYPLO: facts.get("syplo") == SyploStatus.INSCRIT.value,
        C.ANCIENNETE: (s.isoformat() if (s := aware(household.seniority_since)) else None),
    }
    return [CriterionValue(criterion=c, label=c.label, value=read[c]) for c in criteria]


def ranked(
    session: Session,
    vacancy: Vacancy,
    structure: Structure,
    criteria: tuple[RankingCriterion, ...],
    policy_version: str,
    now: datetime,
    limit: int,
) -> CandidateList:
    place = session.get(Place, vacancy.place_id)
    where = _eligible(session, vacancy, structure, place, now)
    total = session.exec(select(func.count()).select_from(Household).where(*where)).one()
    rows = session.exec(select(Household).where(*where).order_by(*_order(criteria)).limit(limit))
    return CandidateList(
        vacancy_id=vacancy.id,
        place_type=place_type(structure).value,
        policy_version=policy_version,
        criteria=list(criteria),
        total=total,
        candidates=[
            Candidate(
                rank=i,
                household_id=h.id,
                seniority_since=aware(h.seniority_since),
                values=values(h, criteria),
                tie_breaker=h.tie_breaker,
            )
            for i, h in enumerate(rows, start=1)
        ],
    )


def check(
    session: Session,
    vacancy: Vacancy,
    structure: Structure,
    household: Household,
    criteria: tuple[RankingCriterion, ...],
    policy_version: str,
    now: datetime,
) -> CandidateCheck:
    """Why this household is not a candidate, or its rank when it is."""
    place = session.get(Place, vacancy.place_id)
    wanted = place_type(structure)
    reasons: list[str] = []
    if household.departement != structure.departement:
        reasons.append("ménage d'un autre département que la place")
    if household.stage != Stage.COMMISSION.value:
        stage = Stage(household.stage)  # type: ignore[call-arg]
        reasons.append(
            f"le ménage n'attend pas d'orientation (étape « {stage.label} ») : "
            "la commission doit d'abord préconiser"
        )
    if household.recommended_place != wanted.value:
        said = household.recommended_place
        named = PlaceType(said).label if said else "aucun type de place"  # type: ignore[call-arg]
        reasons.append(f"la commission a préconisé « {named} », la place est « {wanted.label} »")
    if why := vacancies.held_back(session, household.id, now):
        reasons.append(why)
    already = session.exec(
        select(Proposal.id).where(
            Proposal.vacancy_id == vacancy.id, Proposal.household_id == household.id
        )
    ).first()
    if already is not None:
        reasons.append("déjà proposé sur cette vacance")
    requirements = [*structure.requirements, *(place.requirements if place else [])]
    reasons += [
        f"exigence non remplie : {u}" for u in vacancies.unmet(requirements, household.facts)
    ]
    rank = None
    if not reasons:
        where = _eligible(session, vacancy, structure, place, now)
        ids = session.exec(select(Household.id).where(*where).order_by(*_order(criteria))).all()
        rank = ids.index(household.id) + 1 if household.id in ids else None
    return CandidateCheck(
        household_id=household.id,
        candidate=rank is not None,
        rank=rank,
        reasons=reasons,
        values=values(household, criteria),
        policy_version=policy_version,
    )


SNAPSHOT_SIZE = 50  # the head of the list a proposal came from, kept with it


def snapshot(
    session: Session, policy: Policy, vacancy: Vacancy, structure: Structure, hid: str, by: str
) -> CandidateSnapshot:
    """The candidate list as it stands before this proposal (it then leaves the list)."""
    now = clock.now()
    found = ranked(session, vacancy, structure, policy.ranking, policy.version, now, SNAPSHOT_SIZE)
    rank = next((c.rank for c in found.candidates if c.household_id == hid), None)
    return CandidateSnapshot(
        vacancy_id=vacancy.id,
        household_id=hid,
        proposed_rank=rank,
        actor=by,
        policy_version=policy.version,
        criteria=[c.value for c in found.criteria],
        total=found.total,
        candidates=[c.model_dump(mode="json") for c in found.candidates],
    )


def keep(session: Session, taken: CandidateSnapshot) -> None:
    session.add(taken)
    session.commit()
