"""The person's rights (R-EVAL-3) and the audit trail: consult, rectify, erase; who accessed
what. Each of these actions is itself written to the audit trail."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode

from api.deps import EngineDep, TemporalDep
from api.errors import ApiError, problem
from api.permissions import Permission
from api.routers.records import RECORDS, _dump
from api.security import Principal, household_for, require
from core import audit, erasure
from models.audit import AuditEvent, Rectification
from models.records import Household, Person
from models.schemas import JsonTypes
from models.vocab import Sex
from workflows.pathway import workflow_id

router = APIRouter(tags=["Droits des personnes et journal d'audit"])
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


class Rectify(JsonTypes):
    nickname: str | None = Field(None, max_length=80)
    first_name: str | None = Field(None, max_length=80)
    last_name: str | None = Field(None, max_length=80)
    birth_year: int | None = Field(None, ge=1900, le=2100)
    sex: Sex | None = None
    reason: str = Field(min_length=3, max_length=200, description="motif de la rectification")


def _entries(engine: Any, household_id: str) -> list[AuditEntry]:
    with Session(engine) as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.household_id == household_id)
            .order_by(col(AuditEvent.seq))
        ).all()
    return [
        AuditEntry(
            seq=r.seq,
            at=r.at.isoformat(),
            actor=r.actor,
            action=r.action,
            record=r.record,
            fields=r.fields,
            purpose=r.purpose,
        )
        for r in rows
    ]


def _scoped(engine: Any, principal: Principal, household_id: str) -> None:
    with Session(engine) as session:
        household_for(session, principal, household_id)


@router.get(
    "/households/{household_id}/access-report",
    response_model=list[AuditEntry],
    responses=UNKNOWN,
    summary="Rapport d'accès : qui a consulté ou modifié les données de ce ménage",
)
async def access_report(
    household_id: HouseholdId, engine: EngineDep, principal: Rights
) -> list[AuditEntry]:
    await run_in_threadpool(_scoped, engine, principal, household_id)
    return await run_in_threadpool(_entries, engine, household_id)


@router.get(
    "/households/{household_id}/export",
    responses=UNKNOWN,
    summary="Tout ce qui est détenu sur ce ménage",
)
async def export(household_id: HouseholdId, engine: EngineDep, principal: Rights) -> Any:
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
            out["rectifications"] = [
                _dump(r)
                for r in session.exec(
                    select(Rectification).where(Rectification.household_id == household_id)
                )
            ]
        audit.record(
            engine,
            actor=f"agent-{principal.user_id}",
            action="export",
            record="toutes les données",
            household_id=household_id,
            fields=sorted(out),
            purpose="droit d'accès de la personne",
        )
        out["journal_d_acces"] = [e.model_dump() for e in _entries(engine, household_id)]
        return out

    return await run_in_threadpool(collect)


@router.patch(
    "/households/{household_id}/persons/{person_id}",
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
    def apply() -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True, exclude={"reason"})
        with Session(engine) as session:
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
            session.commit()
            result = _dump(person)
        audit.record(
            engine,
            actor=f"agent-{principal.user_id}",
            action="rectification",
            record="fiche personne",
            household_id=household_id,
            fields=sorted(changes),
            purpose=body.reason,
        )
        return result

    return await run_in_threadpool(apply)


@router.delete(
    "/households/{household_id}",
    status_code=204,
    responses={**UNKNOWN, 503: problem("Temporal injoignable : rien n'a été effacé")},
    summary="Effacer les données du ménage (droit à l'effacement)",
)
async def erase(
    household_id: HouseholdId, engine: EngineDep, client: TemporalDep, principal: Rights
) -> None:
    await run_in_threadpool(_scoped, engine, principal, household_id)
    wid = workflow_id(household_id)
    try:  # delete every run (continue-as-new makes several): nothing stays in Temporal
        current = [(await client.get_workflow_handle(wid).describe()).run_id]
        older = [w.run_id async for w in client.list_workflows(f"WorkflowId='{wid}'")]
        for run_id in dict.fromkeys(current + older):
            # A running execution is terminated and deleted at once; a closed one is deleted
            # by the server in the background.
            await client.workflow_service.delete_workflow_execution(
                DeleteWorkflowExecutionRequest(
                    namespace=client.namespace,
                    workflow_execution=WorkflowExecution(workflow_id=wid, run_id=run_id),
                )
            )
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise ApiError(
                503, "Temporal est injoignable : rien n'a été effacé, réessayez."
            ) from exc
    await run_in_threadpool(erasure.erase_household, engine, household_id)
    await run_in_threadpool(
        lambda: audit.record(
            engine,
            actor=f"agent-{principal.user_id}",
            action="effacement",
            record="ménage",
            household_id=household_id,
            fields=["toutes"],
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
    household_id: Annotated[str, Query(pattern=r"^[0-9a-f-]{36}$")],
) -> list[AuditEntry]:
    def run() -> list[AuditEntry]:
        with Session(engine) as session:
            household = session.get(Household, household_id)
            if household is not None:
                household_for(session, principal, household_id)
        return _entries(engine, household_id)

    return await run_in_threadpool(run)


@router.get("/audit/verify", summary="Le journal d'audit est-il intact ?")
async def verify(engine: EngineDep, principal: Auditor) -> dict[str, Any]:
    broken = await run_in_threadpool(audit.verify, engine)
    return {"intact": broken is None, "premiere_rupture": broken}
