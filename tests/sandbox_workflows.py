"""A workflow that breaks determinism on purpose, for tests/test_sandbox_runner.py (its own
module: the sandbox imports a workflow's module again, and this one imports nothing else)."""

import uuid

from temporalio import workflow


@workflow.defn(name="DrawsARandomId")
class DrawsARandomId:
    @workflow.run
    async def run(self) -> str:
        return str(uuid.uuid4())  # not deterministic (workflow.uuid4 is): the sandbox refuses it
