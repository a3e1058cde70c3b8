"""`siao report activity --departement 75 --year 2026 [--format json|csv|html] [--output F]`:
the annual activity report from the command line, read from the configured database with the
département's policy (its CPO targets)."""

import argparse
import sys
from pathlib import Path

from activities.report import activity_report, as_csv
from api.report_html import render
from core.db import get_engine
from core.settings import get_settings
from models.schemas import DEPARTEMENT


def add_report_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = commands.add_parser("report", help="rapports : le rapport d'activité annuel")
    kinds = p.add_subparsers(dest="report", required=True)
    a = kinds.add_parser("activity", help="rapport d'activité d'un département pour une année")
    a.add_argument("--departement", required=True, help="code département (ex. 75, 2A, 971)")
    a.add_argument("--year", type=int, required=True, help="année civile (heure de Paris)")
    a.add_argument("--format", choices=("json", "csv", "html"), default="html")
    a.add_argument("--output", type=Path, help="fichier (défaut : la sortie standard)")
    a.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not DEPARTEMENT.fullmatch(args.departement):
        print(f"département « {args.departement} » inconnu", file=sys.stderr)
        return 2
    from rules.book import PolicyBook
    from rules.engine import rules_engine

    settings = get_settings()
    book = PolicyBook(settings.policies_dir, settings.policies_accepted_dir, rules_engine())
    found = activity_report(
        get_engine(), args.departement, args.year, book.policy(args.departement).targets
    )
    text = {
        "json": lambda: found.model_dump_json(indent=2),
        "csv": lambda: as_csv(found),
        "html": lambda: render(found, inline_style=True),
    }[args.format]()
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
