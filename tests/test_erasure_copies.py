"""Erasure leaves no copy: the raw database files (SQLite's database and write-ahead log,
PostgreSQL's files for the database) no longer hold the erased name, an open reader delays the
scrub without blocking other writers, and the automatic purge at the end of the follow-up
window deletes the pathway's Temporal runs like DELETE /households/{id}."""

import asyncio
import dataclasses
import sqlite3
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment

from activities import audit, erasure
from activities.pathway import PathwayActivities
from api.main import create_app
from models.pathway import PurgeInput
from models.records import Household
from tests import factories
from tests.conftest import login, ok, running_worker
from tests.leaks import files_holding, named_contact, tables_holding, unique_name
from tests.pathway_helpers import eventually
from workflows.pathway import workflow_id


@pytest.fixture
async def http(dev_env, queue_settings, settings, engine) -> AsyncIterator[httpx.AsyncClient]:
    async def connect():
        return dev_env.client

    app = create_app(queue_settings, engine, connect)
    headers = login(settings, engine, ["coordinateur"], ["75"])
    queue = queue_settings.temporal_task_queue
    async with (
        running_worker(dev_env.client, queue_settings, engine, queue),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers, timeout=30
        ) as client,
    ):
        yield client


async def named_household(http: httpx.AsyncClient, name: str) -> str:
    """A household with a named person, an evaluation, and a rectification whose reason (free
    text in the audit trail) names her."""
    hid = ok(await http.post("/households", json=named_contact(name)), 201)["household_id"]
    ok(await http.post(f"/households/{hid}/flash-evaluation", json=factories.flash()))
    person = ok(await http.get(f"/households/{hid}"))["members"][0]
    body = {"birth_year": 1981, "reason": f"Mme Josette {name} a donné la bonne année"}
    ok(await http.patch(f"/households/{hid}/persons/{person['id']}", json=body))
    return hid


async def test_sqlite_erasure_waits_for_a_reader_without_blocking_writers(http, engine: Engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write-ahead log (PostgreSQL: the next test)")
    name = unique_name()
    hid = await named_household(http, name)
    assert files_holding(engine, name)  # the scan does see it before
    reader = sqlite3.connect(str(engine.url.database), isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM person").fetchall()  # a snapshot holding the name
    started = time.monotonic()
    erasing = asyncio.create_task(asyncio.to_thread(erasure.erase_household, engine, hid))
    try:
        await asyncio.sleep(1)
        assert not erasing.done()  # its checkpoint waits for the reader…
        t = time.monotonic()
        await asyncio.to_thread(
            audit.record, engine, actor="agent-1", action="lecture", record="x", purpose="y"
        )
        assert time.monotonic() - t < 2  # …without holding the write lock meanwhile
    finally:
        reader.rollback()
        reader.close()
    assert await erasing is True
    assert time.monotonic() - started < 20
    assert tables_holding(engine, name) == []
    assert files_holding(engine, name) == []  # not in the database, not in its log


async def test_postgresql_erasure_leaves_no_copy_in_the_table_files(http, engine: Engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's table files (SQLite: the previous test)")
    name = unique_name()
    hid = await named_household(http, name)
    assert files_holding(engine, name)  # the scan does see it before (after a CHECKPOINT)
    assert (await http.delete(f"/households/{hid}")).status_code == 204
    assert tables_holding(engine, name) == []
    assert files_holding(engine, name) == []


async def test_the_automatic_purge_deletes_the_pathways_temporal_runs(
    http, dev_env, engine: Engine
):
    name = unique_name()
    hid = await named_household(http, name)
    wid = workflow_id(hid)
    run_id = (await dev_env.client.get_workflow_handle(wid).describe()).run_id
    # The activity as the pathway runs it at the end of the follow-up window.
    env = ActivityEnvironment(client=dev_env.client)
    env.info = dataclasses.replace(env.info, workflow_id=wid, workflow_run_id=run_id)
    acts = PathwayActivities(engine=engine, policies=None)  # type: ignore[arg-type]
    await env.run(acts.purge_personal_data, PurgeInput(household_id=hid))

    with Session(engine) as session:
        assert session.get(Household, hid) is None
    assert tables_holding(engine, name) == []
    assert files_holding(engine, name) == []

    async def deleted() -> None:  # history and search attributes gone, like DELETE
        assert [w async for w in dev_env.client.list_workflows(f"WorkflowId='{wid}'")] == []
        with pytest.raises(RPCError):
            await dev_env.client.get_workflow_handle(wid).describe()

    await eventually(deleted, timeout=30)
