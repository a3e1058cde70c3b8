"""The `when` language: all / any / not over comparisons of vocabulary facts.

    when:
      all:
        - event: in_depth_recorded            # equality
        - expertise_needed: {contains: sante_mentale}
        - days_in_shelter: {gte: 540}
        - not: {administrative_situation: {in: [sans_titre, deboute]}}

A mapping of several facts means all of them; a list as a value means "among".
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

from rules.vocabulary import FACTS, OPERATORS
from rules.vocabulary_check import check_leaf

Path_ = tuple[str | int, ...]
Report = Callable[[Path_, str], None]


@dataclass(frozen=True)
class Leaf:
    fact: str
    op: str
    value: Any


@dataclass(frozen=True)
class All:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class Not:
    item: "Condition"


Condition = Union[Leaf, All, AnyOf, Not]  # noqa: UP007  (a recursive alias)
NEVER = AnyOf(())  # what a broken condition becomes: it matches nothing


def parse_condition(raw: Any, path: Path_, report: Report) -> Condition:
    if isinstance(raw, list):
        return All(tuple(parse_condition(r, path + (i,), report) for i, r in enumerate(raw)))
    if not isinstance(raw, dict) or not raw:
        report(path, "une condition s'écrit « fait: valeur », ou avec all / any / not")
        return NEVER
    parts: list[Condition] = []
    for key, value in raw.items():
        here = path + (key,)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                report(here, f"« {key} » attend une liste de conditions")
                continue
            items = tuple(parse_condition(v, here + (i,), report) for i, v in enumerate(value))
            parts.append(All(items) if key == "all" else AnyOf(items))
        elif key == "not":
            parts.append(Not(parse_condition(value, here, report)))
        elif key not in FACTS:
            report(here, f"fait inconnu « {key} » (voir le vocabulaire des règles)")
        else:
            parts.extend(_leaves(key, value, here, report))
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _leaves(fact: str, value: Any, path: Path_, report: Report) -> list[Condition]:
    if isinstance(value, dict):
        comparisons = list(value.items())
    elif isinstance(value, list):
        comparisons = [("in", value)]
    else:
        comparisons = [("eq", value)]
    leaves: list[Condition] = []
    for op, operand in comparisons:
        if op not in OPERATORS:
            report(path + (op,), f"opérateur inconnu « {op} » ; possibles : {', '.join(OPERATORS)}")
            continue
        problem = check_leaf(fact, op, operand)
        if problem:
            report(path, problem)
            continue
        leaves.append(Leaf(fact, op, tuple(operand) if isinstance(operand, list) else operand))
    return leaves


def leaves_of_all(cond: Condition) -> list[Leaf]:
    """The comparisons that must all hold (the top-level conjunction), for static checks."""
    if isinstance(cond, Leaf):
        return [cond]
    if isinstance(cond, All):
        return [leaf for item in cond.items for leaf in leaves_of_all(item)]
    return []
