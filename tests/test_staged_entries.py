"""A first contact the pathway never confirmed (no worker: the request gives up with a 503) leaves
its names staged in `submission` and no household row. Whatever happens next — the daily
scheduled check, the worker's hourly housekeeping, or an erasure of that household id — no name
survives in any table."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.service import RPCError

from activities import housekeeping
from api import actions
from api.main import create_app
from core import clock
from models.consistency import CheckReport, ConsistencyCheckInput
from models.records import Submission, SubmissionStatus
from tests.conftest import login, running_worker
from tests.leaks import named_contact, tables_holding, unique_name
from tests.pathway_helpers import eventually
from workflows.consistency import ConsistencyCheckWorkflow
from workflows.pathway import workflow_id


@pytest.fixture
def app(dev_env, queue_settings, engine, monkeypatch) -> FastAPI:
    """The API with no worker on its task queue, and a short wait for the pathway's answer."""
    monkeypatch.setattr(actions, "UPDATE_WAIT_SECONDS", 2)

    async def connect():
        return dev_env.client

    return create_app(queue_settings, engine, connect)


@pytest.fixture
async def http(app, settings, engine) -> AsyncIterator[httpx.AsyncClient]:
    headers = login(settings, engine, ["coordinateur"], ["75"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers=headers, timeout=30
    ) as client:
        yield client


async def failed_first_contact(http: httpx.AsyncClient, engine: Engine, name: str) -> str:
    """Send it, see it fail; the household id it was staged under (the test reads it from the
    database: the 503 answer does not give it)."""
    r = await http.post("/households", json=named_contact(name))
    assert r.status_code == 503, r.text
    assert tables_holding(engine, name) == ["submission"]  # the names wait there
    with Session(engine) as session:
        staged = [
            s
            for s in session.exec(
                select(Submission).where(Submission.status == SubmissionStatus.PENDING)
            )
            if name in repr(s.payload)
        ]
    assert len(staged) == 1
    return staged[0].household_id


def age(engine: Engine, household_id: str) -> None:
    """Two hours pass: long past the API's wait and the check's settle window."""
    with engine.begin() as conn:
        conn.execute(
            update(Submission)
            .where(col(Submission.household_id) == household_id)
            .values(created_at=clock.now() - timedelta(hours=2))
        )


async def forget(client: Client, household_id: str) -> None:
    with contextlib.suppress(RPCError):
        await client.get_workflow_handle(workflow_id(household_id)).terminate(reason="fin du test")


async def test_the_scheduled_check_purges_the_names_of_a_failed_first_contact(
    http, dev_env, settings, engine
):
    name = unique_name()
    hid = await failed_first_contact(http, engine, name)
    age(engine, hid)
    try:  # what the daily schedule starts: the default input, no repair asked
        queue = f"siao-check-{uuid.uuid4().hex[:8]}"

        async def scheduled_check() -> CheckReport:
            async with running_worker(dev_env.client, settings, engine, queue):
                return await dev_env.client.execute_workflow(
                    ConsistencyCheckWorkflow.run,
                    ConsistencyCheckInput(household_ids=[hid]),
                    id=f"controle-{uuid.uuid4().hex[:8]}",
                    task_queue=queue,
                )

        # Its pathway still runs: Temporal may yet deliver the update, which needs the entry.
        report = await scheduled_check()
        assert not report.repair
        assert [(s.household_id, s.purged) for s in report.stale_submissions] == [(hid, False)]
        assert tables_holding(engine, name) == ["submission"]
        await forget(dev_env.client, hid)  # the pathway stops: nothing can apply it any more
        report = await scheduled_check()
        assert [(s.household_id, s.purged) for s in report.stale_submissions] == [(hid, True)]
        assert tables_holding(engine, name) == []
    finally:
        await forget(dev_env.client, hid)


async def test_the_hourly_housekeeping_purges_them_too(http, dev_env, engine):
    name = unique_name()
    hid = await failed_first_contact(http, engine, name)
    try:
        housekeeping.sweep(engine, clock.now())  # the request may still come back
        assert tables_holding(engine, name) == ["submission"]
        housekeeping.sweep(engine, clock.now() + timedelta(hours=2))  # its update may, too
        assert tables_holding(engine, name) == ["submission"]
        assert housekeeping.sweep(engine, clock.now() + timedelta(hours=25)) >= 1
        assert tables_holding(engine, name) == []
    finally:
        await forget(dev_env.client, hid)


async def test_erasure_reaches_a_first_contact_that_never_got_its_household(
    http, dev_env, settings, app, engine
):
    name = unique_name()
    hid = await failed_first_contact(http, engine, name)
    try:
        other = login(settings, engine, ["coordinateur"], ["93"])
        r = await http.delete(f"/households/{hid}", headers=other)
        assert r.status_code == 404  # another département's: unknown to them
        assert tables_holding(engine, name) == ["submission"]

        assert (await http.delete(f"/households/{hid}")).status_code == 204
        assert tables_holding(engine, name) == []

        async def deleted() -> None:  # the pathway it had started is gone from Temporal too
            with pytest.raises(RPCError):
                await dev_env.client.get_workflow_handle(workflow_id(hid)).describe()

        await eventually(deleted, timeout=30)
    finally:
        await forget(dev_env.client, hid)
