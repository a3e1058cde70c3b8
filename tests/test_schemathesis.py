"""Schemathesis over the OpenAPI spec: every operation, with generated valid and invalid
requests, as a coordinator of 75 and 93, against real workflows. All of schemathesis' stateless
checks: no 5xx at all (Temporal is up, so not even a 503), every answer in its declared schema
and content type, no status the spec does not document, invalid input refused, valid input not
refused for a reason the spec does not give, authentication enforced, `Allow` on a 405 right.

Schemathesis calls the app synchronously, from an event loop thread of its own; the Temporal
worker therefore runs in another thread with its own loop and client, and the app connects its
client in the loop it is called from. Path and query ids point at real households half of the
time (households at every stage, from reported to admitted), so answers beyond 404 are checked
too; measure ids point at the accompaniment measures of those households, or at none. DELETE
(erasure, for good) draws from households of its own, so it runs for real without emptying the
others. Generation is seeded and derandomized: the same requests on every run.

Under pytest 9.2, schemathesis (4.32) gives every operation the same node id: the operation is
in each failure's title, not in the short summary.
"""

import asyncio
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from temporalio.client import Client

import api.main
from api.main import create_app
from core.settings import Settings
from core.temporal import DATA_CONVERTER
from tests import factories
from tests.conftest import login, ok, running_worker

pytestmark = pytest.mark.devserver

QUEUE = "siao-schemathesis"
# Logging out and changing one's password revoke the caller's tokens.
REVOKING = {"/auth/logout", "/auth/password"}
UUID = re.compile(r"^[0-9a-f-]{36}$")
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 4,  # with `deterministic`, the same cases on every run
        "generation": {
            "mode": "all",  # valid requests and invalid ones
            "max-examples": 20,
            "deterministic": True,
            "no-shrink": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            # A schema-valid body may still break a rule no JSON Schema can say (a date in the
            # future, a name without nominative consent, a refusal without its motive): such a
            # body is refused with a 422 in French, whose shape the other checks still verify.
            # Logins are throttled after the generated wrong passwords: 429, with Retry-After.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
            },
            # A body over the size limit is refused before it is read: 413 (api/perimeter.py),
            # e.g. a text one character over its maximum, each character escaped (\uXXXX).
            "negative_data_rejection": {
                "expected-statuses": [
                    *("400", "401", "403", "404", "405", "406", "409", "413", "415", "422"),
                    *("428", "429", "5xx"),
                ]
            },
        },
    }
)


@dataclass
class Households:
    """Real households of 75, created before the run; generated paths point at them often."""

    live: list[str] = field(default_factory=list)  # at various stages, for every operation
    doomed: list[str] = field(default_factory=list)  # only for DELETE: erasure is for good
    persons: list[tuple[str, int]] = field(default_factory=list)  # (household, person) pairs
    measures: list[int] = field(default_factory=list)  # accompaniment measures of `live` ones


POOL = Households()  # filled by `backend` before the first case is drawn


class Backend:
    """A worker on the dev server, in its own thread and event loop, until `stop`."""

    def __init__(self, target: str, namespace: str, settings: Settings, engine: Engine) -> None:
        self.target, self.namespace = target, namespace
        self.settings, self.engine = settings, engine
        self.households = POOL
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="schemathesis-worker", daemon=True)

    async def connect(self) -> Client:
        return await Client.connect(
            self.target, namespace=self.namespace, data_converter=DATA_CONVERTER
        )

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(120):
            raise TimeoutError("le worker de test n'a pas démarré")
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _run(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        client = await self.connect()
        async with running_worker(client, self.settings, self.engine, QUEUE):
            await self._create_households(client)
            self._ready.set()
            await self._stop.wait()

    async def _create_households(self, client: Client) -> None:
        async def connect() -> Client:
            return client

        app = create_app(self.settings, self.engine, connect)
        headers = login(self.settings, self.engine, ["coordinateur"], ["75"])
        steps: list[tuple[str, dict[str, Any]]] = [
            ("flash-evaluation", factories.flash()),
            ("in-depth-evaluation", factories.in_depth()),
            ("commission-decision", factories.commission("hebergement", "chrs")),
            ("orientation", factories.orientation()),
            ("orientation/response", factories.accepted()),
            ("admission", factories.placement()),
        ]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers, timeout=30
        ) as http:
            # One household at each stage, from just reported to admitted.
            for depth in range(len(steps) + 1):
                hid = ok(await http.post("/households", json=factories.first_contact("75")), 201)[
                    "household_id"
                ]
                for path, body in steps[:depth]:
                    ok(await http.post(f"/households/{hid}/{path}", json=body))
                self.households.live.append(hid)
                members = ok(await http.get(f"/households/{hid}"))["members"]
                self.households.persons += [(hid, m["id"]) for m in members]
                if depth >= 2:  # evaluated: an accompaniment measure may be mobilised
                    self.households.measures.append(await _measure(http, hid))
            for _ in range(2):
                created = await http.post("/households", json=factories.first_contact("75"))
                self.households.doomed.append(ok(created, 201)["household_id"])


async def _measure(http: httpx.AsyncClient, hid: str) -> int:
    body = {"departement": "75", "kind": "avdl", "operator": "AVDL", "capacity": 10}
    service = ok(await http.post("/measure-services", json=body), 201)["id"]
    mobilised = await http.post(f"/households/{hid}/measures", json={"service_id": service})
    return int(ok(mobilised, 201)["measure"]["id"])


@pytest.fixture(scope="module")
def backend(dev_env, settings, engine) -> Iterator[Backend]:
    config = dev_env.client.service_client.config
    queue = settings.model_copy(update={"temporal_task_queue": QUEUE})
    running = Backend(config.target_host, dev_env.client.namespace, queue, engine)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def auth(settings, engine) -> dict[str, str]:
    return login(settings, engine, ["coordinateur"], ["75", "93"])


@pytest.fixture(scope="module")
def app(backend: Backend) -> Any:
    """The app under test, on the test database, reaching the workflows of `backend`."""
    return create_app(backend.settings, backend.engine, backend.connect)


# The spec is the same for every app: read from the module's own, so pytest can parametrize at
# collection (schemathesis' fixture-based loading does not run under this pytest). The requests
# go to the fixture's app (`app=` below), never to this one.
schema = schemathesis.openapi.from_asgi("/openapi.json", api.main.app_factory(), config=CONFIG)


def _known(context: Any) -> list[str]:
    return POOL.doomed if context.operation.method.upper() == "DELETE" else POOL.live


def _measure_ids(path: dict[str, Any]) -> Any:
    """A well-formed measure id points at a measure of the pool, or at none: a measure of another
    test module's household would wait on a pathway whose worker is gone (a 503 after 30 s)."""
    ids = st.sampled_from(POOL.measures).map(lambda mid: {**path, "measure_id": mid})
    return st.one_of(st.just({**path, "measure_id": 2**31 - 1}), ids)


@schema.hook
def flatmap_path_parameters(context: Any, path: dict[str, Any] | None) -> Any:
    measure = path.get("measure_id") if path else None
    if path and POOL.measures and isinstance(measure, int) and 1 <= measure < 2**31:
        return _measure_ids(path)
    # Half of the well-formed ids point at a real household (or a real person of one); a
    # malformed id is left as generated: the request must still be refused. (Explicit examples
    # are drawn at collection, before the pool is filled: they keep their ids.)
    if not (path and POOL.live and UUID.match(str(path.get("household_id", "")))):
        return st.just(path)
    if isinstance(path.get("person_id"), int):
        pairs = st.sampled_from(POOL.persons).map(
            lambda pair: {**path, "household_id": pair[0], "person_id": pair[1]}
        )
        return st.one_of(st.just(path), pairs)
    ids = st.sampled_from(_known(context)).map(lambda hid: {**path, "household_id": hid})
    return st.one_of(st.just(path), ids)


@schema.hook
def flatmap_query(context: Any, query: dict[str, Any] | None) -> Any:
    if not (query and POOL.live and UUID.match(str(query.get("household_id", "")))):
        return st.just(query)
    ids = st.sampled_from(POOL.live).map(lambda hid: {**query, "household_id": hid})
    return st.one_of(st.just(query), ids)


@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_spec(
    case: Any, app: Any, auth: dict[str, str], backend: Backend
) -> None:
    if case.path in REVOKING:  # would revoke the shared token: an account of its own
        auth = login(backend.settings, backend.engine, ["coordinateur"], ["75", "93"])
    measure = (case.path_parameters or {}).get("measure_id")
    if isinstance(measure, int) and 1 <= measure < 2**31 and measure not in POOL.measures:
        case.path_parameters["measure_id"] = 2**31 - 1  # explicit examples too (_measure_ids)
    case.call_and_validate(app=app, headers=auth)
