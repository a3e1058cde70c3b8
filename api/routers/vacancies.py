"""The orientation protocol of each vacancy (issue 10): propose households, the structure's and
the household's answers, the coordination's withdrawal of a proposal, the admission."""

from collections.abc import Callable
from datetime import UTC
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from activities import audit
from api import matching, vacancies
from api.actions import read_state
from api.deps import IdempotencyKey
from api.disclosure import ANSWERS_A_WRITE, Access, Disclosed, Disclosure
from api.errors import ApiError, problem
from api.offer import structures_of
from api.permissions import Permission
from api.security import Principal, household_for, require
from api.state import BookDep, EngineDep, TemporalDep
from core import clock
from models.matching import CandidateSnapshot
from models.offer import Place
from models.pathway import Action
from models.protocol import ProtocolStep
from models.records import Submission
from models.vacancy import AdmitInput, AnswerInput, ProposeInput, Vacancy
from models.vacancy_schemas import AdmissionCreate, AnswerCreate, ProposalCreate, VacancyView
from models.vocab_orientation import OrientationAnswer, RefusedBy
from workflows.vacancy import VacancyWorkflow

router = APIRouter(prefix="/vacancies", tags=["Offre : protocole d'orientation des vacances"])
T = TypeVar("T")
VacancyId = Annotated[
    str, Path(pattern=r"^vacance-\d{1,10}-\d{1,6}$", description="vacance-<place>-<n>")
]
HouseholdId = Annotated[str, Path(min_length=36, max_length=36)]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: problem("Vacance ou ménage inconnu (ou hors de votre périmètre)"),
    409: problem("Action impossible à cette étape du protocole : rien n'a été modifié"),
}
READS = Disclosure(Access.READ, "vacance", "suivi du protocole d'orientation")
Reader = Annotated[Principal, Depends(require(Permission.OFFER_READ))]
Proposer = Annotated[Principal, Depends(require(Permission.ORIENTATION))]
Admitter = Annotated[Principal, Depends(require(Permission.ADMISSION))]


async def _in(engine: Any, work: Callable[[Session], T]) -> T:
    def run() -> T:
        with Session(engine) as session:
            return work(session)

    return await run_in_threadpool(run)


def _audit(engine: Any, who: Principal, vacancy: Vacancy, hid: str, what: str) -> None:
    audit.record(
        engine,
        actor=f"agent-{who.user_id}",
        action=Access.WRITE.value,
        record="proposition",
        purpose=f"{what} ({vacancy.id})",
        household_id=hid,
        fields=["proposition"],
        departement=vacancy.departement,
    )


async def _answered(engine: Any, who: Principal, vid: str) -> VacancyView:
    return await _in(engine, lambda s: vacancies.view(s, vacancies.vacancy_for(s, who, vid)[0]))


@router.get("", response_model=list[VacancyView], summary="Les vacances et leur protocole")
async def list_vacancies(
    engine: EngineDep,
    who: Reader,
    disclosed: Annotated[Disclosed, Depends(READS)],
    step: ProtocolStep | None = None,
    place_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[VacancyView]:
    """Celles de vos départements (un gestionnaire : ses structures), les plus récentes d'abord."""

    def work(session: Session) -> list[VacancyView]:
        ids = [s.id for s in structures_of(session, who)]
        query = select(Vacancy).where(col(Vacancy.structure_id).in_(ids))
        if step is not None:
            query = query.where(Vacancy.step == step)
        if place_id is not None:
            query = query.where(Vacancy.place_id == place_id)
        rows = session.exec(query.order_by(col(Vacancy.declared_at).desc()).limit(200))
        views = [vacancies.view(session, v) for v in rows]
        for v in views:
            for p in v.proposals:
                disclosed.household(p.household_id, ["proposition"], v.departement)
        return views

    return await _in(engine, work)


@router.get("/{vacancy_id}", response_model=VacancyView, responses=ERRORS, summary="Une vacance")
async def get_vacancy(
    vacancy_id: VacancyId,
    engine: EngineDep,
    who: Reader,
    disclosed: Annotated[Disclosed, Depends(READS)],
) -> VacancyView:
    """Son étape, ses propositions (réponses, motifs et leurs conséquences), ses alertes."""
    view = await _answered(engine, who, vacancy_id)
    for p in view.proposals:
        disclosed.household(p.household_id, ["proposition"], view.departement)
    return view


@router.post(
    "/{vacancy_id}/proposals",
    response_model=VacancyView,
    responses=ERRORS,
    dependencies=[ANSWERS_A_WRITE],
    summary="Proposer un ménage sur la vacance",
)
async def propose(
    vacancy_id: VacancyId,
    body: ProposalCreate,
    engine: EngineDep,
    client: TemporalDep,
    book: BookDep,
    who: Proposer,
    key: IdempotencyKey = None,
) -> VacancyView:
    """Le ménage doit être en attente d'orientation (après la commission), remplir les exigences
    de la structure et de la place, et ne pas être écarté par le motif de son dernier refus.
    Le parcours du ménage passe en « orientation proposée ». La liste des candidats d'où vient
    la proposition (critères, rangs, tirages) est conservée avec elle."""
    hid, now = body.household_id, body.proposed_at or clock.now()
    actor = f"agent-{who.user_id}"

    def check(session: Session) -> tuple[Vacancy, list[dict[str, Any]], CandidateSnapshot]:
        vacancy, structure = vacancies.vacancy_for(session, who, vacancy_id)
        household_for(session, who, hid)  # 404 outside the caller's reach
        declared = vacancy.declared_at
        declared = declared if declared.tzinfo else declared.replace(tzinfo=UTC)  # SQLite
        if not declared <= now <= clock.now():
            raise ApiError(422, "Date de proposition impossible : entre la vacance et maintenant.")
        place = session.get(Place, vacancy.place_id)
        why = vacancies.held_back(session, hid, now)
        if why:
            raise ApiError(409, f"Proposition impossible : {why}. Rien n'a été modifié.")
        requirements = [*structure.requirements, *(place.requirements if place else [])]
        return (
            vacancy,
            requirements,
            matching.snapshot(
                session, book.policy(structure.departement), vacancy, structure, hid, actor
            ),
        )

    vacancy, requirements, taken = await _in(engine, check)
    facts = (await read_state(client, hid)).facts
    unmet = vacancies.unmet(requirements, facts)
    if unmet:
        raise ApiError(
            409,
            "Proposition impossible : le ménage ne remplit pas les exigences de la place — "
            + " ; ".join(unmet)
            + ". Rien n'a été modifié.",
        )
    inp = ProposeInput(household_id=hid, actor=actor, occurred_at=now)
    uid = vacancies.update_id("propose", hid, actor, key)
    await vacancies.send(client, vacancy_id, VacancyWorkflow.propose, inp, uid)
    await _in(engine, lambda s: matching.keep(s, taken))
    await run_in_threadpool(_audit, engine, who, vacancy, hid, "proposition d'un ménage")
    return await _answered(engine, who, vacancy_id)


def _answering(party: RefusedBy, permission: Permission, refusal_only: bool = False) -> Any:
    """The route through which `party` answers a proposal (each with its own permission)."""

    async def endpoint(
        vacancy_id: VacancyId,
        household_id: HouseholdId,
        body: AnswerCreate,
        engine: EngineDep,
        client: TemporalDep,
        who: Annotated[Principal, Depends(require(permission))],
        key: IdempotencyKey = None,
    ) -> VacancyView:
        if refusal_only and body.answer is OrientationAnswer.ACCEPTEE:
            raise ApiError(422, "Un motif administratif clôt la proposition : answer = refusee.")
        owner = body.owner()
        if owner is not None and owner is not party:
            raise ApiError(
                422, f"Motif « {body.refusal_reason} » : il relève de {owner.label}, pas d'ici."
            )
        actor, now, hid = f"agent-{who.user_id}", clock.now(), household_id

        def stage(session: Session) -> tuple[Vacancy, str | None]:
            vacancy, _ = vacancies.vacancy_for(session, who, vacancy_id)
            household_for(session, who, hid)
            if not body.refusal_detail:
                return vacancy, None
            note = Submission(  # the text stays here; its key travels (see AnswerInput)
                id=f"note:{vacancy_id}:{hid}:{now.timestamp():.0f}"[:64],
                household_id=hid,
                action=Action.REFUSE_ORIENTATION,
                payload={"refusal_detail": body.refusal_detail},
                actor=actor,
            )
            session.merge(note)
            session.commit()
            return vacancy, note.id

        vacancy, note_id = await _in(engine, stage)
        accepted = body.answer is OrientationAnswer.ACCEPTEE
        inp = AnswerInput(
            household_id=hid,
            party=party,
            accepted=accepted,
            reason=body.refusal_reason,
            note_id=note_id,
            actor=actor,
            occurred_at=now,
        )
        uid = vacancies.update_id(f"answer-{party.value}", hid, actor, key)
        await vacancies.send(client, vacancy_id, VacancyWorkflow.answer, inp, uid)
        what = f"réponse ({party.label}) : {body.answer.label}"
        await run_in_threadpool(_audit, engine, who, vacancy, hid, what)
        return await _answered(engine, who, vacancy_id)

    return endpoint


ANSWER = "/{vacancy_id}/proposals/{household_id}"
ANSWERS: list[tuple[str, RefusedBy, Permission, str, str]] = [
    (
        "structure-answer",
        RefusedBy.STRUCTURE,
        Permission.OFFER_DECLARE,
        "Réponse de la structure à une proposition",
        "Acceptée (le ménage répond ensuite), ou refusée avec un motif de la structure. Après "
        "le délai du protocole : 409 (la coordination clôt la proposition).",
    ),
    (
        "household-answer",
        RefusedBy.MENAGE,
        Permission.ORIENTATION_RESPONSE,
        "Réponse du ménage à une proposition",
        "Acceptée : les autres propositions de la vacance sont closes (place pourvue). Un refus "
        "après acceptation (désistement) alerte la coordination.",
    ),
    (
        "withdrawal",
        RefusedBy.ADMINISTRATIF,
        Permission.ORIENTATION,
        "Clore une proposition pour un motif administratif",
        "Orientation expirée, ménage perdu de vue… : la place revient au ménage suivant.",
    ),
]
for tail, party, permission, summary, description in ANSWERS:
    router.add_api_route(
        f"{ANSWER}/{tail}",
        _answering(party, permission, refusal_only=party is RefusedBy.ADMINISTRATIF),
        methods=["POST"],
        response_model=VacancyView,
        responses=ERRORS,
        dependencies=[ANSWERS_A_WRITE],
        summary=summary,
        description=description,
    )


@router.post(
    f"{ANSWER}/admission",
    response_model=VacancyView,
    responses=ERRORS,
    dependencies=[ANSWERS_A_WRITE],
    summary="Admission du ménage (la place devient occupée)",
)
async def admission(
    vacancy_id: VacancyId,
    household_id: HouseholdId,
    body: AdmissionCreate,
    engine: EngineDep,
    client: TemporalDep,
    who: Admitter,
    key: IdempotencyKey = None,
) -> VacancyView:
    """Après l'acceptation des deux parties : le parcours passe en « admis » (ou « logé » pour
    l'IML), la place devient occupée, la vacance est pourvue."""
    actor = f"agent-{who.user_id}"
    vacancy = await _in(engine, lambda s: vacancies.vacancy_for(s, who, vacancy_id)[0])
    await _in(engine, lambda s: household_for(s, who, household_id))
    now = clock.now()
    inp = AdmitInput(
        household_id=household_id, admitted_on=body.admitted_on, actor=actor, occurred_at=now
    )
    uid = vacancies.update_id("admit", household_id, actor, key)
    await vacancies.send(client, vacancy_id, VacancyWorkflow.admit, inp, uid)
    await run_in_threadpool(_audit, engine, who, vacancy, household_id, "admission")
    return await _answered(engine, who, vacancy_id)
