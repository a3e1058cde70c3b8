"""What a candidate policy would change: evaluate it and the version in force on the current facts
of every open pathway of a département, and compare the decisions.

`dry_run` is pure (the facts are passed in) so the command line and the API share it. It stays fast
on 100,000 pathways without evaluating each one twice through durable_rules:

* a fact no rule tests is left out; a number is replaced by a representative of its interval
  between the thresholds the rules compare it with (540 and 600 behave alike against `gte: 330`);
  a list keeps only the codes the rules look for. Pathways that become identical are evaluated
  once.
* with one fact per state, a rule fires or not on the facts it tests alone, so each distinct
  condition is asked once per distinct value of its own facts — always through the real engine.
"""

import bisect
import json
import threading
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from rules.book import NATIONAL, PolicyBook
from rules.compiler import definition, engine_fact
from rules.conditions import All, AnyOf, Condition, Leaf, Not
from rules.policy import Policy
from rules.vocabulary import FACTS, default_facts

OTHER = "\x00autre"
_LOCK = threading.Lock()  # dry-runs use fixed engine slots: one at a time per process


class RuleCount(BaseModel):
    rule_id: str
    title: str
    before: int
    after: int


class HouseholdChange(BaseModel):
    household_id: str
    rules_before: list[str]
    rules_after: list[str]
    actions_before: list[str]
    actions_after: list[str]


class DryRunReport(BaseModel):
    departement: str
    active_version: str
    candidate_version: str
    pathways: int
    distinct_situations: int
    rules_added: list[str] = Field(default_factory=list)
    rules_removed: list[str] = Field(default_factory=list)
    rules_changed: list[str] = Field(default_factory=list)
    counts: list[RuleCount] = Field(default_factory=list)
    changed: int = 0
    examples: list[HouseholdChange] = Field(default_factory=list)


def _leaves(cond: Condition) -> list[Leaf]:
    if isinstance(cond, Leaf):
        return [cond]
    if isinstance(cond, Not):
        return _leaves(cond.item)
    assert isinstance(cond, All | AnyOf)
    return [leaf for item in cond.items for leaf in _leaves(item)]


class _Canon:
    """Maps raw facts to a canonical tuple over the facts the rules test."""

    def __init__(self, conditions: Iterable[Condition], policies: list[Policy]) -> None:
        constants: dict[str, set[Any]] = {}
        for cond in conditions:
            for leaf in _leaves(cond):
                values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
                constants.setdefault(leaf.fact, set()).update(values)
        self.derived = "long_stay" in constants
        if self.derived:  # as PolicyBook.evaluate: long_stay comes from the policy's duration
            constants.setdefault("days_in_shelter", set()).update(
                p.abnormal_stay_days for p in policies
            )
        self.facts = tuple(sorted(constants))
        self.index = {fact: i for i, fact in enumerate(self.facts)}
        self.kinds = tuple(FACTS[f].kind for f in self.facts)
        self.thresholds = tuple(
            sorted(v for v in constants[f] if type(v) is int) if kind == "int" else []
            for f, kind in zip(self.facts, self.kinds, strict=True)
        )
        self.codes = tuple(frozenset(constants[f]) for f in self.facts)
        defaults = default_facts()
        self.defaults = tuple(defaults[f] for f in self.facts)

    def key(self, raw: Any) -> tuple[Any, ...]:
        facts = raw if isinstance(raw, dict) else {}
        out = []
        for i, fact in enumerate(self.facts):
            value = facts.get(fact, self.defaults[i])
            kind = self.kinds[i]
            if kind == "int" and type(value) is int and self.thresholds[i]:
                t = self.thresholds[i]
                j = bisect.bisect_left(t, value)
                if j == len(t) or t[j] != value:
                    value = t[0] - 1 if j == 0 else t[j - 1] + 1
            elif kind == "code" and isinstance(value, str) and value not in self.codes[i]:
                value = OTHER  # every code no rule names behaves alike
            elif kind == "codes":
                wanted = self.codes[i]
                items = value if isinstance(value, list | tuple) else ()
                value = tuple(sorted({v for v in items if isinstance(v, str) and v in wanted}))
            elif isinstance(value, list | dict):  # not what the vocabulary says: kept comparable
                value = json.dumps(value, sort_keys=True, default=str)
            out.append(value)
        return tuple(out)

    def for_policy(self, key: tuple[Any, ...], policy: Policy) -> tuple[Any, ...]:
        """The situation as `policy` sees it (facts PolicyBook.evaluate derives per policy)."""
        if not self.derived:
            return key
        shelter = key[self.index["days_in_shelter"]]
        long_stay = isinstance(shelter, int) and shelter >= policy.abnormal_stay_days
        i = self.index["long_stay"]
        return (*key[:i], long_stay, *key[i + 1 :])

    def facts_of(self, key: tuple[Any, ...], only: Iterable[str]) -> dict[str, Any]:
        facts = default_facts()
        for fact in only:
            value = key[self.index[fact]]
            facts[fact] = list(value) if FACTS[fact].kind == "codes" else value
        return facts


def _actions(policy: Policy, fired: list[str]) -> list[str]:
    return sorted({str(call) for rule_id in fired for call in policy.rules[rule_id].then})


def _fired_per_situation(
    book: PolicyBook, policies: list[Policy], canon: _Canon, situations: list[tuple[Any, ...]]
) -> list[list[list[str]]]:
    """For each policy, for each situation, the ids of the rules fired, in declaration order."""
    # Each distinct condition is asked through one rule that has it, in that rule's ruleset.
    ids: dict[Condition, int] = {}
    owners: list[tuple[str, str, tuple[int, ...], tuple[str, ...]]] = []
    rule_conditions: list[list[tuple[str, int]]] = []
    for policy in policies:
        pairs = []
        for rule in policy.rules.values():
            if rule.when not in ids:
                ids[rule.when] = len(owners)
                facts = tuple(sorted({leaf.fact for leaf in _leaves(rule.when)}))
                index = tuple(canon.index[f] for f in facts)
                owners.append((policy.ruleset, rule.id, index, facts))
            pairs.append((rule.id, ids[rule.when]))
        rule_conditions.append(pairs)
    answers: list[dict[tuple[Any, ...], bool]] = [{} for _ in owners]
    pending: dict[str, list[tuple[int, tuple[Any, ...], str, dict[str, Any]]]] = {}
    seen: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}

    def subs_of(situation: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if (known := seen.get(situation)) is not None:
            return known
        row = []
        for cid, (ruleset, rule_id, index, facts) in enumerate(owners):
            sub = tuple([situation[i] for i in index])
            row.append(sub)
            if sub not in answers[cid]:
                answers[cid][sub] = False
                fact = engine_fact(canon.facts_of(situation, facts))
                pending.setdefault(ruleset, []).append((cid, sub, rule_id, fact))
        seen[situation] = row
        return row

    rows = [[subs_of(canon.for_policy(s, p)) for p in policies] for s in situations]
    for ruleset, items in pending.items():
        results = book.engine.evaluate(ruleset, [fact for *_, fact in items])
        for (cid, sub, rule_id, _), fired in zip(items, results, strict=True):
            answers[cid][sub] = rule_id in fired
    out: list[list[list[str]]] = [[] for _ in policies]
    for per_policy in rows:
        for p, (pairs, subs) in enumerate(zip(rule_conditions, per_policy, strict=True)):
            out[p].append([rule_id for rule_id, cid in pairs if answers[cid][subs[cid]]])
    return out


def dry_run(
    book: PolicyBook,
    departement: str,
    candidate_local_text: str | bytes | None,
    facts_rows: Iterable[tuple[str, dict[str, Any]]],
    *,
    candidate_national_text: str | bytes | None = None,
    examples: int = 10,
) -> DryRunReport:
    """Compare the policy in force for `departement` with a candidate, on (household id, facts).

    The candidate is the département file `candidate_local_text` (None: no file) over the national
    file on disk, or over `candidate_national_text` when that is given. Raises PolicyInvalid when
    the candidate (or, with no version in force, the files on disk) does not pass its checks.
    """
    with _LOCK:
        active = book.policy(departement)
        # Keep the version in force registered while we use it, even if a swap happens meanwhile.
        book.engine.load(
            f"dry-run-active:{departement}",
            active.ruleset,
            definition(tuple(active.rules.values())),
        )
        national_text = candidate_national_text
        if national_text is None:
            national_text = (book.policies_dir / f"{NATIONAL}.yaml").read_bytes()  # build decodes
        candidate = book.build(departement, national_text, candidate_local_text, "dry-run")

        policies = [active, candidate]
        canon = _Canon((r.when for p in policies for r in p.rules.values()), policies)
        groups: dict[tuple[Any, ...], int] = {}
        order: list[tuple[str, int]] = []
        sizes: list[int] = []
        for household_id, facts in facts_rows:
            key = canon.key(facts)
            slot = groups.setdefault(key, len(groups))
            if slot == len(sizes):
                sizes.append(0)
            sizes[slot] += 1
            order.append((household_id, slot))
        situations = list(groups)
        before, after = _fired_per_situation(book, policies, canon, situations)

    counts_before: dict[str, int] = {}
    counts_after: dict[str, int] = {}
    changed_slots: set[int] = set()
    for slot, size in enumerate(sizes):
        for rule_id in before[slot]:
            counts_before[rule_id] = counts_before.get(rule_id, 0) + size
        for rule_id in after[slot]:
            counts_after[rule_id] = counts_after.get(rule_id, 0) + size
        if _actions(active, before[slot]) != _actions(candidate, after[slot]):
            changed_slots.add(slot)
    shown: list[HouseholdChange] = []
    for household_id, slot in order:
        if len(shown) >= examples:
            break
        if slot in changed_slots:
            shown.append(
                HouseholdChange(
                    household_id=household_id,
                    rules_before=before[slot],
                    rules_after=after[slot],
                    actions_before=_actions(active, before[slot]),
                    actions_after=_actions(candidate, after[slot]),
                )
            )
    ids = list(dict.fromkeys([*candidate.rules, *active.rules]))
    titles = {k: r.title for p in (active, candidate) for k, r in p.rules.items()}
    return DryRunReport(
        departement=departement,
        active_version=active.version,
        candidate_version=candidate.version,
        pathways=len(order),
        distinct_situations=len(situations),
        rules_added=[r for r in candidate.rules if r not in active.rules],
        rules_removed=[r for r in active.rules if r not in candidate.rules],
        rules_changed=[
            r
            for r, rule in candidate.rules.items()
            if r in active.rules
            and (rule.when, rule.then) != (active.rules[r].when, active.rules[r].then)
        ],
        counts=[
            RuleCount(
                rule_id=rule_id,
                title=titles[rule_id],
                before=counts_before.get(rule_id, 0),
                after=counts_after.get(rule_id, 0),
            )
            for rule_id in ids
        ],
        changed=sum(sizes[slot] for slot in changed_slots),
        examples=shown,
    )
