"""Structure managers (issue 8, item 15) reach a household only while an orientation to their
structure is pending or accepted, or while it is hosted there: after their refusal and a
re-orientation elsewhere, after the household moved on, after its exit, 404 like an unknown one.
A real pathway, on the dev server and a worker."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from api.main import create_app
from tests import factories
from tests.conftest import login, ok, running_worker

pytestmark = pytest.mark.devserver

AMANDIERS, PHARE, TILLEULS = "CHRS Les Amandiers", "CHRS Le Phare", "Pension de famille Tilleuls"


@pytest.fixture
async def app(dev_env, queue_settings, engine) -> AsyncIterator[object]:
    async def connect():
        return dev_env.client

    queue = queue_settings.temporal_task_queue
    async with running_worker(dev_env.client, queue_settings, engine, queue):
        yield create_app(queue_settings, engine, connect)


@asynccontextmanager
async def as_(app, headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers=headers, timeout=30
    ) as client:
        yield client


async def test_a_manager_loses_the_household_after_refusing_it(app, settings, engine) -> None:
    def manager(structure: str) -> dict[str, str]:
        return login(settings, engine, ["gestionnaire"], ["75"], [structure])

    async with (
        as_(app, login(settings, engine, ["coordinateur"], ["75"])) as siao,
        as_(app, manager(AMANDIERS)) as amandiers,
        as_(app, manager(PHARE)) as phare,
        as_(app, manager(TILLEULS)) as tilleuls,
    ):

        async def reach(client: httpx.AsyncClient) -> bool:
            r = await client.get(f"/households/{hid}")
            assert r.status_code in (200, 404), r.text
            if r.status_code == 404:
                assert r.json() == {"detail": "Ménage inconnu."}
            return r.status_code == 200

        async def reaching() -> list[bool]:
            return [await reach(c) for c in (amandiers, phare, tilleuls)]

        created = ok(await siao.post("/households", json=factories.first_contact("75")), 201)
        hid = created["household_id"]
        base = f"/households/{hid}"
        for path, body in [
            ("flash-evaluation", factories.flash()),
            ("in-depth-evaluation", factories.in_depth()),
            ("commission-decision", factories.commission("hebergement", "chrs")),
            ("orientation", {**factories.orientation(), "structure": AMANDIERS}),
        ]:
            ok(await siao.post(f"{base}/{path}", json=body))
        assert await reaching() == [True, False, False]  # oriented to Les Amandiers, pending

        refusal = {**factories.refused(), "refused_by": "structure"}
        refusal["refusal_reason"] = "place_indisponible"
        ok(await amandiers.post(f"{base}/orientation/response", json=refusal))
        assert await reaching() == [False, False, False]  # refused: back to the commission

        orientation = {**factories.orientation(), "structure": PHARE}
        ok(await siao.post(f"{base}/orientation", json=orientation))
        assert await reaching() == [False, True, False]  # re-oriented to Le Phare
        closing = await amandiers.post(f"{base}/exit", json=factories.exit_())
        assert closing.status_code == 404  # cannot close a pathway it no longer reaches

        ok(await phare.post(f"{base}/orientation/response", json=factories.accepted()))
        assert await reaching() == [False, True, False]  # accepted
        admission = {**factories.placement(), "structure": PHARE}
        ok(await phare.post(f"{base}/admission", json=admission))
        assert await reaching() == [False, True, False]  # hosted at Le Phare

        ok(await siao.post(f"{base}/commission-decision", json=factories.commission()))
        orientation = {**factories.orientation("pension_de_famille"), "structure": TILLEULS}
        ok(await siao.post(f"{base}/orientation", json=orientation))
        assert await reaching() == [False, True, True]  # still hosted there; oriented here

        ok(await tilleuls.post(f"{base}/orientation/response", json=factories.accepted()))
        housing = {**factories.placement("pension_de_famille"), "structure": TILLEULS}
        ok(await siao.post(f"{base}/housing", json=housing))
        assert await reaching() == [False, False, True]  # moved on: housed at the Tilleuls

        ok(await tilleuls.post(f"{base}/exit", json=factories.exit_()))
        assert await reaching() == [False, False, False]  # the pathway is closed
