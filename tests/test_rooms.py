"""The rooms of the house (../shared/ARCHITECTURE.md, « Rooms ») import only the rooms below
them: read from every module's imports, so that a shortcut across rooms fails here, not in a
review. The exceptions the README names (« Architecture in brief ») are listed with their reason.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = ("models", "rules", "activities", "workflows", "api", "core", "cli", "worker", "bench")

# What each room may import of ours: a package, or one module of it.
MAY_IMPORT: dict[str, set[str]] = {
    "models": {"core.clock"},  # the one clock (datetime.now is forbidden elsewhere)
    "rules": {"models"},
    "activities": {"models", "rules", "core"},
    # rules.planning and rules.vocabulary: deterministic, passed through the sandbox, shared with
    # the activity that plans an action (README, « What each cut bought »)
    "workflows": {"models", "activities", "rules.planning", "rules.vocabulary"},
    # the API performs its own side effects through the activities' modules (the held entry and
    # its audit row in one transaction) and reads policies (redaction, dry runs)
    "api": {"models", "workflows", "activities", "rules", "core"},
    "core": {"models"},
}
# One module's crossing, with its reason.
EXCEPTIONS = {
    # an offer's eligibility requirement is refused (422) unless it names a fact of the rules'
    # vocabulary: read at validation time, lazily (rules import models, not back)
    ("models/offer.py", "rules.vocabulary.FACTS"),
}
# Rooms that know nothing of Temporal or FastAPI.
NO_FRAMEWORK = {"models", "rules"}
FRAMEWORKS = {"temporalio", "fastapi", "starlette"}
# The one module of the application that imports durable_rules (bench/rules.py measures it bare).
ENGINE_WRAPPER = "rules/engine.py"
APPLICATION = [*(ROOT / r for r in MAY_IMPORT), ROOT / "cli", ROOT / "worker.py"]


def imports(source: str) -> list[str]:
    """Every absolute module name a source imports, at any depth (function bodies too)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from core import clock` imports core.clock: the name may be a module
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def crossings(room: str, source: str, path: str = "") -> list[str]:
    """The imports of `source`, a module of `room`, that its room may not make."""
    allowed = MAY_IMPORT[room]
    wrong = []
    for name in imports(source):
        if (path, name) in EXCEPTIONS:
            continue
        top = name.split(".")[0]
        framework = top in FRAMEWORKS and room in NO_FRAMEWORK
        ours = top in OURS and top != room
        if framework or (ours and not any(name == a or name.startswith(f"{a}.") for a in allowed)):
            wrong.append(name)
    return wrong


def test_the_checker_sees_a_crossing() -> None:
    assert crossings("models", "from workflows.pathway import PathwayWorkflow") == [
        "workflows.pathway.PathwayWorkflow"
    ]
    inside = "def f():\n    from api.actions import X\n"
    assert crossings("activities", inside) == ["api.actions.X"]
    assert crossings("rules", "import temporalio.workflow") == ["temporalio.workflow"]
    assert crossings("workflows", "from rules import engine") == ["rules.engine"]
    assert crossings("workflows", "from rules.planning import arm") == []
    assert crossings("models", "from core.clock import now") == []
    assert crossings("models", "from core.settings import Settings") == ["core.settings.Settings"]


def test_every_room_imports_only_the_rooms_below_it() -> None:
    wrong = {}
    for room in MAY_IMPORT:
        for path in sorted((ROOT / room).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            found = crossings(room, path.read_text(encoding="utf-8"), name)
            if found:
                wrong[name] = found
    assert not wrong, f"imports across rooms: {wrong}"


def test_durable_rules_is_imported_by_one_module_only() -> None:
    users = sorted(
        str(path.relative_to(ROOT))
        for place in APPLICATION
        for path in ([place] if place.is_file() else sorted(place.rglob("*.py")))
        if any(n.split(".")[0] == "durable" for n in imports(path.read_text(encoding="utf-8")))
    )
    assert users == [ENGINE_WRAPPER]


def test_an_exception_is_one_module_s_alone() -> None:
    lazy = "def f():\n    from rules.vocabulary import FACTS\n"
    assert crossings("models", lazy, "models/offer.py") == []
    assert crossings("models", lazy, "models/records.py") == ["rules.vocabulary.FACTS"]
