"""The audit trail of an erased household: its rows keep their département (readable by that
département's auditors only, as before the erasure) and lose their free text, the chain intact."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from activities import audit_check
from api.main import create_app
from tests import factories
from tests.conftest import login, ok, running_worker
from tests.leaks import tables_holding, unique_name


@pytest.fixture
async def app(dev_env, queue_settings, engine) -> AsyncIterator[FastAPI]:
    async def connect():
        return dev_env.client

    queue = queue_settings.temporal_task_queue
    async with running_worker(dev_env.client, queue_settings, engine, queue):
        yield create_app(queue_settings, engine, connect)


def client(app: FastAPI, headers: dict[str, str]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers, timeout=30)


async def test_audit_of_an_erased_household_stays_in_its_departement_without_free_text(
    app, settings, engine
):
    name = unique_name()
    reason = f"Mme Josette {name}, née 1980, demande la correction"
    paris = login(settings, engine, ["coordinateur"], ["75"])
    seine_saint_denis = login(settings, engine, ["coordinateur"], ["93"])
    async with client(app, paris) as http75, client(app, seine_saint_denis) as http93:
        created = ok(await http75.post("/households", json=factories.first_contact("75")), 201)
        hid = created["household_id"]
        person = ok(await http75.get(f"/households/{hid}"))["members"][0]
        body = {"nickname": "Jo", "reason": reason}
        ok(await http75.patch(f"/households/{hid}/persons/{person['id']}", json=body))
        before = ok(await http75.get("/audit", params={"household_id": hid}))
        assert ok(await http93.get("/audit", params={"household_id": hid})) == []

        assert (await http75.delete(f"/households/{hid}")).status_code == 204

        # Another département's auditor: nothing, exactly as for an unknown household.
        assert ok(await http93.get("/audit", params={"household_id": hid})) == []
        # The household's own département: every row, the erasure last, the text gone.
        after = ok(await http75.get("/audit", params={"household_id": hid}))
        assert [e.get("note") for e in before if e["action"] == "rectification"] == [reason]
        assert {e["seq"] for e in before} < {e["seq"] for e in after}  # nothing lost
        assert [e["action"] for e in after][-1] == "effacement"
        assert all(e["note"] is None for e in after)
        assert name not in repr(after)
        assert ok(await http75.get("/audit/verify")) == {"intact": True, "premiere_rupture": None}
    assert tables_holding(engine, name) == []
    assert audit_check.verify(engine) is None
