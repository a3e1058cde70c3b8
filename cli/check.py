"""`siao check [--repair] [--json] [--menage ID …]`: the consistency check from the command line.

Exit code: 0 when nothing is left to fix, 1 when something differs or is orphaned (with
`--repair`: what could not be repaired), 2 when Temporal or the database cannot be read.
"""

import argparse
import asyncio
import json
from collections.abc import Sequence

from core.clock import now
from models.consistency import CheckReport

FIELDS = {"stage": "étape", "overdue": "en retard", "next_deadline": "prochaine échéance"}
VALUES = {"true": "oui", "false": "non", None: "aucune"}
STATUSES = {
    "not_found": "introuvable",
    "completed": "terminé",
    "terminated": "arrêté manuellement",
    "failed": "en échec",
    "canceled": "annulé",
    "timed_out": "expiré",
}


def add_check_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = commands.add_parser("check", help="cohérence entre la base et les parcours Temporal")
    p.add_argument(
        "--repair",
        action="store_true",
        help="réécrire la base depuis les parcours et supprimer les saisies abandonnées",
    )
    p.add_argument("--json", dest="as_json", action="store_true", help="rapport en JSON")
    p.add_argument(
        "--menage",
        dest="household_ids",
        action="append",
        metavar="ID",
        help="ne contrôler que ce ménage (répétable ; défaut : tous)",
    )
    p.set_defaults(run=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    return asyncio.run(run_check(args.repair, args.as_json, args.household_ids))


async def run_check(repair: bool, as_json: bool, household_ids: Sequence[str] | None) -> int:
    # Imported here: `siao policies …` need neither Temporal nor the database.
    from sqlalchemy.exc import SQLAlchemyError

    from activities.consistency import check
    from core.db import get_engine
    from core.settings import get_settings
    from core.temporal import connect

    settings = get_settings()
    try:
        client = await connect(settings)
    except RuntimeError as exc:
        print(f"✘ Temporal injoignable à {settings.temporal_address} ({type(exc).__name__})")
        return 2
    try:
        report = await check(
            client, get_engine(), settings, repair=repair, now=now(), household_ids=household_ids
        )
    except SQLAlchemyError as exc:
        print(f"✘ base de données illisible ({type(exc).__name__}) : est-elle migrée ?")
        return 2
    if as_json:
        summary = {
            "clean": report.clean,
            "problems": report.problems,
            "remaining": report.remaining,
        }
        print(
            json.dumps({**summary, **report.model_dump(mode="json")}, ensure_ascii=False, indent=2)
        )
    else:
        print_check(report)
    return 0 if report.remaining == 0 else 1


def count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n <= 1 else plural}"


def mark(n: int) -> str:
    return "✘" if n else "✔"


def shown(value: str | None) -> str:
    return VALUES.get(value, value or "aucune")


def print_check(report: CheckReport) -> None:
    """The report in French: one block per kind of problem, « ✔ 0 … » when there is none."""
    fixed = report.repair
    print(f"Contrôle de cohérence du {report.checked_at:%d/%m/%Y %H:%M} (UTC)")
    print(
        f"  ménages comparés : {report.households_checked} ; "
        f"parcours en cours : {report.workflows_running}"
    )
    if report.recently_updated:
        print(
            f"  {report.recently_updated} ménage(s) modifié(s) il y a moins de "
            f"{report.settle_seconds} s : revus au prochain contrôle"
        )
    n = len(report.differences)
    print(f"{mark(n)} {count(n, 'différence', 'différences')} entre la base et les parcours")
    for d in report.differences:
        done = (" — corrigé" if d.repaired else " — non corrigé (modifié entre-temps)") * fixed
        print(
            f"  ménage {d.household_id}  {FIELDS[d.field]} : base « {shown(d.db_value)} », "
            f"parcours « {shown(d.workflow_value)} »{done}"
        )
    n = len(report.stale_submissions)
    stale = count(n, "saisie abandonnée", "saisies abandonnées")
    print(f"{mark(n)} {stale} (en attente, jamais appliquée{'s' * (n > 1)})")
    for s in report.stale_submissions:
        done = (" — supprimée" if s.purged else " — appliquée entre-temps, gardée") * fixed
        print(
            f"  ménage {s.household_id}  saisie {s.submission_id} ({s.action}, "
            f"{s.created_at:%d/%m/%Y %H:%M}){done}"
        )
    n = len(report.workflows_without_household)
    print(f"{mark(n)} {count(n, 'parcours', 'parcours')} sans ménage en base")
    for w in report.workflows_without_household:
        started = f", démarré le {w.started_at:%d/%m/%Y %H:%M}" if w.started_at else ""
        print(f"  {w.workflow_id}{started} (à examiner : rien n'est supprimé)")
    n = len(report.households_without_workflow)
    print(f"{mark(n)} {count(n, 'ménage ouvert', 'ménages ouverts')} sans parcours en cours")
    for h in report.households_without_workflow:
        status = STATUSES.get(h.status, h.status)
        print(f"  ménage {h.household_id}  {h.workflow_id} : {status} (à examiner)")
    n = len(report.unreachable)
    print(f"{mark(n)} {count(n, 'parcours illisible', 'parcours illisibles')} (worker arrêté ?)")
    for u in report.unreachable:
        print(f"  ménage {u.household_id}  {u.workflow_id} : {u.error}")
    if report.clean:
        print("Résultat : base et parcours cohérents.")
    else:
        repaired = report.problems - report.remaining
        print(
            f"Résultat : {count(report.problems, 'problème', 'problèmes')}"
            + (f", {repaired} corrigé(s)" if fixed else "")
            + f", {report.remaining} restant(s)."
        )
