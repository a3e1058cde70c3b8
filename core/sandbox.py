"""The workflow sandbox, minus two costs: the serialization context read without an `exec`,
and the snippets the sandbox runs at each activation compiled once instead of each time.

Our codec binds every payload to its workflow, so for each payload sequence of an activation
the SDK (temporalio 1.35) asks the workflow instance which context applies. The sandboxed
runner answers by compiling and running a snippet inside the sandbox (`_Instance._run_code`:
sys.modules and builtins swapped in, then back): 39 lookups per operation of the bench, 88 µs
each that way against 6 µs directly. The answer is a lookup of the instance's pending commands
that imports nothing and calls nothing restricted, so it is read from the sandboxed instance
directly here. Workflow code still runs only inside the sandbox, with its restrictions.

This leans on the SDK's private `_Instance`; `tests/test_sandbox_runner.py` fails if a new
SDK version changes it, and `sandboxed_runner` then falls back to the SDK's own runner (slower,
same result) rather than guess.
"""

import ast
import compileall
import functools
import importlib.util
import inspect
import pkgutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import CodeType
from typing import Any

import structlog
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import (
    SandboxedWorkflowRunner,
    SandboxRestrictions,
    _runner,
)
from temporalio.worker.workflow_sandbox._restrictions import RestrictionContext

log = structlog.get_logger()
IN_SANDBOX = "__temporal_in_sandbox"  # where the SDK keeps the sandboxed instance


class _DirectContextInstance(_runner._Instance):
    def _in_sandbox(self) -> Any:
        return self.globals_and_locals[IN_SANDBOX]

    def get_serialization_context(self, command_info: Any) -> Any:
        return self._in_sandbox().get_serialization_context(command_info)

    def get_external_store_context(self, command_info: Any) -> Any:
        return self._in_sandbox().get_external_store_context(command_info)

    def _run_code(self, code: Any, **extra_globals: Any) -> None:
        # The SDK `exec`s the same few snippets, as text, at every activation: compiled once.
        super()._run_code(_compiled(code), **extra_globals)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=64)  # a handful per workflow class
def _compiled(code: str) -> CodeType:
    return compile(code, "<string>", "exec")


def sdk_shape_known() -> bool:
    """The private parts this relies on are where temporalio 1.35 has them."""
    instance = getattr(_runner, "_Instance", None)
    if instance is None or not callable(getattr(instance, "_create_instance", None)):
        return False
    try:
        runs = inspect.getsource(instance._run_code)
        return IN_SANDBOX in inspect.getsource(instance._create_instance) and (
            "exec(code, " in runs  # a code object runs as its text did
        )
    except (OSError, TypeError):  # no source to read: do not guess
        return False


class DirectContextSandboxedRunner(SandboxedWorkflowRunner):
    """SandboxedWorkflowRunner whose instances answer context lookups without an `exec`."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _DirectContextInstance(det, self.runner_class, self.restrictions)


def sandboxed_runner(restrictions: SandboxRestrictions) -> SandboxedWorkflowRunner:
    """The sandbox every workflow runs in: the direct lookups when the SDK is the one known."""
    if sdk_shape_known():
        return DirectContextSandboxedRunner(restrictions=restrictions)
    log.warning("sandbox_context_lookup_by_exec")  # a new SDK: slower, same behaviour
    return SandboxedWorkflowRunner(restrictions=restrictions)


def compile_workflow_code(workflows_dir: Path) -> bool:
    """The sandbox imports a workflow's module again for each run it loads (all but the
    pathway's, passed through: worker.OUR_PASSTHROUGH): from bytecode when it is fresh, else
    compiled from source every time (seen: 5 % of the worker's samples in the compiler alone
    where PYTHONDONTWRITEBYTECODE is set, as in many container images). Written once at the
    worker's start; False (and a warning) where the directory is read-only:
    then build the image with `python -m compileall workflows`."""
    if compileall.compile_dir(str(workflows_dir), quiet=2):
        return True
    log.warning("workflow_bytecode_not_written", directory=str(workflows_dir))
    return False


def module_files(names: Iterable[str]) -> Iterator[Path]:
    """The source files of these modules, and of every module of a package among them."""
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        yield Path(spec.origin)
        for sub in pkgutil.walk_packages(spec.submodule_search_locations or [], f"{name}."):
            found = importlib.util.find_spec(sub.name)
            if found is not None and found.origin is not None:
                yield Path(found.origin)


def restricted_uses(source: str, restrictions: SandboxRestrictions) -> list[str]:
    """What a passed-through module's code reaches that the sandbox refuses in a workflow.

    A module passed through is loaded once, outside the sandbox: its imported names are the
    real ones, so the sandbox no longer refuses, say, `uuid.uuid4()` written there. This reads
    the source instead, with the sandbox's own lists: every name imported, and every dotted
    name reached from one (`datetime.now`, `os.environ`), checked as the sandbox would check it
    while a workflow runs. One level deep: a helper module called from there is checked when it
    is passed through itself."""
    context = RestrictionContext()
    context.is_runtime = True  # the restrictions that apply while a workflow runs
    tree = ast.parse(source)
    origin: dict[str, tuple[str, ...]] = {}  # local name -> dotted path it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".") if a.asname else a.name.split(".")[:1]
                origin[a.asname or parts[0]] = tuple(parts)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                origin[a.asname or a.name] = (*node.module.split("."), a.name)
    found = []
    for node in ast.walk(tree):
        chain: list[str] = []
        while isinstance(node, ast.Attribute):
            chain.insert(0, node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in origin:
            continue
        path = (*origin[node.id], *chain)
        modules = [path[:i] for i in range(1, len(path) + 1)]
        if any(restrictions.invalid_modules.match_access(context, *m) for m in modules) or (
            restrictions.invalid_module_members.match_access(context, *path, include_use=True)
        ):
            found.append(".".join(path))
    return sorted(set(found))
