"""The consistency check: the database read model against the live pathways.

The workflow is the source of truth. For every open household (and every household whose
workflow runs) the read model (stage, overdue, next_deadline) is compared with the workflow's
`state_query`; pending submissions left behind by a request that gave up are listed, as are
running workflows without a household and households without a running workflow.

Rows and workflows younger than SETTLE (the API's update wait plus a margin) are left for the
next run: an action may be between its database write and its workflow update, a first contact
may have started its workflow and not yet written its household. `repair` rewrites the read
model from the workflow (compare-and-set on `updated_at`, so a concurrent action wins) and
deletes the stale pending submissions (they hold names and notes). The check Temporal runs
(the daily schedule) deletes those stale submissions even without `repair`: personal data
kept for no purpose (ConsistencyCheckInput.purge_stale). It never deletes a workflow
or a household: those orphans need a person to look at them.
"""

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from activities.consistency_db import Row, load_rows, purge, repair_row, stale_submissions, utc
from activities.scrub import scrub
from core import clock
from core.settings import Settings
from models.consistency import (
    CheckReport,
    ConsistencyCheckInput,
    Difference,
    HouseholdWithoutWorkflow,
    ReadModelField,
    Unreachable,
    WorkflowWithoutHousehold,
)
from models.pathway import (
    PATHWAY_STATE_QUERY,
    PATHWAY_WORKFLOW,
    UPDATE_WAIT_SECONDS,
    PathwayState,
    pathway_workflow_id,
)

log = structlog.get_logger()

MARGIN = timedelta(seconds=30)
SETTLE = timedelta(seconds=UPDATE_WAIT_SECONDS) + MARGIN
# A pending entry whose pathway still runs may belong to an update Temporal still holds (a worker
# down for a while): purging it would fail that update, so it is kept this long. Entries whose
# pathway is not running (never started, closed) go as soon as they are stale.
IN_FLIGHT_LIMIT = timedelta(hours=24)
QUERY_TIMEOUT = timedelta(seconds=10)
RUNNING = f"WorkflowType='{PATHWAY_WORKFLOW}' AND ExecutionStatus='Running'"
PREFIX = pathway_workflow_id("")
BATCH = 1_000


def rendered(value: str | bool | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return utc(value).isoformat()
    return str(value)


def household_of(wid: str) -> str | None:
    return wid.removeprefix(PREFIX) if wid.startswith(PREFIX) else None


# -- Temporal ---------------------------------------------------------------------------------
async def running_workflows(
    client: Client, scope: Collection[str] | None
) -> dict[str, WorkflowExecution]:
    found: dict[str, WorkflowExecution] = {}
    async for execution in client.list_workflows(RUNNING):
        if scope is None or household_of(execution.id) in scope:
            found[execution.id] = execution
    return found


async def live_state(
    client: Client, row: Row, listed: bool, report: CheckReport
) -> PathwayState | None:
    """The workflow's state; None (and the reason in the report) when there is none to read."""
    handle = client.get_workflow_handle(row.workflow_id)  # typed by each call below
    ids = {"household_id": row.household_id, "workflow_id": row.workflow_id}
    try:
        if not listed:  # the visibility list may lag: ask the execution itself
            status = (await handle.describe(rpc_timeout=QUERY_TIMEOUT)).status
            if status is WorkflowExecutionStatus.COMPLETED:  # closed: its result is its state
                return PathwayState.model_validate(await handle.result(rpc_timeout=QUERY_TIMEOUT))
            if status is not WorkflowExecutionStatus.RUNNING:
                name = status.name.lower() if status else "unknown"
                report.households_without_workflow.append(
                    HouseholdWithoutWorkflow(**ids, status=name)
                )
                return None
        state = await handle.query(
            PATHWAY_STATE_QUERY, result_type=PathwayState, rpc_timeout=QUERY_TIMEOUT
        )
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            missing = HouseholdWithoutWorkflow(**ids, status="not_found")
            report.households_without_workflow.append(missing)
        else:
            report.unreachable.append(Unreachable(**ids, error=exc.status.name.lower()))
        return None
    except WorkflowQueryFailedError:
        report.unreachable.append(Unreachable(**ids, error="query_failed"))
        return None
    return PathwayState.model_validate(state)


def differences(row: Row, state: PathwayState) -> list[Difference]:
    db_deadline = utc(row.next_deadline) if row.next_deadline else None
    wf_deadline = utc(state.next_deadline) if state.next_deadline else None
    pairs: list[tuple[ReadModelField, str | bool | datetime | None, str | bool | datetime | None]]
    pairs = [
        ("stage", row.stage, state.stage.value),
        ("overdue", row.overdue, state.overdue),
        ("next_deadline", db_deadline, wf_deadline),
    ]
    return [
        Difference(
            household_id=row.household_id,
            field=name,
            db_value=rendered(db),
            workflow_value=rendered(wf),
        )
        for name, db, wf in pairs
        if db != wf
    ]


# -- the check --------------------------------------------------------------------------------
async def check(
    client: Client,
    engine: Engine,
    settings: Settings,
    *,
    repair: bool,
    now: datetime,
    household_ids: Collection[str] | None = None,
    purge_stale: bool = False,
) -> CheckReport:
    """Compare, list, and with `repair` fix what can be fixed. `household_ids` limits the
    check to those households and their workflows (None: all). Stale pending submissions are
    purged with `repair` or `purge_stale` (the scheduled check always purges them)."""
    now = utc(now)
    scope = frozenset(household_ids) if household_ids is not None else None
    report = CheckReport(checked_at=now, repair=repair, settle_seconds=int(SETTLE.total_seconds()))
    running = await running_workflows(client, scope)
    report.workflows_running = len(running)
    with_household = {h for h in map(household_of, running) if h}
    rows = await asyncio.to_thread(load_rows, engine, scope, with_household)
    settled = [r for r in rows.values() if now - r.updated_at >= SETTLE]
    report.households_checked = len(settled)
    report.recently_updated = len(rows) - len(settled)

    # As many pathways queried at once as the worker runs activities.
    gate = asyncio.Semaphore(max(1, settings.worker_activity_threads))

    async def inspect(row: Row) -> None:
        async with gate:
            state = await live_state(client, row, row.workflow_id in running, report)
        found = differences(row, state) if state is not None else []
        if found and state is not None and repair:
            repaired = await asyncio.to_thread(repair_row, engine, row, state)
            for difference in found:
                difference.repaired = repaired
        report.differences += found

    for start in range(0, len(settled), BATCH):  # a bounded number of coroutines at a time
        await asyncio.gather(*(inspect(row) for row in settled[start : start + BATCH]))
    for wid, execution in running.items():
        started = utc(execution.start_time)
        if household_of(wid) not in rows and now - started >= SETTLE:
            report.workflows_without_household.append(
                WorkflowWithoutHousehold(
                    workflow_id=wid, run_id=execution.run_id, started_at=started
                )
            )
    stale = await asyncio.to_thread(stale_submissions, engine, now - SETTLE, scope)
    for submission in stale if repair or purge_stale else []:
        in_flight = (
            pathway_workflow_id(submission.household_id) in running
            and now - utc(submission.created_at) < IN_FLIGHT_LIMIT
        )
        if not in_flight:
            submission.purged = await asyncio.to_thread(purge, engine, submission)
    if any(s.purged for s in stale):  # and no copy left in the database files
        await asyncio.to_thread(scrub, engine, {"submission"})
    report.stale_submissions = stale
    report.differences.sort(key=lambda d: (d.household_id, d.field))
    report.stale_submissions.sort(key=lambda s: (s.created_at, s.submission_id))
    report.workflows_without_household.sort(key=lambda w: w.workflow_id)
    report.households_without_workflow.sort(key=lambda h: h.household_id)
    report.unreachable.sort(key=lambda u: u.household_id)
    return report


@dataclass
class ConsistencyActivities:
    """The check as an activity; Temporal's client is the worker's own unless one is given."""

    engine: Engine
    settings: Settings
    client: Client | None = None

    @activity.defn(name="check_consistency")
    async def check_consistency(self, inp: ConsistencyCheckInput) -> CheckReport:
        report = await check(
            self.client or activity.client(),
            self.engine,
            self.settings,
            repair=inp.repair,
            now=clock.now(),
            household_ids=inp.household_ids,
            purge_stale=inp.purge_stale,
        )
        log.info(
            "consistency_checked", repair=inp.repair, remaining=report.remaining, **report.counts()
        )
        return report
