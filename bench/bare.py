"""The bare sides of bench/pathway.py: the least a pathway can be, and its worker process.

    .venv/bin/python -m bench.bare ADDRESS TASK_QUEUE    (bench/pathway.py starts it)

Plain Temporal: the SDK's default data converter and sandbox, none of the project's code. Two
workflows: the bare one answers each update at once (the issue's comparison); the shaped one
runs one local activity that does nothing before it answers, as a pathway's action runs one
(`record_action`) — the SDK's own cost of the project's shape, with none of the project's work.
"""

import asyncio
import contextlib
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING

from temporalio import activity, workflow

if TYPE_CHECKING:
    from temporalio.client import Client

UPDATES = 2  # as a pathway's first contact (update-with-start) and flash evaluation (update)


@workflow.defn(name="BenchBareWorkflow")
class BareWorkflow:
    """Waits for two updates, then ends."""

    def __init__(self) -> None:
        self.updates = 0

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.updates >= UPDATES)

    @workflow.update
    def touch(self, n: int) -> int:
        self.updates += 1
        return n


@activity.defn(name="BenchShapedRecord")
def record(n: int) -> int:
    """Synchronous, in the worker's threads, as `record_action` is; does nothing."""
    return n


@workflow.defn(name="BenchShapedWorkflow")
class ShapedWorkflow(BareWorkflow):
    """The bare workflow, each update answered after one local activity."""

    @workflow.run
    async def run(self) -> None:  # the SDK wants each workflow's run on its own class
        await super().run()

    @workflow.update
    async def touch(self, n: int) -> int:  # type: ignore[override]
        n = await workflow.execute_local_activity(
            record, n, start_to_close_timeout=timedelta(seconds=30)
        )
        self.updates += 1
        return n


async def first_update(client: "Client", wf: type[BareWorkflow], wid: str, queue: str) -> int:
    """Start `wf` as `wid` with its first update (update-with-start), as a first contact does."""
    from temporalio.client import WithStartWorkflowOperation
    from temporalio.common import WorkflowIDConflictPolicy

    start = WithStartWorkflowOperation(
        wf.run, id=wid, task_queue=queue, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING
    )
    n: int = await client.execute_update_with_start_workflow(
        wf.touch, 1, start_workflow_operation=start
    )
    return n


async def serve(address: str, task_queue: str) -> None:
    # Imported here: the workflow sandbox re-imports this module for each workflow.
    from temporalio.client import Client
    from temporalio.worker import Worker

    client = await Client.connect(address)
    with ThreadPoolExecutor(16) as threads:  # as many as the project's worker
        await Worker(
            client,
            task_queue=task_queue,
            workflows=[BareWorkflow, ShapedWorkflow],
            activities=[record],
            activity_executor=threads,
        ).run()


if __name__ == "__main__":
    # The workflow from `bench.bare`, not from `__main__`: the sandbox re-imports it by name.
    from bench.bare import serve as serve_named

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_named(sys.argv[1], sys.argv[2]))
