"""Driving a pathway the way the API does (same `api.actions.send`), without HTTP."""

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from google.protobuf.message import Message
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError

from api import actions, facts
from api.deps import ActionContext
from core.codec import EncryptionCodec
from core.temporal import DATA_CONVERTER
from models.pathway import DEFAULT_WAKEUP_SPREAD_SECONDS, Action
from models.schemas import FirstContactCreate
from models.views import PathwayView
from tests import factories
from workflows.pathway import workflow_id

T = TypeVar("T")
# A deadline's work is done at its pathway's offset, at most this long after it falls due
# (PathwayInput.wakeup_spread_seconds): a test that sleeps to a deadline sleeps this much more.
AFTER_WAKEUP = timedelta(seconds=DEFAULT_WAKEUP_SPREAD_SECONDS + 60)


class Driver:
    def __init__(self, client: Client, engine: Engine, task_queue: str) -> None:
        self.client, self.engine, self.task_queue = client, engine, task_queue
        self.started: list[str] = []
        # One first-contact body per household: a retry sends the same body (a reused
        # Idempotency-Key with another body is refused).
        self.first_contacts: dict[tuple[str, str], FirstContactCreate] = {}
        self.wakeup_spread_seconds = DEFAULT_WAKEUP_SPREAD_SECONDS  # as the API's default

    async def terminate_all(self) -> None:
        """Leave no pathway running into the next test (timers would fire there)."""
        for household_id in self.started:
            with contextlib.suppress(RPCError):  # already closed
                await self.client.get_workflow_handle(workflow_id(household_id)).terminate(
                    reason="fin du test"
                )

    def _ctx(self, key: str | None) -> ActionContext:
        return ActionContext(
            self.client,
            self.engine,
            self.task_queue,
            "agent-test",
            key,
            wakeup_spread_seconds=self.wakeup_spread_seconds,
        )

    async def report(
        self,
        household_id: str,
        occurred_at: datetime,
        departement: str = "75",
        key: str | None = None,
    ) -> PathwayView:
        self.started.append(household_id)
        body = self.first_contacts.setdefault(
            (household_id, departement),
            FirstContactCreate.model_validate(factories.first_contact(departement)),
        )
        return await actions.send(
            self._ctx(key or household_id),
            household_id=household_id,
            departement=departement,
            action=Action.REPORT,
            body=body,
            occurred_at=occurred_at,
            referent_structure=body.referent_structure,
            facts=facts.of_first_contact(body),
        )

    async def act(
        self,
        household_id: str,
        action: Action,
        body: BaseModel,
        occurred_at: datetime,
        key: str | None = None,
    ) -> PathwayView:
        return await actions.send(
            self._ctx(key),
            household_id=household_id,
            action=action,
            body=body,
            occurred_at=occurred_at,
            facts=facts.of_action(action, body),
        )

    async def state(self, household_id: str) -> PathwayView:
        return await actions.read_state(self.client, household_id)


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 10.0) -> T:
    """Await `check` until it stops raising AssertionError (the worker runs concurrently)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)


def body(schema: Any, data: dict[str, Any]) -> BaseModel:
    return schema.model_validate(data)


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload in a proto message (search attributes included)."""
    if isinstance(message, Payload):
        yield message
        return
    for _, value in message.ListFields():
        if isinstance(value, Mapping):
            items = list(value.values())
        elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
            items = list(value)
        else:
            items = [value]
        for item in items:
            if isinstance(item, Message):
                yield from payloads_in(item)


def history_text(history: WorkflowHistory) -> str:
    """Every payload of a history, decrypted and decoded: what Temporal stores about a household."""
    codec = DATA_CONVERTER.payload_codec
    assert isinstance(codec, EncryptionCodec)
    return "\n".join(
        codec.decrypt(p).data.decode("utf-8", "replace")
        for event in history.events
        for p in payloads_in(event)
    )


def worker_env(
    target_host: str, task_queue: str, db_url: str, accepted_dir: Path
) -> dict[str, str]:
    """The environment a `worker.py` started by a test runs with: none of the caller's SIAO_*
    settings, this dev server, queue and database, JSON logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAO_")}
    return env | {
        "SIAO_ENVIRONMENT": "development",
        "SIAO_TEMPORAL_ADDRESS": target_host,
        "SIAO_TEMPORAL_TASK_QUEUE": task_queue,
        "SIAO_DATABASE_URL": db_url,
        "SIAO_POLICIES_ACCEPTED_DIR": str(accepted_dir),
        "SIAO_LOG_FORMAT": "json",
    }
