"""Which of a policy's rules name a need-to-know situation, read from the declarations of
models/sensitivity.py rather than from each rule by hand.

A rule is *sensitive* when its condition tests a sensitive fact (or compares a fact with a
sensitive value), or when it produces a sensitive value (a flag, a thematic referent). Its id, its
decisions, its reason and everything it produces — the flags, referents and measures it sets, the
deadline durations it sets — then reveal the situation it tests, so those who may not read the
situation may not read them either.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from models.decisions import DecisionAction
from models.pathway import DeadlineKind
from models.sensitivity import OTHER_FACTS, SENSITIVE_FACTS, value_sensitivity
from models.vocab import Coded, Flag, Theme
from models.vocab_orientation import Measure
from rules.conditions import All, AnyOf, Condition, Leaf, Not
from rules.document import Rule
from rules.vocabulary import ACTIONS, FACTS

PRODUCED = (Flag, Theme, Measure)  # value lists the rules' actions write onto the household


def fact_list(fact: str) -> type[Coded] | None:
    spec = FACTS.get(fact)
    return spec.codes if spec is not None else OTHER_FACTS.get(fact)


def fact_sensitive(fact: str, value: Any) -> bool:
    """Whether a fact, with this value, reveals a need-to-know detail (a fact nobody declared:
    yes, until it is)."""
    if fact in SENSITIVE_FACTS or (fact not in FACTS and fact not in OTHER_FACTS):
        return True
    codes = fact_list(fact)
    values = value if isinstance(value, list | tuple) else [value]
    return any(value_sensitivity(codes, v) is not None for v in values)


def leaves(cond: Condition) -> list[Leaf]:
    if isinstance(cond, Leaf):
        return [cond]
    if isinstance(cond, Not):
        return leaves(cond.item)
    assert isinstance(cond, All | AnyOf)
    return [leaf for item in cond.items for leaf in leaves(item)]


def _tests_sensitive(leaf: Leaf) -> bool:
    values = leaf.value if isinstance(leaf.value, tuple | list) else (leaf.value,)
    return fact_sensitive(leaf.fact, list(values))


def param_codes(action: str, param: str) -> type[Coded] | None:
    """The value list of an action's parameter (a flag's kind, a referent's theme…)."""
    spec = ACTIONS.get(action)
    found = spec.params.get(param) if spec is not None else None
    return found.codes if found is not None else None


def _produces_sensitive(rule: Rule) -> bool:
    return any(
        value_sensitivity(param_codes(call.name, name), value) is not None
        for call in rule.then
        for name, value in call.params
    )


def rule_sensitive(rule: Rule) -> bool:
    return any(_tests_sensitive(leaf) for leaf in leaves(rule.when)) or _produces_sensitive(rule)


@dataclass(frozen=True)
class RuleDisclosure:
    """What the rules of one policy let a viewer without the right see."""

    shown_rules: frozenset[str]  # rules that neither test nor produce a sensitive value
    hidden_values: frozenset[str]  # flags, themes, measures a sensitive rule may produce
    hidden_deadlines: frozenset[DeadlineKind]  # deadlines whose duration a sensitive rule sets

    def shows(self, rule_id: str | None) -> bool:
        return rule_id is not None and rule_id in self.shown_rules


# When the policy cannot be read, nothing the rules produced is shown (fail closed).
NOTHING_SHOWN = RuleDisclosure(
    frozenset(),
    frozenset(str(v) for codes in PRODUCED for v in codes),
    frozenset(DeadlineKind),
)


def classify(rules: Iterable[Rule]) -> RuleDisclosure:
    shown: set[str] = set()
    hidden_values: set[str] = set()
    hidden_deadlines: set[DeadlineKind] = set()
    for rule in rules:
        if not rule_sensitive(rule):
            shown.add(rule.id)
            continue
        for call in rule.then:
            params = dict(call.params)
            kind = DeadlineKind._value2member_map_.get(params.get("kind", ""))
            if call.name == DecisionAction.SET_DEADLINE and isinstance(kind, DeadlineKind):
                hidden_deadlines.add(kind)
            for name, value in params.items():
                if param_codes(call.name, name) in PRODUCED:
                    hidden_values.add(value)
    return RuleDisclosure(frozenset(shown), frozenset(hidden_values), frozenset(hidden_deadlines))
