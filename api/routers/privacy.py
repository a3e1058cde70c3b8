"""The person's rights (R-EVAL-3) and the audit trail: consult, rectify, erase; who accessed
what. Each of these actions is itself written to the audit trail."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from activities import audit, audit_check, erasure
from api import redaction, viewers
from api.disclosure import ANSWERS_A_WRITE, Access, Disclosed, Disclosure
from api.errors import ApiError, problem
from api.permissions import Permission
from api.routers.records import RECORDS, _dump
from api.security import Principal, household_for, require
from api.state import BookDep, EngineDep, TemporalDep
from models.audit import AuditEvent, AuditNote, Rectification
from models.calls import CallRequest
from models.measures import Measure
from models.records import Household, Person
from models.schemas import BirthYear, JsonTypes
from models.vocab import Sex
from workflows.pathway import workflow_id

router = APIRouter(tags=["Droits des personnes et journal d'audit"])
ExportRead = Annotated[
    Disclosed,
    Depends(
        Disclosure(Access.EXPORT, "toutes les données", "droit d'accès de la personne"),
        scope="function",
    ),
]
ReportRead = Annotated[
    Disclosed,
    Depends(
        Disclosure(Access.READ, "rapport d'accès", "droit d'accès de la personne"),
        scope="function",
    ),
]
TrailRead = Annotated[
    Disclosed,
    Depends(Disclosure(Access.READ, "journal d'audit", "contrôle des accès"), scope="function"),
]
HouseholdId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
UNKNOWN: dict[int | str, dict[str, Any]] = {404: problem("Ménage inconnu")}
Rights = Annotated[Principal, Depends(require(Permission.RIGHTS))]
Auditor = Annotated[Principal, Depends(require(Permission.AUDIT))]


class AuditEntry(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    record: str
    fields: list[str]
    purpose: str
    note: str | None = None  # free text (a rectification's reason), erased with the household


class Rectify(JsonTypes):
    nickname: str | None = Field(None, max_length=80)
    first_name: str | None = Field(None, max_length=80)
    last_name: str | None = Field(None, max_length=80)
    birth_year: BirthYear | None = None  # at most the current year
    sex: Sex = Field(Sex.NON_RENSEIGNE, description="« non_renseigne » l'efface ; jamais null")
    reason: str = Field(min_length=3, max_length=200, description="motif de la rectification")


def _entries(
    engine: Any, household_id: str, departements: frozenset[str] | None = None
) -> list[AuditEntry]:
    """The household's audit rows; with `departements`, only rows of those départements (a
    row keeps its département after the household is erased)."""
    query = (
        select(AuditEvent, AuditNote)
        .join(AuditNote, col(AuditNote.seq) == col(AuditEvent.seq), isouter=True)
        .where(AuditEvent.household_id == household_id)
    )
    if departements is not None:
        query = query.where(col(AuditEvent.departement).in_(sorted(departements)))
    with Session(engine) as session:
        rows = session.exec(query.order_by(col(AuditEvent.seq))).all()
    return [
        AuditEntry(
            seq=r.seq,
            at=r.at.isoformat(),
            actor=r.actor,
            action=r.action,
            record=r.record,
            fields=r.fields,
            purpose=r.purpose,
            note=n.note if n is not None else None,
        )
        for r, n in rows
    ]


def _scoped(engine: Any, principal: Principal, household_id: str) -> None:
    with Session(engine) as session:
        household_for(session, principal, household_id)


def _erasable(engine: Any, principal: Principal, household_id: str) -> None:
    """In scope, or a first contact staged in one of the caller's départements whose
    household row never came (its pathway never confirmed it): that can be erased too."""
    with Session(engine) as session:
        if session.get(Household, household_id) is not None:
            household_for(session, principal, household_id)
            return
        staged = erasure.staged_departement(session, household_id)
    if staged is None or staged not in principal.departements or principal.structure_scoped:
        raise ApiError(404, "Ménage inconnu.")


@router.get(
    "/households/{household_id}/access-report",
    response_model=list[AuditEntry],
    responses=UNKNOWN,
    summary="Rapport d'accès : qui a consulté ou modifié les données de ce ménage",
)
async def access_report(
    household_id: HouseholdId, engine: EngineDep, principal: Rights, disclosed: ReportRead
) -> list[AuditEntry]:
    await run_in_threadpool(_scoped, engine, principal, household_id)
    disclosed.household(household_id, ["journal d'accès"])
    return await run_in_threadpool(_entries, engine, household_id)


@router.get(
    "/households/{household_id}/export",
    responses=UNKNOWN,
    summary="Tout ce qui est détenu sur ce ménage",
)
async def export(
    household_id: HouseholdId,
    engine: EngineDep,
    book: BookDep,
    principal: Rights,
    disclosed: ExportRead,
) -> Any:
    def collect() -> dict[str, Any]:
        with Session(engine) as session:
            household = household_for(session, principal, household_id)
            out: dict[str, Any] = {
                "menage": _dump(household),
                "personnes": [
                    _dump(p)
                    for p in session.exec(select(Person).where(Person.household_id == household_id))
                ],
            }
            for name, table in RECORDS.items():
                out[name] = [
                    _dump(r)
                    for r in session.exec(select(table).where(table.household_id == household_id))
                ]
            out["mesures"] = [
                _dump(m)
                for m in session.exec(select(Measure).where(Measure.household_id == household_id))
            ]
            out["demandes_115"] = [  # requests handled at the 115, linked to the household
                _dump(r)
                for r in session.exec(
                    select(CallRequest).where(CallRequest.household_id == household_id)
                )
            ]
            out["rectifications"] = [
                _dump(r)
                for r in session.exec(
                    select(Rectification).where(Rectification.household_id == household_id)
                )
            ]
        seen = viewers.viewer(
            principal,
            stage=household.stage,
            departement=household.departement,
            book=book,
        )
        out = redaction.export(out, seen)
        disclosed.household(household_id, out, household.departement)
        disclosed.write()  # now: the export lists its own access
        out["journal_d_acces"] = [e.model_dump() for e in _entries(engine, household_id)]
        return out

    return await run_in_threadpool(collect)


@router.patch(
    "/households/{household_id}/persons/{person_id}",
    dependencies=[ANSWERS_A_WRITE],  # the rectification's own audit row covers its answer
    responses={404: problem("Ménage ou personne inconnus")},
    summary="Rectifier les données d'une personne (historique conservé)",
)
async def rectify(
    household_id: HouseholdId,
    person_id: Annotated[int, Path(ge=1, le=2_147_483_647)],  # a database integer
    body: Rectify,
    engine: EngineDep,
    principal: Rights,
) -> dict[str, Any]:
    def apply(session: Session) -> dict[str, Any]:  # the change and its audit row: one commit
        changes = body.model_dump(exclude_unset=True, exclude={"reason"})
        household_for(session, principal, household_id)
        person = session.get(Person, person_id)
        if person is None or person.household_id != household_id:
            raise ApiError(404, "Personne inconnue.")
        if not person.nominative_consent and (
            changes.get("first_name") or changes.get("last_name")
        ):
            raise ApiError(422, "Sans consentement nominatif, pas de nom : un pseudonyme.")
        for field, value in changes.items():
            old = getattr(person, field)
            session.add(
                Rectification(
                    household_id=household_id,
                    person_id=person_id,
                    actor=f"agent-{principal.user_id}",
                    field=field,
                    old_value=None if old is None else str(old),
                    new_value=None if value is None else str(value),
                )
            )
            setattr(person, field, value)
        session.add(person)
        session.flush()
        result = _dump(person)
        audit.record(
            engine,
            actor=f"agent-{principal.user_id}",
            action="rectification",
            record="fiche personne",
            household_id=household_id,
            fields=sorted(changes),
            purpose="rectification à la demande de la personne",
            note=body.reason,  # free text: erased with the household, the chain still holds
            session=session,
        )
        return result

    return await run_in_threadpool(audit.transaction, engine, apply)


@router.delete(
    "/households/{household_id}",
    status_code=204,
    responses={**UNKNOWN, 503: problem("Temporal injoignable : rien n'a été effacé")},
    summary="Effacer les données du ménage (droit à l'effacement)",
)
async def erase(
    household_id: HouseholdId, engine: EngineDep, client: TemporalDep, principal: Rights
) -> None:
    await run_in_threadpool(_erasable, engine, principal, household_id)
    try:  # every run (continue-as-new makes several): nothing stays in Temporal
        await erasure.delete_runs(client, workflow_id(household_id))
    except RPCError as exc:
        raise ApiError(503, "Temporal est injoignable : rien n'a été effacé, réessayez.") from exc
    # The rows and the erasure's audit row in one transaction, then no copy in the files.
    await run_in_threadpool(
        lambda: erasure.erase_household(
            engine,
            household_id,
            actor=f"agent-{principal.user_id}",
            purpose="droit à l'effacement",
        )
    )


@router.get(
    "/audit",
    response_model=list[AuditEntry],
    responses=UNKNOWN,
    summary="Journal d'audit d'un ménage",
)
async def audit_trail(
    engine: EngineDep,
    principal: Auditor,
    disclosed: TrailRead,
    household_id: Annotated[str, Query(pattern=r"^[0-9a-f-]{36}$")],
) -> list[AuditEntry]:
    def run() -> list[AuditEntry]:
        with Session(engine) as session:
            if session.get(Household, household_id) is not None:
                try:
                    household_for(session, principal, household_id)
                except ApiError:  # out of scope: nothing, as for an unknown id
                    return []
        # Rows keep their département after an erasure: only the caller's are shown.
        return _entries(engine, household_id, principal.departements)

    entries = await run_in_threadpool(run)
    if entries:  # a read of nothing names no household
        disclosed.household(household_id, ["journal d'audit"])
    return entries


@router.get("/audit/verify", summary="Le journal d'audit est-il intact ?")
async def verify(engine: EngineDep, principal: Auditor) -> dict[str, Any]:
    broken = await run_in_threadpool(audit_check.verify, engine)
    return {"intact": broken is None, "premiere_rupture": broken}
