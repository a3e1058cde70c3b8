"""The rules engine for real (durable_rules, no mocks): the `when` language and every operator,
rules fired in order, hot reload of a policy file, the accepted copy, and the dry-run."""

import collections
import random
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules.book import NATIONAL, PolicyBook
from rules.compiler import definition, engine_fact, ruleset_name
from rules.document import PolicyInvalid, parse_document
from rules.dry_run import dry_run
from rules.engine import rules_engine
from rules.vocabulary import FACTS, default_facts

POLICIES = Path(__file__).parent.parent / "policies"
HEADER = (
    'departement: "{dep}"\nversion: "{v}"\neffective_date: 2026-12-01\nauthor: Test\n'
    "description: essai\n"
)
# A national file with the national deadlines and no rules: only the rules under test fire.
NATIONAL_ONLY_DEADLINES = HEADER.format(dep="national", v="t") + (
    "deadlines:\n  flash: PT72H\n  in_depth: P2M\n  orientation_response: P15D\n"
    "  reevaluation: {leger: P6M, moyen: P3M, intensif: P1M}\n  review: P3M\n"
    "  follow_up_window: P2Y\n"
)


def fired(rules_yaml: str, facts: dict[str, Any]) -> list[str]:
    """Compile the rules, load them in the process's engine, evaluate one set of facts."""
    doc = parse_document("essai.yaml", HEADER.format(dep="94", v="t") + rules_yaml)
    spec = definition(doc.rules)
    name = ruleset_name("engine-test", "t", spec)
    rules_engine().load("engine-test", name, spec)
    return rules_engine().evaluate(name, [engine_fact({**default_facts(), **facts})])[0]


def holds(when: str, **facts: Any) -> bool:
    rule = f"rules:\n  - id: r\n    title: essai\n    when: {when}\n    then:\n"
    rule += "      - flag: {kind: ofii_list}\n"
    return "r" in fired(rule, facts)


OPERATORS = [
    # (condition, facts that match, facts that do not)
    ("{vulnerability: critique}", {"vulnerability": "critique"}, {"vulnerability": "elevee"}),
    ("{vulnerability: {eq: critique}}", {"vulnerability": "critique"}, {}),
    ("{syplo: {ne: inscrit}}", {"syplo": "non_inscrit"}, {"syplo": "inscrit"}),
    ("{refusals_count: {lt: 3}}", {"refusals_count": 2}, {"refusals_count": 3}),
    ("{refusals_count: {lte: 3}}", {"refusals_count": 3}, {"refusals_count": 4}),
    ("{dls_age_days: {gt: 330}}", {"dls_age_days": 331}, {"dls_age_days": 330}),
    ("{dls_age_days: {gte: 330}}", {"dls_age_days": 330}, {"dls_age_days": 329}),
    ("{event: [admitted, housed]}", {"event": "housed"}, {"event": "exit"}),
    ("{event: {in: [admitted, housed]}}", {"event": "admitted"}, {"event": "exit"}),
    ("{event: {not_in: [admitted, housed]}}", {"event": "exit"}, {"event": "housed"}),
    (
        "{expertise_needed: {contains: violences}}",
        {"expertise_needed": ["juridique", "violences"]},
        {"expertise_needed": ["juridique"]},
    ),
    ("{young_adult: true}", {"young_adult": True}, {"young_adult": False}),
    ("{escalation_level: 0}", {}, {"escalation_level": 1}),  # the default counts
]


@pytest.mark.parametrize(("when", "yes", "no"), OPERATORS)
def test_each_operator(when: str, yes: dict[str, Any], no: dict[str, Any]) -> None:
    assert holds(when, **yes)
    assert not holds(when, **no)


def test_not_contains_holds_on_an_empty_list() -> None:
    when = "{not: {expertise_needed: {contains: violences}}}"
    assert holds(when, expertise_needed=[])
    assert holds(when)  # the default is an empty list too
    assert holds(when, expertise_needed=["juridique"])
    assert not holds(when, expertise_needed=["violences"])
    assert not holds(when, expertise_needed=["juridique", "violences"])


def test_all_any_not() -> None:
    when = (
        "{all: [{event: in_depth_recorded}, "
        "{any: [{residential_situation: detention}, {expertise_needed: {contains: justice}}]}, "
        "{not: {administrative_situation: [sans_titre, deboute]}}]}"
    )
    base = {"event": "in_depth_recorded", "administrative_situation": "francaise"}
    assert holds(when, **base, residential_situation="detention")
    assert holds(when, **base, expertise_needed=["justice"])
    assert not holds(when, **base)  # no branch of `any`
    assert not holds(when, **base | {"event": "flash_recorded"}, expertise_needed=["justice"])
    assert not holds(
        when, **base | {"administrative_situation": "deboute"}, residential_situation="detention"
    )
    # `not` over a conjunction and over a disjunction (De Morgan in the compiler)
    nand = "{not: {all: [{young_adult: true}, {no_resources: true}]}}"
    assert holds(nand, young_adult=True) and holds(nand)
    assert not holds(nand, young_adult=True, no_resources=True)
    nor = "{not: {any: [{young_adult: true}, {refusals_count: {gte: 3}}]}}"
    assert holds(nor, refusals_count=2)
    assert not holds(nor, refusals_count=3) and not holds(nor, young_adult=True)
    assert holds("{not: {not: {young_adult: true}}}", young_adult=True)
    # several facts in one mapping: all of them
    assert holds("{young_adult: true, no_resources: true}", young_adult=True, no_resources=True)
    assert not holds("{young_adult: true, no_resources: true}", young_adult=True)


def test_rules_fire_in_declaration_order() -> None:
    rules = "rules:\n" + "".join(
        f"  - id: {rid}\n    title: règle {rid}\n    when: {when}\n"
        "    then:\n      - flag: {kind: ofii_list}\n"
        for rid, when in [
            ("zeta", "{event: review_recorded}"),
            ("alpha", "{refusals_count: {gte: 1}}"),
            ("jamais", "{event: exit}"),
            ("mu", "{young_adult: true}"),
        ]
    )
    facts = {"event": "review_recorded", "refusals_count": 2, "young_adult": True}
    assert fired(rules, facts) == ["zeta", "alpha", "mu"]
    assert fired(rules, {"event": "exit"}) == ["jamais"]
    assert fired(rules, {"event": "housed"}) == []


def test_a_rule_fires_once_when_two_branches_of_any_hold() -> None:
    book = PolicyBook(POLICIES, None, rules_engine())
    facts = {
        "event": "flash_recorded",
        "residential_situation": "detention",
        "expertise_needed": ["justice"],
    }
    assert book.evaluate("13", facts).fired == ["sortants-detention"]


# -- hot reload --------------------------------------------------------------------------------
# Files of département 94 and 2A only: the lead's tests use 75 and 93 through their own books,
# and books share the process's engine.
RULE_V1 = """
rules:
  - id: refus-repetes
    title: Refus répétés
    when: {event: orientation_refused, refusals_count: {gte: 3}}
    then:
      - route_to_partnership_commission: {reason: "Trois refus"}
cases:
  - name: troisième refus
    facts: {event: orientation_refused, refusals_count: 3}
    expect:
      - route_to_partnership_commission: {reason: "Trois refus"}
"""


def folder(tmp_path: Path) -> Path:
    shutil.copy(POLICIES / f"{NATIONAL}.yaml", tmp_path / f"{NATIONAL}.yaml")
    return tmp_path


def refusals(book: PolicyBook, dep: str, count: int) -> list[str]:
    facts = {"event": "orientation_refused", "refusals_count": count}
    return book.evaluate(dep, facts).fired


def test_valid_edit_replaces_the_policy_in_the_same_book(tmp_path: Path) -> None:
    local = folder(tmp_path) / "94.yaml"
    local.write_text(HEADER.format(dep="94", v="1") + RULE_V1)
    book = PolicyBook(tmp_path, None, rules_engine())
    assert book.policy("94").version.startswith("1+")
    assert refusals(book, "94", 2) == [] and refusals(book, "94", 3) == ["refus-repetes"]

    local.write_text(HEADER.format(dep="94", v="2") + RULE_V1.replace("gte: 3", "gte: 2"))
    assert book.policy("94").version.startswith("2+")
    assert refusals(book, "94", 2) == ["refus-repetes"]
    assert "94" not in book.refused


def test_invalid_edit_keeps_the_previous_version_and_says_why(tmp_path: Path) -> None:
    local = folder(tmp_path) / "94.yaml"
    local.write_text(HEADER.format(dep="94", v="1") + RULE_V1)
    book = PolicyBook(tmp_path, None, rules_engine())
    assert book.policy("94").version.startswith("1+")

    broken = HEADER.format(dep="94", v="2") + RULE_V1.replace("refusals_count: {gte", "refus: {gte")
    local.write_text(broken)
    assert book.policy("94").version.startswith("1+")  # still in force
    assert refusals(book, "94", 3) == ["refus-repetes"]
    (issue,) = book.refused["94"]
    assert "fait inconnu « refus »" in issue.message
    assert issue.line is not None and "refus:" in broken.splitlines()[issue.line - 1]

    local.write_text(HEADER.format(dep="94", v="3") + RULE_V1)  # fixed: accepted again
    assert book.policy("94").version.startswith("3+") and "94" not in book.refused


def test_a_fresh_book_uses_the_accepted_copy_when_the_file_is_broken(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    policies, accepted = folder(tmp_path / "policies"), tmp_path / "accepted"
    local = policies / "2A.yaml"
    local.write_text(HEADER.format(dep="2A", v="1") + RULE_V1)
    assert PolicyBook(policies, accepted, rules_engine()).policy("2A").version.startswith("1+")

    local.write_text(HEADER.format(dep="2A", v="2") + "rules: [\n")  # broken on disk
    restarted = PolicyBook(policies, accepted, rules_engine())  # as after a restart
    assert restarted.policy("2A").version.startswith("1+")
    assert refusals(restarted, "2A", 3) == ["refus-repetes"]
    assert "YAML illisible" in restarted.refused["2A"][0].message

    with pytest.raises(PolicyInvalid):  # nothing accepted to fall back on
        PolicyBook(policies, None, rules_engine()).policy("2A")


# -- dry-run -----------------------------------------------------------------------------------
def synthetic_facts(rng: random.Random) -> dict[str, Any]:
    """Facts drawn over the whole vocabulary, numbers around the rules' thresholds."""
    facts: dict[str, Any] = {}
    for name, spec in FACTS.items():
        allowed = sorted(spec.allowed() or ())
        if spec.kind == "code":
            facts[name] = rng.choice(allowed)
        elif spec.kind == "codes":
            facts[name] = rng.sample(allowed, rng.randint(0, 3))
        elif spec.kind == "bool":
            facts[name] = rng.random() < 0.4
        else:
            facts[name] = rng.choice([-1, 0, 1, 2, 3, 4, 300, 330, 365, 366, 548, 600, 730, 731])
    return facts


def test_dry_run_agrees_with_evaluating_each_pathway(tmp_path: Path) -> None:
    """The dry-run's shortcuts (canonical facts, one question per condition) change nothing."""
    book = PolicyBook(POLICIES, None, rules_engine())
    # The candidate: abnormal stay shortened to 12 months, a threshold changed, a rule added.
    candidate = (POLICIES / "93.yaml").read_text()
    candidate = candidate.replace(
        "follow_up_window: P1Y", "follow_up_window: P1Y\n  abnormal_stay: P12M"
    )
    candidate = candidate.replace("refusals_count: {gte: 3}", "refusals_count: {gte: 3, lte: 900}")
    added = yaml.safe_load(candidate)
    added["rules"].append(
        {
            "id": "jeunes-en-famille",
            "title": "Jeunes en famille",
            "when": {"young_adult": True, "has_children": True, "event": "review_recorded"},
            "then": [{"propose_accompaniment": {"kind": "asll"}}],
        }
    )
    added["cases"].append(
        {
            "name": "jeune parent à la revue",
            "facts": {"event": "review_recorded", "young_adult": True, "has_children": True},
            "expect": [{"propose_accompaniment": {"kind": "asll"}}],
        }
    )
    candidate = yaml.safe_dump(added, allow_unicode=True, sort_keys=False)
    rng = random.Random(93)
    rows = [(f"m{i}", synthetic_facts(rng)) for i in range(1500)]
    report = dry_run(book, "93", candidate, rows, examples=3)

    policy = book.build("93", (POLICIES / f"{NATIONAL}.yaml").read_text(), candidate, "check")
    before: collections.Counter[str] = collections.Counter()
    after: collections.Counter[str] = collections.Counter()
    changed = []
    for hid, facts in rows:
        old, new = book.evaluate("93", facts), book.evaluate("93", facts, policy)
        before.update(set(old.fired))
        after.update(set(new.fired))
        actions = [
            sorted(f"{d.action}{sorted(d.as_written().items())}" for d in e.decisions)
            for e in (old, new)
        ]
        if sorted(set(actions[0])) != sorted(set(actions[1])):
            changed.append(hid)
    assert {c.rule_id: c.before for c in report.counts if c.before} == dict(before)
    assert {c.rule_id: c.after for c in report.counts if c.after} == dict(after)
    assert report.changed == len(changed) > 0
    assert [e.household_id for e in report.examples] == changed[:3]
    assert report.rules_added == ["jeunes-en-famille"]
    assert report.rules_changed == ["familles-refus-repetes"]
    assert report.pathways == 1500 and report.distinct_situations <= 1500
    assert before["sejour-anormalement-long"] < after["sejour-anormalement-long"]  # 12 months


def test_dry_run_refuses_an_invalid_candidate_and_tolerates_odd_facts() -> None:
    book = PolicyBook(POLICIES, None, rules_engine())
    with pytest.raises(PolicyInvalid, match="fait inconnu"):
        bad = (
            (POLICIES / "75.yaml")
            .read_text()
            .replace("young_adult: true\n      no_", "jeune: true\n      no_")
        )
        dry_run(book, "75", bad, [])
    rows = [("vide", {}), ("bizarre", {"expertise_needed": "violences", "refusals_count": None})]
    report = dry_run(book, "75", (POLICIES / "75.yaml").read_text(), rows)
    assert report.pathways == 2 and report.changed == 0


def test_reference_example_is_a_valid_policy() -> None:
    from rules.reference import EXAMPLE

    example = textwrap.dedent(EXAMPLE.split("```yaml\n")[1].split("```")[0])
    policy = PolicyBook(POLICIES, None, rules_engine()).build(
        "94", NATIONAL_ONLY_DEADLINES, HEADER.format(dep="94", v="x") + example, "reference"
    )
    assert all(r.passed for r in policy.results) and len(policy.results) == 2
