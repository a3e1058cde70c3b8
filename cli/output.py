"""What the `siao` command prints: French tables, issues, dry-run reports."""

from collections.abc import Sequence
from typing import Any

from rules.dry_run import DryRunReport


def number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: frozenset[int] = frozenset()
) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        cells = [
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


def print_issues(issues: Sequence[Any]) -> None:
    for issue in issues:
        print(f"  - {issue}")


def print_report(name: str, report: DryRunReport) -> None:
    """How a dry-run would change decisions, in French."""
    print(f"Simulation de {name} sur les parcours ouverts du département {report.departement}")
    print(f"  version en vigueur : {report.active_version}")
    print(f"  version candidate  : {report.candidate_version}")
    print(
        f"  parcours ouverts   : {number(report.pathways)} "
        f"({number(report.distinct_situations)} situations distinctes)"
    )
    for label, ids in (
        ("règles ajoutées", report.rules_added),
        ("règles retirées", report.rules_removed),
        ("règles modifiées", report.rules_changed),
    ):
        print(f"  {label} : {', '.join(ids) or 'aucune'}")
    print()
    rows = [
        [
            c.rule_id,
            number(c.before),
            number(c.after),
            f"{c.after - c.before:+d}" if c.after != c.before else "=",
        ]
        for c in report.counts
    ]
    table(["règle", "avant", "après", "écart"], rows, right=frozenset({1, 2, 3}))
    print(
        f"\nMénages dont les décisions changeraient : {number(report.changed)} "
        f"sur {number(report.pathways)}"
    )
    if report.examples:
        print("Exemples :")
    for ex in report.examples:
        print(f"  ménage {ex.household_id}")
        for label, actions, rules in (
            ("avant", ex.actions_before, ex.rules_before),
            ("après", ex.actions_after, ex.rules_after),
        ):
            fired = f"  [règles : {', '.join(rules)}]" if rules else ""
            print(f"    {label} : {'; '.join(actions) or 'aucune action'}{fired}")
