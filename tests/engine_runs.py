"""Runs of the real rules engine that could crash the process, for tests/test_engine_crashes.py
to start in subprocesses: a native crash then fails that test instead of killing pytest.

    python -m tests.engine_runs departements | empty-rules DIR | swaps DIR | properties N
"""

import itertools
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.departements import DEPARTEMENTS
from rules.book import PolicyBook, complete_facts
from rules.compiler import definition, engine_fact, ruleset_name
from rules.conditions import All, AnyOf, Condition, Leaf, Not
from rules.document import Rule
from rules.engine import rules_engine
from rules.vocabulary import FACTS, Event

POLICIES = Path(__file__).resolve().parent.parent / "policies"
EVENTS = [e.value for e in Event]


def departements() -> None:
    """Every département on the shipped files (national rules only for most): every event."""
    book = PolicyBook(POLICIES, None, rules_engine())
    for dep in DEPARTEMENTS:
        for event in EVENTS * 2:  # twice: the crash came on the second evaluation
            book.evaluate(dep, {"event": event})
    print(f"ok {len(DEPARTEMENTS)} départements")


def empty_rules(directory: str) -> None:
    """A département file whose `rules:` is empty (written by the test in DIR)."""
    book = PolicyBook(Path(directory), None, rules_engine())
    for event in EVENTS * 3:
        assert book.evaluate("13", {"event": event}).fired == []
    print("ok empty rules")


def swaps(directory: str) -> None:
    """Two versions of a file swapped back and forth: each swap registers or reuses a ruleset."""
    path, book = Path(directory) / "94.yaml", PolicyBook(Path(directory), None, rules_engine())
    versions = sorted(Path(directory).glob("94.v*.yaml"))
    for i in range(40):
        text = versions[i % len(versions)].read_bytes()
        path.write_bytes(text)
        book._stamps.clear()  # the same second and size: force the re-read
        assert book.policy("94").version.startswith(f"{i % len(versions) + 1}+")
        for event in EVENTS:
            book.evaluate("94", {"event": event, "refusals_count": i % 5})
    print("ok swaps")


# -- properties: generated valid policies x generated facts ----------------------------------
SCALAR_OPS = {"code": ["eq", "ne", "in", "not_in"], "bool": ["eq", "ne"]}
INT_OPS = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in"]


def _values(name: str) -> st.SearchStrategy[Any]:
    spec = FACTS[name]
    if spec.kind == "int":
        return st.integers(-1, 800)
    if spec.kind == "bool":
        return st.booleans()
    return st.sampled_from(sorted(spec.allowed() or {"x"}))


@st.composite
def leaves(draw: st.DrawFn) -> Leaf:
    name = draw(st.sampled_from(sorted(n for n in FACTS if n != "long_stay")))
    kind = FACTS[name].kind
    if kind == "codes":
        return Leaf(name, "contains", draw(_values(name)))
    op = draw(st.sampled_from(INT_OPS if kind == "int" else SCALAR_OPS[kind]))
    if op in ("in", "not_in"):
        return Leaf(name, op, draw(st.lists(_values(name), min_size=1, max_size=3, unique=True)))
    return Leaf(name, op, draw(_values(name)))


conditions = st.recursive(
    leaves(),
    lambda inner: st.one_of(
        st.builds(lambda items: All(tuple(items)), st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: AnyOf(tuple(items)), st.lists(inner, min_size=1, max_size=3)),
        st.builds(Not, inner),
    ),
    max_leaves=6,
)


@st.composite
def fact_sets(draw: st.DrawFn) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name, spec in FACTS.items():
        if spec.kind == "codes":
            facts[name] = draw(st.lists(_values(name), max_size=3, unique=True))
        else:
            facts[name] = draw(_values(name))
    return facts


def holds(cond: Condition, facts: dict[str, Any]) -> bool:
    """What a rule means, in plain Python: the oracle the engine must agree with."""
    if isinstance(cond, All):
        return all(holds(c, facts) for c in cond.items)
    if isinstance(cond, AnyOf):
        return any(holds(c, facts) for c in cond.items)
    if isinstance(cond, Not):
        return not holds(cond.item, facts)
    assert isinstance(cond, Leaf)
    value, target = facts[cond.fact], cond.value
    return {
        "eq": lambda: value == target,
        "ne": lambda: value != target,
        "lt": lambda: value < target,
        "lte": lambda: value <= target,
        "gt": lambda: value > target,
        "gte": lambda: value >= target,
        "in": lambda: value in target,
        "not_in": lambda: value not in target,
        "contains": lambda: target in value,
    }[cond.op]()


_VERSIONS = itertools.count()


def properties(examples: int) -> None:
    engine = rules_engine()

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(
        whens=st.lists(conditions, min_size=0, max_size=5),
        situations=st.lists(fact_sets(), min_size=1, max_size=4),
    )
    def agree(whens: list[Condition], situations: list[dict[str, Any]]) -> None:
        rules = tuple(Rule(f"r{i}", "", "", when, ()) for i, when in enumerate(whens))
        spec = definition(rules)
        name = ruleset_name("fuzz", str(next(_VERSIONS)), spec)
        engine.load("fuzz", name, spec)  # a new version each time: the old one is dropped
        for situation in situations:
            complete = complete_facts(situation, 540)
            fired = engine.evaluate(name, [engine_fact(complete)])[0]
            expected = [r.id for r in rules if holds(r.when, complete)]
            assert sorted(fired) == sorted(expected), (fired, expected, whens, situation)

    agree()
    print(f"ok {examples} generated policies")


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    if command == "departements":
        departements()
    elif command == "empty-rules":
        empty_rules(rest[0])
    elif command == "swaps":
        swaps(rest[0])
    elif command == "properties":
        properties(int(rest[0]))
    else:
        raise SystemExit(f"unknown command {command}")
