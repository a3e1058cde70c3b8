"""A workflow that breaks determinism on purpose, for tests/test_sandbox_runner.py (its own
module: the sandbox imports a workflow's module again, and this one imports nothing else)."""

from datetime import datetime

from temporalio import workflow


@workflow.defn(name="ReadsTheMachineClock")
class ReadsTheMachineClock:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()  # not deterministic: the sandbox must refuse it
