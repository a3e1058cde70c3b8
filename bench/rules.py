"""Bench: policy evaluation through the project's wrapper (PolicyBook.evaluate) against bare
durable_rules on the same compiled ruleset, then a dry-run of a candidate policy.

    .venv/bin/python bench/rules.py [--evaluations 20000] [--dry-run-rows 100000] [--seed 75]

policies/ is read at run time, whatever rules it holds. A report: missed targets exit 0, a
failed step (the dry-run refused, an engine error) exits 1.
"""

import argparse
import importlib.util
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent  # run as a script, the project packages live one level up
sys.path.insert(0, str(ROOT))  # first, always: bench/ (sys.path[0]) holds this rules.py

import structlog  # noqa: E402
import yaml  # noqa: E402
from durable import engine as durable  # noqa: E402

from models.pathway import Stage  # noqa: E402
from rules.book import NATIONAL, PolicyBook  # noqa: E402
from rules.compiler import definition, engine_fact  # noqa: E402
from rules.document import PolicyInvalid  # noqa: E402
from rules.engine import HANDLED_MARK, HANDLED_RULE, rules_engine  # noqa: E402
from rules.isolated import IsolatedPolicies  # noqa: E402
from rules.policy_text import dump  # noqa: E402
from rules.vocabulary import FACTS, Event  # noqa: E402

TARGET_RATIO = 0.6  # wrapper evaluations/s >= 0.6 x raw durable_rules
TARGET_DRY_RUN_S = 15.0  # a dry-run over 100,000 pathways in under 15 s
FLAG = {"flag": {"kind": "long_stay_review"}}
EXTRA_RULE = {  # the candidate's visible change: one more rule
    "id": "bench-dry-run-extra",
    "title": "Hébergé depuis plus d'un an après deux refus : séjour à analyser",
    "when": {"days_in_shelter": {"gte": 365}, "refusals_count": {"gte": 2}},
    "then": [FLAG],
}
# Plausible stages of an event: the stage of the same name, else this table, else any stage.
S, E = Stage, Event
EVENT_STAGES: dict[str, list[str]] = {
    E.FLASH_RECORDED: [S.FLASH_EVALUATED],
    E.IN_DEPTH_RECORDED: [S.IN_DEPTH_EVALUATED, S.ADMITTED],
    E.COMMISSION_DECISION: [S.COMMISSION],
    E.ORIENTATION_ACCEPTED: [S.ORIENTATION_PROPOSED],
    E.ORIENTATION_REFUSED: [S.COMMISSION, S.ORIENTATION_PROPOSED],
    E.REVIEW_RECORDED: [S.IN_DEPTH_EVALUATED, S.COMMISSION, S.ADMITTED],
    E.LANDLORD_SOLICITATION: [S.HOUSED, S.FOLLOW_UP, S.CLOSED],
    E.EXIT: [S.CLOSED],
}
INT_RANGES = {"escalation_level": (0, 3), "members_count": (1, 6), "refusals_count": (0, 4)}
SHELTERED = {S.ADMITTED, S.HOUSED, S.FOLLOW_UP, S.CLOSED}
CODES = {name: [c.value for c in spec.codes or ()] for name, spec in FACTS.items()}


def synthetic_facts(rng: random.Random) -> dict[str, Any]:
    """A plausible household at one event: every vocabulary fact, then consistency fixes."""
    row: dict[str, Any] = {}
    for name, spec in FACTS.items():  # generic by kind, so new facts get values too
        if spec.kind == "code":
            row[name] = rng.choice([*CODES[name], spec.default])
        elif spec.kind == "codes":
            row[name] = rng.sample(CODES[name], rng.choice((0, 0, 1, 1, 2, 3)))
        elif spec.kind == "bool":
            row[name] = rng.random() < 0.2
        else:
            low, high = INT_RANGES.get(name, (-1, 900))
            row[name] = rng.randint(low, high)
    row["event"] = event = rng.choice(CODES["event"])
    stages = CODES["stage"]
    row["stage"] = str(rng.choice(EVENT_STAGES.get(event, [event] if event in stages else stages)))
    if event != E.DEADLINE_MISSED:
        row["deadline_kind"], row["escalation_level"] = "", 0
    if row["stage"] not in SHELTERED:
        row["days_in_shelter"] = -1
    if row["stage"] not in (S.HOUSED, S.FOLLOW_UP):
        row["days_since_housing"] = -1
    row["long_stay"] = row["days_in_shelter"] >= 540
    if rng.random() < 0.3:
        row["dls_age_days"] = -1  # no social-housing application
    family = row["typology"] in ("famille_monoparentale", "couple_avec_enfants")
    row["has_children"] = family
    row["members_count"] = rng.randint(2, 6) if family or row["typology"] == "groupe" else 1
    if row["refusals_count"] == 0:
        row["refused_by"] = row["refusal_reason"] = ""
    return row


def candidate_text(book: PolicyBook, dep: str, local_text: str) -> str:
    """The local file plus EXTRA_RULE and a case that fires it; cases it also fires expect it."""
    doc = yaml.safe_load(local_text)
    doc["version"] = f"{doc['version']}-candidate"
    doc["rules"] = [*(doc.get("rules") or []), EXTRA_RULE]
    for case in doc.get("cases") or []:
        facts = case.get("facts") or {}
        if facts.get("days_in_shelter", -1) >= 365 and facts.get("refusals_count", 0) >= 2:
            case["expect"] = [*(case.get("expect") or []), FLAG]
    facts = {"event": E.REVIEW_RECORDED.value, "stage": S.ADMITTED.value}
    facts |= {"days_in_shelter": 400, "refusals_count": 2}
    active = book.evaluate(dep, facts).decisions  # what the rules in force already decide
    expect = [{d.action: d.params} for d in active] + [FLAG]
    case = {"name": "bench : règle ajoutée", "facts": facts, "expect": expect}
    doc["cases"] = [*(doc.get("cases") or []), case]
    return dump(doc)


def dry_run_loop(book: PolicyBook, dep: str, local_text: str, rows: list[dict]) -> int:
    """Without rules/dry_run.py: active and candidate on each row; households that changed."""
    national = (book.policies_dir / f"{NATIONAL}.yaml").read_text()
    candidate = book.build(dep, national, local_text, "dry-run")
    changed = 0
    for facts in rows:
        before, after = (
            {(d.rule_id, d.action, tuple(sorted(d.as_written().items()))) for d in e.decisions}
            for e in (book.evaluate(dep, facts), book.evaluate(dep, facts, candidate))
        )
        changed += before != after
    return changed


def changed_in(report: Any) -> str:
    """The changed households in rules.dry_run's report, whatever its shape."""
    for attr in ("changed_count", "households_changed", "changed", "n_changed"):
        if (value := getattr(report, attr, None)) is not None:
            count = value if isinstance(value, int) else len(value)
            distinct = getattr(report, "distinct_situations", None)  # what it evaluated
            return f"{count} changed" + (f" ({distinct} distinct situations)" if distinct else "")
    return f"? (report: {str(report)[:300]})"


class BareHost(durable.Host):
    def _run(self) -> None:  # no background dispatcher threads: evaluate synchronously
        pass


def bench_raw(spec: dict[str, dict[str, Any]], rows: list[dict], warmup: int) -> tuple[float, int]:
    """Raw durable_rules on the compiled definition: evaluations/s and rules fired."""
    fired: list[str] = []

    def recorder(rule_id: str) -> Any:
        def run(c: Any) -> None:  # one parameter: two would make it asynchronous
            fired.append(rule_id)

        return run

    # The least raw durable_rules can do safely: deleting the state of a fact no rule handled
    # corrupts its heap (see rules/engine.py), so the baseline carries the same catch-all rule.
    safe = {**spec, HANDLED_RULE: {"all": [{"m": {"$ex": {HANDLED_MARK: 1}}}]}}
    host, name = BareHost(), "bench_raw"
    host.register_rulesets({name: {r: {**s, "run": recorder(r)} for r, s in safe.items()}})
    for batch in (rows[:warmup], rows):  # warm up, then measure
        fired.clear()
        started = time.perf_counter()
        for i, facts in enumerate(batch):
            sid = f"s{i}"
            host.assert_fact(name, {"sid": sid, HANDLED_MARK: 1, **engine_fact(facts)})
            host.delete_state(name, sid)
    return len(rows) / (time.perf_counter() - started), len(fired) - len(rows)


def bench_isolated(dep: str, rows: list[dict], warmup: int) -> tuple[float, int]:
    """The path a worker's activity takes: the wrapper in the engine's own child process."""
    policies = IsolatedPolicies(ROOT / "policies", None)
    try:
        for facts in rows[:warmup]:
            policies.evaluate(dep, facts)
        started = time.perf_counter()
        fired = sum(len(policies.evaluate(dep, facts).fired) for facts in rows)
        return len(rows) / (time.perf_counter() - started), fired
    finally:
        policies.close()


def main(args: argparse.Namespace) -> None:
    book, dep = PolicyBook(ROOT / "policies", None, rules_engine()), args.departement
    try:
        policy = book.policy(dep)  # 1. the active policy, built by the project
    except PolicyInvalid as exc:
        print(f"policy {dep} refused, nothing to bench:\n{exc}")
        return
    spec = definition(tuple(policy.rules.values()))
    print(f"policy {policy.policy_id} {policy.version}: {len(spec)} rules ({policy.ruleset})")
    rng = random.Random(args.seed)  # 2. the same synthetic households on every run
    rows = [synthetic_facts(rng) for _ in range(max(args.evaluations, args.dry_run_rows))]
    sample = rows[: args.evaluations]

    for facts in sample[: args.warmup]:  # 3. the wrapper, as an activity calls it
        book.evaluate(dep, facts)
    started = time.perf_counter()
    wrapper_fired = sum(len(book.evaluate(dep, facts).fired) for facts in sample)
    wrapper = len(sample) / (time.perf_counter() - started)
    raw, raw_fired = bench_raw(spec, sample, args.warmup) if spec else (float("nan"), 0)
    isolated, isolated_fired = bench_isolated(dep, sample, args.warmup)

    print(f"\n{'side':<44}{'evaluations':>12}{'eval/s':>10}{'rules fired':>13}")
    for side, rate, count in (
        ("A wrapper (PolicyBook.evaluate)", wrapper, wrapper_fired),
        ("B raw durable_rules (same definition)", raw, raw_fired),
        ("C wrapper in the worker's engine child", isolated, isolated_fired),
    ):
        print(f"{side:<44}{len(sample):>12}{rate:>10.0f}{count:>13}")
    ratio = wrapper / raw if spec else float("nan")
    verdict = ("PASS" if ratio >= TARGET_RATIO else "FAIL") if spec else "n/a (no rules)"
    print(f"\nratio wrapper/raw: {ratio:.2f}  (target >= {TARGET_RATIO}) {verdict}")
    cost = (1 / isolated - 1 / wrapper) * 1e6
    print(f"engine in a child process: {isolated / wrapper:.2f}x the wrapper, +{cost:.0f} µs/eval")

    # 6. dry-run of a candidate: the département's file with one more rule
    text = candidate_text(book, dep, (ROOT / "policies" / f"{dep}.yaml").read_text())
    dry_rows, changed, failed = rows[: args.dry_run_rows], "n/a", False
    has_module = importlib.util.find_spec("rules.dry_run") is not None
    started = time.perf_counter()
    try:
        if has_module:
            households = ((f"h{i}", facts) for i, facts in enumerate(dry_rows))
            report = importlib.import_module("rules.dry_run").dry_run(book, dep, text, households)
            changed = changed_in(report)
        else:
            changed = f"{dry_run_loop(book, dep, text, dry_rows)} changed"
    except Exception as exc:  # say why; the exit code says it failed
        print(f"dry-run failed: {type(exc).__name__}: {exc}")
        failed = True
    elapsed = time.perf_counter() - started
    how = "rules.dry_run.dry_run" if has_module else "bench loop, PolicyBook.evaluate x2 per row"
    verdict = "FAIL" if changed == "n/a" or elapsed >= TARGET_DRY_RUN_S else "PASS"
    print(
        f"dry-run ({how}), candidate = {dep}.yaml + rule {EXTRA_RULE['id']}: "
        f"{len(dry_rows)} rows in {elapsed:.2f} s  (target < {TARGET_DRY_RUN_S:.0f} s) {verdict}; "
        f"households' decisions: {changed}"
    )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--departement", default="75")
    parser.add_argument("--evaluations", type=int, default=20_000, help="throughput rows")
    parser.add_argument("--dry-run-rows", type=int, default=100_000, help="dry-run rows")
    parser.add_argument("--warmup", type=int, default=500, help="unmeasured evaluations first")
    parser.add_argument("--seed", type=int, default=75)
    cli_args = parser.parse_args()
    with open(os.devnull, "w") as devnull:  # keep the project's log calls, not their output
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(devnull))
        main(cli_args)
