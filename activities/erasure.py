"""The right to erasure: a household's personal data deleted from the database, an anonymous
statistical trace kept, no copy left in the database files (core/scrub.py), and every Temporal
run of its pathway deleted (`delete_runs`, called by DELETE /households/{id} and by the
automatic purge at the end of the follow-up window).

The rows, the free text of the household's audit rows (`auditnote`; the chain covers only its
salted digest) and the audit row of the erasure itself go in one transaction. Entries staged
for the household (`submission`) go too, even when the household row never existed (a first
contact whose pathway never confirmed it)."""

from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities import audit
from activities.scrub import scrub
from models.audit import AnonymousPathway, AuditNote, Rectification
from models.calls import CallRequest
from models.evaluations import RECORD_TABLES
from models.measures import Measure, MeasureChange
from models.ofii import OfiiListRow
from models.pathway import Action
from models.records import Alert, Household, Person, Submission, TimelineEvent
from models.vacancy import Proposal, StallAlert

PERSONAL_TABLES: tuple[Any, ...] = (
    Person,
    MeasureChange,  # before the measures it refers to
    Measure,
    *RECORD_TABLES.values(),
    Submission,
    TimelineEvent,
    Alert,
    Rectification,
    Proposal,
    StallAlert,
    OfiiListRow,  # a person's line on a monthly OFII list
)


def staged_departement(session: Session, household_id: str) -> str | None:
    """The département of a first contact staged for this household id (no household row)."""
    payloads = session.exec(
        select(Submission.payload).where(
            Submission.household_id == household_id, Submission.action == Action.REPORT.value
        )
    ).all()
    found = [p.get("departement") for p in payloads if isinstance(p, dict)]
    return next((d for d in found if isinstance(d, str)), None)


def _erase(session: Session, household_id: str, actor: str, purpose: str) -> set[str] | None:
    """Delete and audit in the caller's transaction; the tables touched, None if unknown."""
    household = session.get(Household, household_id)
    departement = (
        household.departement
        if household is not None
        else staged_departement(session, household_id)
    )
    touched: set[str] = set()
    if household is not None:
        members = len(
            session.exec(select(Person.id).where(Person.household_id == household_id)).all()
        )
        session.add(
            AnonymousPathway(
                departement=household.departement,
                typology=household.typology,
                members_count=members,
                last_stage=household.stage,
                exit_situation=household.exit_situation,
                reported_month=household.encountered_at.strftime("%Y-%m"),
                closed_month=household.closed_at.strftime("%Y-%m") if household.closed_at else None,
            )
        )
    for table in PERSONAL_TABLES:
        result = session.execute(delete(table).where(col(table.household_id) == household_id))
        if result.rowcount:  # type: ignore[attr-defined]
            touched.add(table.__tablename__)
    # A request handled at the 115 stays counted: only its link to the household goes.
    unlinked = session.execute(
        update(CallRequest)
        .where(col(CallRequest.household_id) == household_id)
        .values(household_id=None)
    )
    if unlinked.rowcount:  # type: ignore[attr-defined]
        touched.add(CallRequest.__tablename__)  # type: ignore[arg-type]
    if household is None and not touched:
        return None
    if audit.erase_notes(session, household_id):
        touched.add(AuditNote.__tablename__)  # type: ignore[arg-type]
    if household is not None:
        session.delete(household)
        session.flush()
        touched.add(Household.__tablename__)  # type: ignore[arg-type]
    audit.append(
        session,
        actor=actor,
        action="effacement",
        record="ménage" if household is not None else "saisie",
        household_id=household_id,
        fields=["toutes"],
        purpose=purpose,
        departement=departement,
    )
    return touched


def erase_rows(engine: Engine, household_id: str, actor: str, purpose: str) -> set[str] | None:
    """Delete every row about the household, audited in the same transaction; keep one
    anonymous line. The tables touched (to scrub), None if nothing was held about it."""
    return audit.transaction(engine, lambda s: _erase(s, household_id, actor, purpose))


def erase_household(
    engine: Engine,
    household_id: str,
    *,
    actor: str = "system",
    purpose: str = "droit à l'effacement",
) -> bool:
    """`erase_rows`, then no copy left in the database files. False if nothing was held."""
    touched = erase_rows(engine, household_id, actor, purpose)
    if touched is None:
        return False
    scrub(engine, touched)
    return True


async def delete_runs(client: Client, wid: str, current_run_id: str | None = None) -> int:
    """Delete every run of the pathway `wid` (continue-as-new makes several): histories and
    search attributes; the current run last (a running one is terminated and deleted at once,
    a closed one by the server in the background). The number of runs deleted."""
    runs: list[str] = []
    try:
        runs += [w.run_id async for w in client.list_workflows(f"WorkflowId='{wid}'")]
        if current_run_id is None:
            current_run_id = (await client.get_workflow_handle(wid).describe()).run_id
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise
    ordered = [r for r in runs if r != current_run_id]
    if current_run_id is not None:
        ordered.append(current_run_id)
    deleted = 0
    for run_id in dict.fromkeys(ordered):
        try:
            await client.workflow_service.delete_workflow_execution(
                DeleteWorkflowExecutionRequest(
                    namespace=client.namespace,
                    workflow_execution=WorkflowExecution(workflow_id=wid, run_id=run_id),
                )
            )
            deleted += 1
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
    return deleted
