"""The worker's sandbox (core/sandbox.py) reads each payload's serialization context without an
`exec`, and still runs every workflow inside the sandbox with its restrictions."""

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import CodeType
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import _runner
from temporalio.worker.workflow_sandbox._importer import Importer
from temporalio.worker.workflow_sandbox._restrictions import RestrictionContext

from core.sandbox import (
    DirectContextSandboxedRunner,
    _compiled,
    _DirectContextInstance,
    compile_workflow_code,
    module_files,
    restricted_uses,
    sandboxed_runner,
    sdk_shape_known,
)
from models.pathway import Action, Stage
from models.schemas import FlashEvaluationCreate
from tests import factories
from tests.conftest import new_id
from tests.pathway_helpers import body
from tests.sandbox_workflows import DrawsARandomId
from worker import OUR_PASSTHROUGH, RESTRICTIONS, WORKFLOWS_DIR

ROOT = Path(__file__).resolve().parents[1]
# Reached by a passed-through module, and safe: never from workflow code.
KNOWN = {
    "models/records.py": {"random.random"},  # a household's tie-breaker, drawn by its writer
}


def test_the_sdk_is_the_one_the_direct_lookups_were_written_for():
    # Fails on a temporalio upgrade that moved the private parts: read core/sandbox.py again.
    assert sdk_shape_known()
    assert isinstance(sandboxed_runner(RESTRICTIONS), DirectContextSandboxedRunner)


async def test_a_pathway_runs_sandboxed_with_no_exec_for_its_payloads(
    ts_env, ts_pathway, monkeypatch
):
    snippets: list[str] = []
    contexts: list[Any] = []
    run_code, lookup = _runner._Instance._run_code, _DirectContextInstance.get_serialization_context

    def spy_run_code(self: Any, code: CodeType, **extra: Any) -> None:
        assert isinstance(code, CodeType)  # compiled once, not at each activation
        snippets.append(" ".join(code.co_names))
        run_code(self, code, **extra)  # type: ignore[arg-type]  # exec takes it as the text

    def spy_lookup(self: Any, command_info: Any) -> Any:
        contexts.append(context := lookup(self, command_info))
        return context

    monkeypatch.setattr(_runner._Instance, "_run_code", spy_run_code)
    monkeypatch.setattr(_DirectContextInstance, "get_serialization_context", spy_lookup)
    hid = new_id()
    now = await ts_env.get_current_time()
    await ts_pathway.report(hid, now)
    flash = body(FlashEvaluationCreate, factories.flash())
    state = await ts_pathway.act(hid, Action.FLASH_EVALUATION, flash, now)
    assert state.stage is Stage.FLASH_EVALUATED
    assert any("activate" in code for code in snippets)  # the workflow ran in the sandbox
    assert not any("get_serialization_context" in code for code in snippets)
    # The answers are the SDK's own: the workflow's, and each local activity's own context.
    assert any(isinstance(c, WorkflowSerializationContext) for c in contexts)
    local = [c for c in contexts if isinstance(c, ActivitySerializationContext)]
    assert {c.activity_type for c in local} >= {"record_action"}
    assert all(c.is_local and c.workflow_id == f"parcours-{hid}" for c in local)
    assert _compiled.cache_info().hits >= len(snippets) - _compiled.cache_info().currsize


async def test_the_sandbox_still_refuses_a_non_deterministic_call(ts_env: WorkflowEnvironment):
    queue = f"sandbox-{new_id()}"
    async with Worker(
        ts_env.client,
        task_queue=queue,
        workflows=[DrawsARandomId],
        workflow_runner=sandboxed_runner(RESTRICTIONS),
        workflow_failure_exception_types=[Exception],  # fail the run instead of retrying
    ):
        with pytest.raises(WorkflowFailureError) as failed:
            await ts_env.client.execute_workflow(
                DrawsARandomId.run, id=f"sandbox-{new_id()}", task_queue=queue
            )
    assert "RestrictedWorkflowAccessError" in str(failed.value.cause)


def test_the_worker_writes_fresh_bytecode_for_the_workflow_modules(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # as PYTHONDONTWRITEBYTECODE does
    code = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS_DIR, code, ignore=shutil.ignore_patterns("__pycache__"))
    assert compile_workflow_code(code)
    source = code / "pathway.py"
    cached = Path(importlib.util.cache_from_source(str(source)))
    assert cached.exists()
    source.write_text(source.read_text() + "\n# changed\n")  # a deployment edits the module
    os.utime(source, (cached.stat().st_mtime + 10,) * 2)
    assert compile_workflow_code(code)
    recorded_mtime = int.from_bytes(cached.read_bytes()[8:12], "little")  # the pyc's header
    assert recorded_mtime == int(source.stat().st_mtime)  # fresh again


def test_a_deployment_where_bytecode_cannot_be_written_is_told_and_the_worker_goes_on(tmp_path):
    code = tmp_path / "workflows"
    code.mkdir()
    (code / "pathway.py").write_text("x = 1\n")
    (code / "__pycache__").write_text("")  # not a directory: nothing can be written there
    assert not compile_workflow_code(code)


def test_the_pathway_module_is_loaded_once_not_in_each_sandbox():
    importer = Importer(
        RESTRICTIONS, RestrictionContext(), workflow_module_name="workflows.pathway"
    )
    assert importer.module_configured_passthrough("workflows.pathway")
    assert not importer.module_configured_passthrough("workflows.vacancy")  # still reloaded


def test_no_passed_through_module_reaches_what_the_sandbox_refuses():
    files = {str(f.relative_to(ROOT)): f for f in module_files(OUR_PASSTHROUGH)}
    assert {"workflows/pathway.py", "models/records.py", "rules/planning.py"} <= set(files)
    found = {name: set(restricted_uses(f.read_text(), RESTRICTIONS)) for name, f in files.items()}
    assert {
        n: uses - KNOWN.get(n, set()) for n, uses in found.items() if uses - KNOWN.get(n, set())
    } == {}
    assert all(found[n] >= uses for n, uses in KNOWN.items())  # no stale exemption


def test_the_source_check_refuses_what_the_sandbox_refuses():
    drawn = (ROOT / "tests" / "sandbox_workflows.py").read_text()
    assert restricted_uses(drawn, RESTRICTIONS) == ["uuid.uuid4"]
    wall_clock = "datetime.now"  # spelt apart: tests/test_clock.py looks for the call itself
    source = (
        "import os\nimport random as chance\nfrom datetime import datetime, timedelta\n"
        f"from uuid import uuid4\nx = {wall_clock}(), timedelta(1), os.environ['A'], "
        "chance.random(), uuid4()\n"
    )
    assert restricted_uses(source, RESTRICTIONS) == [
        "datetime.datetime.now",
        "os.environ",
        "random.random",
        "uuid.uuid4",
    ]
