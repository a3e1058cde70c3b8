"""Policy files on disk for the command line: which département a file is for, validating a
candidate against the national file next to it, running the cases for a table."""

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rules.book import NATIONAL, PolicyBook
from rules.checks import CaseResult, run_cases
from rules.compiler import definition, engine_fact, ruleset_name
from rules.document import Issue, PolicyDocument, PolicyInvalid, Rule, located, parse_document
from rules.engine import RulesEngine, rules_engine
from rules.policy_text import load, read


def departement_of(path: Path) -> str:
    """'national' for the national file; else the file's `departement`, or its name."""
    if path.stem == NATIONAL:
        return "national"
    try:
        _, raw = load(path.name, read(path))
    except (OSError, PolicyInvalid):
        raw = None
    value = raw.get("departement") if isinstance(raw, dict) else None
    return str(value) if isinstance(value, str | int) and str(value) else path.stem


def national_path(candidate: Path, policies: Path) -> Path:
    """The national file beside the candidate, else the one in the policies folder."""
    beside = candidate.parent / f"{NATIONAL}.yaml"
    return beside if beside.is_file() else policies / f"{NATIONAL}.yaml"


def departement_files(policies: Path) -> list[Path]:
    return sorted(p for p in policies.glob("*.yaml") if not p.stem.startswith("_"))


@dataclass
class Outcome:
    issues: list[Issue] = field(default_factory=list)
    summary: str = ""


def renamed(issues: list[Issue], default: str, actual: str) -> list[Issue]:
    return [dataclasses.replace(i, file=actual) if i.file == default else i for i in issues]


def validate_file(path: Path, policies: Path) -> Outcome:
    """Every check the worker runs before accepting the file (and, for the national file, every
    département file beside it, whose cases also see the national rules)."""
    try:
        text = read(path)
    except PolicyInvalid as exc:
        return Outcome(exc.issues)
    departement = departement_of(path)
    book = PolicyBook(path.parent, None, rules_engine())
    issues: list[Issue] = []
    if departement == "national":
        texts = {path.name: text}
        checked = []
        try:
            policy = book.build(NATIONAL, text, None, "validate")
        except PolicyInvalid as exc:
            issues += renamed(exc.issues, f"{NATIONAL}.yaml", path.name)
        for local in departement_files(path.parent) or departement_files(policies):
            dep = departement_of(local)
            try:
                texts[local.name] = local_text = read(local, f"{dep}.yaml")
                book.build(dep, text, local_text, "validate")
                checked.append(dep)
            except PolicyInvalid as exc:
                named = renamed(exc.issues, f"{NATIONAL}.yaml", path.name)
                issues += [i for i in renamed(named, f"{dep}.yaml", local.name) if i not in issues]
        if issues:
            return Outcome(located(issues, texts))
        shown = ", ".join(checked) or "aucun"
        return Outcome(
            summary=f"{len(policy.rules)} règle(s), {len(policy.results)} cas de test réussis "
            f"(version {policy.version}) ; fichiers de département vérifiés avec lui : {shown}"
        )
    national = national_path(path, policies)
    if not national.is_file():
        return Outcome([Issue(national.name, None, "", "fichier national introuvable")])
    try:
        national_text = read(national, f"{NATIONAL}.yaml")
    except PolicyInvalid as exc:
        return Outcome(exc.issues)
    try:
        policy = book.build(departement, national_text, text, "validate")
    except PolicyInvalid as exc:
        issues = renamed(exc.issues, f"{departement}.yaml", path.name)
        return Outcome(located(issues, {path.name: text, national.name: national_text}))
    doc = policy.local
    assert doc is not None
    own = sum(1 for r in policy.results if r.file == f"{departement}.yaml")
    return Outcome(
        summary=f"{len(doc.rules)} règle(s) du département, {own} cas de test réussis, "
        f"version {policy.version} (avec les {len(policy.national.rules)} règles nationales)"
    )


@dataclass
class Pair:
    national: PolicyDocument | None = None
    local: PolicyDocument | None = None
    issues: list[Issue] = field(default_factory=list)


def parse_pair(national: Path, local: Path | None) -> Pair:
    pair = Pair()
    for path in filter(None, (national, local)):
        try:
            doc = parse_document(path.name, read(path))
        except PolicyInvalid as exc:
            pair.issues += exc.issues
            continue
        if path is national:
            pair.national = doc
        else:
            pair.local = doc
    return pair


def _run(engine: RulesEngine, file: str, doc: PolicyDocument, rules: dict[str, Rule]) -> Any:
    spec = definition(tuple(rules.values()))
    name = ruleset_name(f"test_{file}", doc.version, spec)
    engine.load(f"cli-test:{file}", name, spec)
    return run_cases(
        file, doc.cases, rules, lambda facts: engine.evaluate(name, [engine_fact(facts)])[0]
    )


def case_results(engine: RulesEngine, pair: Pair, with_national: bool) -> list[CaseResult]:
    """The national cases against the national rules, the département's against both (as
    PolicyBook.build runs them), even when some fail."""
    assert pair.national is not None
    national_rules = {r.id: r for r in pair.national.rules}
    results: list[CaseResult] = []
    if with_national:
        results += _run(engine, pair.national.file, pair.national, national_rules)
    if pair.local is not None:
        merged = {**national_rules, **{r.id: r for r in pair.local.rules}}
        results += _run(engine, pair.local.file, pair.local, merged)
    return results
