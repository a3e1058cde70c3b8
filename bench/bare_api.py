"""The shaped side's HTTP front (bench/pathway.py starts it): the least an API in front of a
pathway can be — two routes, each one Temporal update on bench/bare.py's ShapedWorkflow. No
login, no database, no entry held, no audit, no redaction, no encryption: what is left is what
HTTP, FastAPI and the Temporal client cost on that machine.

    python -m uvicorn --factory bench.bare_api:app_factory …   (with BENCH_TEMPORAL_ADDRESS)
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from temporalio.client import Client

from bench.bare import ShapedWorkflow, first_update

ADDRESS = "BENCH_TEMPORAL_ADDRESS"
TASK_QUEUE = "BENCH_TASK_QUEUE"


def app_factory() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.client = await Client.connect(os.environ[ADDRESS])
        yield

    app = FastAPI(lifespan=lifespan)
    queue = os.environ[TASK_QUEUE]

    @app.post("/households", status_code=201)
    async def first_contact(request: Request) -> dict[str, str]:
        client: Client = request.app.state.client
        wid = f"bench-shaped-{uuid.uuid4()}"
        await first_update(client, ShapedWorkflow, wid, queue)
        return {"household_id": wid}

    @app.post("/households/{wid}/act")
    async def act(wid: str, request: Request) -> dict[str, int]:
        client: Client = request.app.state.client
        n = await client.get_workflow_handle(wid).execute_update(ShapedWorkflow.touch, 2)
        return {"n": n}

    return app
