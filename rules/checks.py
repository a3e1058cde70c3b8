"""What `siao policies validate` and `test` check beyond the schema: cases, coverage, rules that
can never fire, rules that contradict each other."""

from collections.abc import Callable
from dataclasses import dataclass

from models.decisions import DecisionAction
from rules.conditions import Leaf, leaves_of_all
from rules.document import ActionCall, Case, Issue, Rule
from rules.vocabulary import ONLY_ON

Evaluate = Callable[[dict], list[str]]  # facts → ids of the rules fired


@dataclass(frozen=True)
class CaseResult:
    file: str
    case: Case
    fired: tuple[str, ...]
    got: frozenset[ActionCall]

    @property
    def passed(self) -> bool:
        return self.got == self.case.expect


def actions_of(rules: dict[str, Rule], fired: list[str]) -> frozenset[ActionCall]:
    return frozenset(action for rule_id in fired for action in rules[rule_id].then)


def run_cases(
    file: str, cases: tuple[Case, ...], rules: dict[str, Rule], evaluate: Evaluate
) -> list[CaseResult]:
    results = []
    for case in cases:
        fired = evaluate(case.facts)
        results.append(CaseResult(file, case, tuple(fired), actions_of(rules, fired)))
    return results


def coverage_issues(
    file: str, own_rules: tuple[Rule, ...], results: list[CaseResult]
) -> list[Issue]:
    """Every rule ships with at least one case that fires it (as gatekeeper-library asks)."""
    fired = {rule_id for r in results for rule_id in r.fired}
    issues = [
        Issue(
            file,
            None,
            f"rules.{rule.id}",
            "aucun cas de test ne déclenche cette règle : ajoutez-en un sous `cases`",
        )
        for rule in own_rules
        if rule.id not in fired
    ]
    if own_rules and not results:
        issues.insert(
            0,
            Issue(file, None, "cases", "une politique avec des règles doit avoir des cas de test"),
        )
    return issues


def _impossible(leaves: list[Leaf]) -> str | None:
    """Contradictions a reader can see: x = a and x = b; x > 25 and x < 18; x = a and x ≠ a."""
    by_fact: dict[str, list[Leaf]] = {}
    for leaf in leaves:
        by_fact.setdefault(leaf.fact, []).append(leaf)
    for fact, group in by_fact.items():
        equal = {leaf.value for leaf in group if leaf.op == "eq"}
        if len(equal) > 1:
            shown = " et ".join(map(str, sorted(equal, key=str)))
            return f"{fact} ne peut pas valoir à la fois {shown}"
        excluded = {leaf.value for leaf in group if leaf.op == "ne"}
        if equal & excluded:
            return f"{fact} est à la fois égal et différent de {next(iter(equal & excluded))}"
        low = max(
            (leaf.value + (leaf.op == "gt") for leaf in group if leaf.op in ("gt", "gte")),
            default=None,
        )
        high = min(
            (leaf.value - (leaf.op == "lt") for leaf in group if leaf.op in ("lt", "lte")),
            default=None,
        )
        if low is not None and high is not None and low > high:
            return f"aucun {fact} n'est à la fois ≥ {low} et ≤ {high}"
    return None


def _pins_event(rule: Rule, event: str) -> bool:
    return any(
        leaf.fact == "event"
        and (
            (leaf.op == "eq" and leaf.value == event)
            or (leaf.op == "in" and {*leaf.value} == {event})
        )
        for leaf in leaves_of_all(rule.when)
    )


def static_issues(file: str, rules: tuple[Rule, ...]) -> list[Issue]:
    issues = []
    for rule in rules:
        if problem := _impossible(leaves_of_all(rule.when)):
            issues.append(Issue(file, None, f"rules.{rule.id}", f"règle impossible : {problem}"))
        for call in rule.then:  # an action that acts on one event only, under another one
            event = ONLY_ON.get(call.name)
            if event is not None and not _pins_event(rule, event):
                issues.append(
                    Issue(
                        file,
                        None,
                        f"rules.{rule.id}",
                        f"« {call.name} » ne vaut que pour l'événement {event} : "
                        f"ajoutez « event: {event} » aux conditions",
                    )
                )
    for i, first in enumerate(rules):
        for second in rules[i + 1 :]:
            if first.when != second.when:
                continue
            for a in first.then:
                for b in second.then:
                    p, q = dict(a.params), dict(b.params)
                    if (
                        a.name == b.name == DecisionAction.SET_DEADLINE
                        and p["kind"] == q["kind"]
                        and p["duration"] != q["duration"]
                    ):
                        issues.append(
                            Issue(
                                file,
                                None,
                                f"rules.{second.id}",
                                f"contredit la règle « {first.id} » : mêmes conditions, échéance "
                                f"{p['kind']} à {p['duration']} contre {q['duration']}",
                            )
                        )
    return issues
