"""Real parts only: a real database (SQLite file, or PostgreSQL with SIAO_TEST_DATABASE_URL),
the real time-skipping test server, the real dev server, the real worker and API."""

import os
import threading

# Settings default to production: the tests (and the processes they start, which inherit this)
# run in development, said explicitly — before api.main builds its module-level app.
os.environ["SIAO_ENVIRONMENT"] = "development"

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.accounts import create_user
from api.main import create_app
from core.db import make_engine, migrate
from core.dev_server import DEV_SERVER_FLAGS
from core.ports import free_port
from core.security import create_token
from core.settings import Settings
from core.temporal import DATA_CONVERTER
from tests.pathway_helpers import Driver
from worker import build_worker
from workflows import search_attributes as sa

BIN = Path(sys.executable).parent
TASK_QUEUE = "siao-tests"


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("SIAO_TEST_DATABASE_URL")
    if url:
        engine = make_engine(url)
        with engine.begin() as conn:  # a clean schema for each run
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'siao-test.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def settings(db_url: str) -> Settings:
    return Settings(
        environment="development",
        database_url=db_url,
        temporal_task_queue=TASK_QUEUE,
        policies_dir=Path(__file__).parent.parent / "policies",
    )


@pytest.fixture(scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_time_skipping()
    yield env
    await env.shutdown()


async def start_time_skipping() -> WorkflowEnvironment:
    """A time-skipping server with our search attributes (its clock starts at today's)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=str(BIN / "temporal-test-server"),
    )
    types = {
        "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
        "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    }
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={k.name: types[k.indexed_value_type.name] for k in sa.ALL},
        )
    )
    return env


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=sa.ALL,
        dev_server_extra_args=DEV_SERVER_FLAGS,
    )
    yield env
    await env.shutdown()


@asynccontextmanager
async def running_worker(
    client: Client, settings: Settings, engine: Engine, task_queue: str = TASK_QUEUE
) -> AsyncIterator[Worker]:
    with ThreadPoolExecutor(settings.worker_activity_threads) as executor:
        worker = build_worker(
            client,
            settings.model_copy(update={"temporal_task_queue": task_queue}),
            engine,
            executor,
        )
        async with worker:
            yield worker


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
async def fresh_ts(
    settings: Settings, engine: Engine
) -> AsyncIterator[tuple[WorkflowEnvironment, Driver]]:
    """A pathway driver on a time-skipping server of its own, whose clock is today's: for a
    test whose dates must stay close to the real ones (what a caseworker may enter)."""
    env = await start_time_skipping()
    queue = f"siao-tests-{uuid.uuid4().hex[:8]}"
    driver = Driver(env.client, engine, queue)
    try:
        async with running_worker(env.client, settings, engine, queue):
            yield env, driver
            await driver.terminate_all()
    finally:
        await env.shutdown()


@pytest.fixture
async def ts_pathway(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> AsyncIterator[Driver]:
    """A worker on the time-skipping server and a driver; its pathways end with the test."""
    queue = f"siao-tests-{uuid.uuid4().hex[:8]}"
    driver = Driver(ts_env.client, engine, queue)
    async with running_worker(ts_env.client, settings, engine, queue):
        yield driver
        await driver.terminate_all()


@pytest.fixture
def queue_settings(settings):
    return settings.model_copy(update={"temporal_task_queue": f"siao-it-{uuid.uuid4().hex[:8]}"})


@pytest.fixture
async def http(dev_env, settings, queue_settings, engine) -> AsyncIterator[httpx.AsyncClient]:
    async def connect():
        return dev_env.client

    app = create_app(queue_settings, engine, connect)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://siao.test",
        headers=login(settings, engine, ["coordinateur"], ["75", "93"]),
        timeout=30,
    ) as client:
        yield client


@pytest.fixture
async def worked(dev_env, queue_settings, engine) -> AsyncIterator[None]:
    """A worker behind the `http` app: its pathways and vacancies run."""
    queue = queue_settings.temporal_task_queue
    async with running_worker(dev_env.client, queue_settings, engine, queue):
        yield


def as_account(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.AsyncClient:
    """The `http` app, as another account (close it: `async with`)."""
    return httpx.AsyncClient(
        transport=http._transport, base_url=http.base_url, headers=headers, timeout=30
    )


def login(
    settings: Settings,
    engine: Engine,
    roles: list[str],
    departements: list[str],
    structures: list[str] | None = None,
) -> dict[str, str]:
    """A real account with these roles, and the bearer header of its token."""
    user = create_user(
        engine, f"agent-{uuid.uuid4().hex[:10]}", None, roles, departements, structures
    )
    assert user.id is not None
    return {"Authorization": f"Bearer {create_token(settings, user.id, user.username)}"}


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def served(settings, engine) -> Iterator[str]:
    """The real app behind a real socket (a browser needs one), in a thread of its own."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


CHROMIUM = Path("/usr/bin/chromium")  # Debian's `chromium` (.ci/run installs it)
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def chromium_or_skip() -> None:
    """Debian's Chromium, which .ci/run installs: a failure in CI, a skip elsewhere."""
    if not CHROMIUM.exists():
        message = "/usr/bin/chromium missing: apt-get install chromium (as .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
