"""Compile a policy's rules to a durable_rules ruleset definition (plain JSON, no engine here).

Negation is pushed down to the comparisons (durable_rules has no general `not`), so
`not: {x: {in: [a, b]}}` becomes `x != a and x != b`.
"""

import hashlib
import json
from typing import Any

from rules.conditions import All, AnyOf, Condition, Leaf, Not
from rules.document import Rule
from rules.vocabulary import FACTS

COMPARE = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
NEGATE = {
    "eq": "ne",
    "ne": "eq",
    "lt": "gte",
    "lte": "gt",
    "gt": "lte",
    "gte": "lt",
    "in": "not_in",
    "not_in": "in",
}


def _leaf(leaf: Leaf, negated: bool) -> dict[str, Any]:
    op, fact, value = leaf.op, leaf.fact, leaf.value
    if op == "contains":
        if negated:
            return {"$iall": {fact: {"$neq": {"$i": value}}}}
        return {"$iany": {fact: {"$i": value}}}
    if negated:
        op = NEGATE[op]
    if op == "eq":
        return {fact: value}
    if op == "in":
        return {"$or": [{fact: v} for v in value]}
    if op == "not_in":
        return {"$and": [{"$neq": {fact: v}} for v in value]}
    return {COMPARE[op]: {fact: value}}


def to_json(cond: Condition, negated: bool = False) -> dict[str, Any]:
    if isinstance(cond, Leaf):
        return _leaf(cond, negated)
    if isinstance(cond, Not):
        return to_json(cond.item, not negated)
    items = [to_json(item, negated) for item in cond.items]
    conjunction = isinstance(cond, All) != negated  # De Morgan
    if not items:  # an empty `any` never matches; an empty `all` always does
        impossible = isinstance(cond, AnyOf) != negated
        return {"$and": [{"__never__": 1}, {"$neq": {"__never__": 1}}]} if impossible else {}
    if len(items) == 1:
        return items[0]
    return {"$and" if conjunction else "$or": items}


def definition(rules: tuple[Rule, ...]) -> dict[str, dict[str, Any]]:
    """{rule id: {"all": [{"m": …}]}} — the engine wrapper adds each rule's `run`."""
    return {rule.id: {"all": [{"m": to_json(rule.when)}]} for rule in rules}


def ruleset_name(key: str, version: str, spec: dict[str, Any]) -> str:
    """A new name for every changed ruleset: durable_rules never redefines one in place."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
    clean = "".join(ch if ch.isalnum() else "_" for ch in f"{key}_{version}")
    return f"siao_{clean}_{digest}"


LIST_SENTINEL = "__"
LIST_FACTS = frozenset(name for name, spec in FACTS.items() if spec.kind == "codes")


def engine_fact(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts as the compiled rules expect them.

    durable_rules' "every item" is false on an empty list, so each list carries a sentinel
    that no code equals: `not contains x` then holds for an empty list, as it should.
    """
    return {k: ([*v, LIST_SENTINEL] if k in LIST_FACTS else v) for k, v in facts.items()}
