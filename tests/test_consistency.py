"""`siao check`: the read model against the live pathways, on the real dev server and database.

The test database and dev server are shared by the whole session: every check here is scoped
to the households and workflows the test created (`household_ids`, `--menage`).
"""

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client, ScheduleActionStartWorkflow, WorkflowExecutionStatus
from temporalio.service import RPCError

from activities import consistency
from activities.consistency import check
from activities.consistency_db import utc
from cli import check as consistency_cli
from cli import main as cli
from core import clock, db
from core import settings as core_settings
from core.settings import Settings
from models.audit import AuditEvent
from models.consistency import CheckReport, ConsistencyCheckInput
from models.pathway import Action, PathwayInput, PathwayState
from models.records import Household, Submission
from tests import factories
from tests.conftest import ok, running_worker
from workflows.consistency import (
    SCHEDULE_ID,
    ConsistencyCheckWorkflow,
    ensure_daily_check_schedule,
)
from workflows.pathway import PathwayWorkflow, workflow_id

pytestmark = pytest.mark.devserver

LATER = timedelta(minutes=5)  # past the settle window: nothing of ours is mid-update any more
NOTE = "dort sous le pont depuis l'hiver"  # personal: must never reach a report


def later() -> datetime:
    return clock.now() + LATER


async def open_households(http: Any, count: int) -> list[str]:
    return [
        ok(await http.post("/households", json=factories.first_contact("75")), 201)["household_id"]
        for _ in range(count)
    ]


def corrupt(engine: Engine, household_id: str, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(Household).where(col(Household.id) == household_id).values(**values))


def stale_submission(engine: Engine, household_id: str) -> str:
    """A pending entry two days old: its request gave up and nobody came back for it (past
    the day an update Temporal still holds may need it)."""
    sid = f"flash_evaluation:{uuid.uuid4()}"
    with Session(engine) as session:
        session.add(
            Submission(
                id=sid,
                household_id=household_id,
                action=Action.FLASH_EVALUATION,
                payload={"notes": NOTE},
                actor="agent-test",
                created_at=clock.now() - timedelta(days=2),
            )
        )
        session.commit()
    return sid


def household_without_workflow(engine: Engine) -> str:
    hid = str(uuid.uuid4())
    with Session(engine) as session:
        row = {"departement": "75", "workflow_id": workflow_id(hid), "stage": "reported"}
        session.add(Household.model_validate({"id": hid, "encountered_at": clock.now(), **row}))
        session.commit()
    return hid


async def workflow_without_household(client: Client, queue: str) -> str:
    """A pathway started but never given its first contact (so no household row)."""
    hid = str(uuid.uuid4())
    wid = workflow_id(hid)
    await client.start_workflow(
        PathwayWorkflow.run,
        PathwayInput(household_id=hid, departement="75"),
        id=wid,
        task_queue=queue,
    )
    query = f"WorkflowId='{wid}' AND ExecutionStatus='Running'"
    for _ in range(100):  # the visibility list lags a little behind
        if [w async for w in client.list_workflows(query)]:
            break
        await asyncio.sleep(0.1)
    return hid


async def terminate(client: Client, household_ids: list[str]) -> None:
    for hid in household_ids:
        with contextlib.suppress(RPCError):
            await client.get_workflow_handle(workflow_id(hid)).terminate(reason="fin du test")


async def live(client: Client, household_id: str) -> PathwayState:
    handle = client.get_workflow_handle(workflow_id(household_id))
    return PathwayState.model_validate(await handle.query(PathwayWorkflow.state_query))


async def test_check_lists_each_problem_and_repair_fixes_the_read_model(
    dev_env, http, queue_settings: Settings, engine: Engine
):
    client, queue = dev_env.client, queue_settings.temporal_task_queue
    async with running_worker(client, queue_settings, engine, queue):
        a, b, c, shut = await open_households(http, 4)
        ok(await http.post(f"/households/{c}/flash-evaluation", json=factories.flash()))
        ok(await http.post(f"/households/{shut}/exit", json=factories.exit_("logement_social")))
        lonely_row = household_without_workflow(engine)
        lonely_workflow = await workflow_without_household(client, queue)
        mine = [a, b, c, shut, lonely_row, lonely_workflow]
        try:
            corrupt(engine, a, stage="admitted")
            corrupt(engine, b, overdue=True)
            corrupt(engine, c, next_deadline=datetime(2031, 1, 1, tzinfo=UTC))
            corrupt(engine, shut, stage="admitted")  # reopened by mistake: its workflow is closed
            sid = stale_submission(engine, a)

            # Right now every row and workflow of ours is younger than the settle window: an
            # action or a first contact could be in flight, so nothing is claimed about them.
            at_once = await check(
                client,
                engine,
                queue_settings,
                repair=False,
                now=clock.now(),
                household_ids=mine,
            )
            assert (at_once.households_checked, at_once.recently_updated) == (0, 5)
            assert at_once.differences == at_once.workflows_without_household == []
            assert [s.submission_id for s in at_once.stale_submissions] == [sid]  # two hours old

            report = await check(
                client, engine, queue_settings, repair=False, now=later(), household_ids=mine
            )
            deadline_c = (await live(client, c)).next_deadline
            assert deadline_c is not None
            assert {
                (d.household_id, d.field, d.db_value, d.workflow_value) for d in report.differences
            } == {
                (a, "stage", "admitted", "reported"),
                (b, "overdue", "true", "false"),
                (c, "next_deadline", "2031-01-01T00:00:00+00:00", utc(deadline_c).isoformat()),
                (shut, "stage", "admitted", "closed"),  # the closed workflow's result
            }
            assert [
                (s.submission_id, s.household_id, s.purged) for s in report.stale_submissions
            ] == [(sid, a, False)]
            assert [w.workflow_id for w in report.workflows_without_household] == [
                workflow_id(lonely_workflow)
            ]
            assert [(h.household_id, h.status) for h in report.households_without_workflow] == [
                (lonely_row, "not_found")
            ]
            assert report.unreachable == []
            assert report.households_checked == 5 and report.workflows_running == 4
            assert not report.clean and report.problems == report.remaining == 7
            assert NOTE not in report.model_dump_json()

            repaired = await check(
                client, engine, queue_settings, repair=True, now=later(), household_ids=mine
            )
            assert len(repaired.differences) == 4 and all(d.repaired for d in repaired.differences)
            assert [s.purged for s in repaired.stale_submissions] == [True]
            assert repaired.remaining == 2  # the orphans are listed, never deleted
            with Session(engine) as session:
                rows = {
                    h.id: h
                    for h in session.exec(select(Household).where(col(Household.id).in_(mine)))
                }
                assert session.get(Submission, sid) is None
                purged = session.exec(
                    select(AuditEvent).where(
                        AuditEvent.household_id == a, AuditEvent.record == "saisie"
                    )
                ).all()
            assert rows[a].stage == "reported" and rows[b].overdue is False
            assert rows[shut].stage == "closed"
            next_c = rows[c].next_deadline
            assert next_c is not None and utc(next_c) == deadline_c
            assert lonely_row in rows
            assert [(e.action, e.fields) for e in purged] == [("effacement", ["notes"])]
            described = await client.get_workflow_handle(workflow_id(lonely_workflow)).describe()
            assert described.status is WorkflowExecutionStatus.RUNNING

            again = await check(
                client, engine, queue_settings, repair=False, now=later(), household_ids=mine
            )
            assert again.counts() == {
                "differences": 0,
                "stale_submissions": 0,
                "workflows_without_household": 1,
                "households_without_workflow": 1,
                "unreachable": 0,
            }
        finally:
            await terminate(client, mine)


async def test_a_pathway_without_worker_is_reported_unreachable(
    dev_env, http, queue_settings: Settings, engine: Engine, monkeypatch
):
    monkeypatch.setattr(consistency, "QUERY_TIMEOUT", timedelta(seconds=2))
    client, queue = dev_env.client, queue_settings.temporal_task_queue
    async with running_worker(client, queue_settings, engine, queue):
        (a,) = await open_households(http, 1)
    try:  # the worker is stopped: the pathway runs, nobody answers its queries
        report = await check(
            client, engine, queue_settings, repair=True, now=later(), household_ids=[a]
        )
        assert [(u.household_id, u.workflow_id) for u in report.unreachable] == [
            (a, workflow_id(a))
        ]
        assert report.differences == report.households_without_workflow == []
        assert report.unreachable[0].error in ("cancelled", "deadline_exceeded")  # timed out
        assert report.remaining == 1
    finally:
        await terminate(client, [a])


@pytest.fixture
def cli_env(monkeypatch, settings: Settings, dev_env) -> Iterator[None]:
    """`siao` as run from a shell: settings from SIAO_* variables, pointed at the test stack;
    its clock past the settle window, like the tests' `now`."""
    monkeypatch.setenv("SIAO_ENVIRONMENT", "development")
    monkeypatch.setenv("SIAO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIAO_TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    monkeypatch.setenv("SIAO_TEMPORAL_NAMESPACE", dev_env.client.namespace)
    monkeypatch.setenv("SIAO_ENCRYPTION_KEYS", "")  # the development key, like DATA_CONVERTER
    monkeypatch.setattr(consistency_cli, "now", later)
    configured = structlog.is_configured()
    core_settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield
    if db.get_engine.cache_info().currsize:
        db.get_engine().dispose()
    db.get_engine.cache_clear()
    core_settings.get_settings.cache_clear()
    if not configured:  # `siao` quiets structlog; other tests capture its info logs
        structlog.reset_defaults()


async def siao(*argv: str) -> int:
    """The `siao` entry point, in a thread: it runs its own event loop and Temporal client."""
    return await asyncio.to_thread(cli.main, list(argv))


async def test_siao_check_command(
    dev_env, http, queue_settings: Settings, engine: Engine, cli_env, capsys
):
    client, queue = dev_env.client, queue_settings.temporal_task_queue
    async with running_worker(client, queue_settings, engine, queue):
        a, b = await open_households(http, 2)
        scope = ["--menage", a, "--menage", b]
        try:
            corrupt(engine, a, stage="commission")
            sid = stale_submission(engine, b)

            assert await siao("check", *scope) == 1
            out = capsys.readouterr().out
            assert "✘ 1 différence entre la base et les parcours" in out
            assert f"ménage {a}  étape : base « commission », parcours « reported »" in out
            assert "✘ 1 saisie abandonnée" in out and sid in out
            assert "✔ 0 parcours sans ménage" in out
            assert "✔ 0 ménage ouvert sans parcours en cours" in out
            assert "Résultat : 2 problèmes, 2 restant(s)." in out
            assert NOTE not in out

            assert await siao("check", "--repair", "--json", *scope) == 0  # all repaired
            doc = json.loads(capsys.readouterr().out)
            assert (doc["clean"], doc["problems"], doc["remaining"]) == (False, 2, 0)
            assert doc["differences"][0]["repaired"] and doc["stale_submissions"][0]["purged"]

            assert await siao("check", *scope) == 0
            out = capsys.readouterr().out
            assert "✔ 0 différence entre la base et les parcours" in out
            assert "✔ 0 saisie abandonnée" in out
            assert "Résultat : base et parcours cohérents." in out
        finally:
            await terminate(client, [a, b])


async def test_consistency_workflow_returns_the_report_and_alerts(
    dev_env, http, queue_settings: Settings, engine: Engine, caplog
):
    client, queue = dev_env.client, queue_settings.temporal_task_queue
    async with running_worker(client, queue_settings, engine, queue):
        (a,) = await open_households(http, 1)
        try:
            # The activity checks at the real time: the row is made old enough to be judged.
            corrupt(engine, a, overdue=True, updated_at=clock.now() - timedelta(hours=1))
            with caplog.at_level(logging.ERROR, logger="temporalio.workflow"):
                report = await client.execute_workflow(
                    ConsistencyCheckWorkflow.run,
                    ConsistencyCheckInput(household_ids=[a]),
                    id=f"controle-{uuid.uuid4().hex[:8]}",
                    task_queue=queue,
                )
            assert isinstance(report, CheckReport)
            assert [(d.household_id, d.field, d.repaired) for d in report.differences] == [
                (a, "overdue", False)
            ]
            assert report.remaining == 1
            alerts = [
                r for r in caplog.records if r.getMessage().startswith("consistency_check_failed")
            ]
            assert len(alerts) == 1 and alerts[0].levelno == logging.ERROR
            assert "differences=1" in alerts[0].getMessage()
            assert a not in alerts[0].getMessage()  # counts only

            repaired = await client.execute_workflow(
                ConsistencyCheckWorkflow.run,
                ConsistencyCheckInput(repair=True, household_ids=[a]),
                id=f"controle-{uuid.uuid4().hex[:8]}",
                task_queue=queue,
            )
            assert [d.repaired for d in repaired.differences] == [True]
            with Session(engine) as session:
                household = session.get(Household, a)
                assert household is not None and household.overdue is False
        finally:
            await terminate(client, [a])


async def test_daily_schedule_is_created_once(dev_env):
    client = dev_env.client
    handle = client.get_schedule_handle(SCHEDULE_ID)
    try:
        assert await ensure_daily_check_schedule(client, "siao-tests") is True
        assert await ensure_daily_check_schedule(client, "siao-tests") is False
        described = await handle.describe()
        spec, action = described.schedule.spec, described.schedule.action
        assert spec.time_zone_name == "Europe/Paris"
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == ("ConsistencyCheckWorkflow", "siao-tests")
        paris = [t.astimezone(clock.PARIS) for t in described.info.next_action_times]
        assert paris and all((t.hour, t.minute, t.second) == (3, 0, 0) for t in paris)
    finally:
        with contextlib.suppress(RPCError):
            await handle.delete()
