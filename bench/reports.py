"""Bench: the annual activity report (issue 12, item 9) over N households and M timeline events,
through the project's own report (activities/report.py: every indicator, the monthly flows, the
offer, the data quality) beside the bare SQL of its largest query (the timeline's monthly flows)
in the same run, on SQLite and (given `--postgres URL`) on PostgreSQL.

    .venv/bin/python bench/reports.py [--households 100000] [--events 1000000] [--postgres URL]

Each database gets its own throw-away copy (a temporary SQLite file; a schema of its own on
PostgreSQL, dropped at the end). A report: a missed target exits 0; a failed step, or flows
that differ from the bare query's, exits 1.
"""

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent  # run as a script, the project packages live one level up
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import models.commissions  # noqa: E402  (every table in the metadata)
import models.matching  # noqa: E402, F401
from activities import report  # noqa: E402
from bench.databases import throwaway  # noqa: E402
from core import clock  # noqa: E402
from models.evaluations import FlashEvaluation, InDepthEvaluation, Placement  # noqa: E402
from models.records import Household, TimelineEvent  # noqa: E402

TARGET_S = 2.0
DEP, YEAR = "75", 2025
START = datetime(YEAR, 1, 1, tzinfo=UTC)
ACTIONS = ["report", "flash_evaluation", "in_depth_evaluation", "review", "admission", "housing"]
# The report's largest query, by hand: one month's events by action, from the same index.
FLOWS = """
SELECT action, count(*) FROM timelineevent
WHERE departement = :dep AND occurred_at >= :start AND occurred_at < :end GROUP BY action
"""


def _moment(rng: random.Random) -> datetime:
    return START + timedelta(minutes=rng.randint(0, 365 * 24 * 60 - 1))


def populate(engine: Engine, households: int, events: int, seed: int) -> None:
    SQLModel.metadata.create_all(engine)
    rng, now = random.Random(seed), clock.now()
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(households)]
    rows: dict[Any, list[dict[str, Any]]] = {
        Household: [],
        FlashEvaluation: [],
        InDepthEvaluation: [],
        Placement: [],
    }
    for hid in ids:
        met = _moment(rng)
        rows[Household].append(
            {
                "id": hid,
                "departement": DEP,
                "encountered_at": met,
                "workflow_id": "p",
                "stage": "admitted",
                "typology": "personne_isolee",
                "residential_situation": "rue",
                "time_without_housing": "non_renseigne",
                "contact_channel": "maraude",
                "overdue": False,
                "facts": {},
                "thematic_referents": [],
                "flags": [],
                "proposed_accompaniments": [],
                "awaiting_reassessment": False,
                "tie_breaker": rng.random(),
                "created_at": now,
                "updated_at": now,
            }
        )
        if rng.random() < 0.8:
            rows[FlashEvaluation].append(
                {
                    "household_id": hid,
                    "submission_id": uuid.uuid4().hex,
                    "recorded_at": now,
                    "evaluated_at": met + timedelta(hours=rng.randint(1, 200)),
                    "evaluator_structure": "Maraude",
                    "vulnerability": "moyenne",
                    "immediate_needs": [],
                    "shelter_requested": True,
                    "expertise_needed": [],
                    "first_orientation": "adaptee",
                }
            )
        if rng.random() < 0.4:
            rows[Placement].append(
                {
                    "household_id": hid,
                    "submission_id": uuid.uuid4().hex,
                    "recorded_at": now,
                    "started_at": met + timedelta(days=rng.randint(10, 90)),
                    "structure": "CHRS",
                    "place_type": "chrs",
                    "kind": "admission",
                }
            )
    with engine.begin() as conn:
        for table, batch in rows.items():
            for start in range(0, len(batch), 5000):
                conn.execute(insert(table), batch[start : start + 5000])
        for start in range(0, events, 20000):
            conn.execute(
                insert(TimelineEvent),
                [
                    {
                        "household_id": rng.choice(ids),
                        "departement": DEP,
                        "workflow_id": "p",
                        "action": rng.choice(ACTIONS),
                        "actor": "bench",
                        "occurred_at": _moment(rng),
                        "recorded_at": now,
                        "detail": {},
                    }
                    for _ in range(min(20000, events - start))
                ],
            )
        if engine.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":  # as autovacuum would: statistics, visibility map
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def bench(name: str, engine: Engine, args: argparse.Namespace) -> bool:
    started = time.perf_counter()
    populate(engine, args.households, args.events, args.seed)
    print(
        f"== {name} : {args.households} ménages, {args.events} événements chargés en "
        f"{time.perf_counter() - started:.1f} s"
    )
    scope = report.year_scope(DEP, YEAR)
    sql = text(FLOWS)
    bare: dict[str, dict[str, int]] = {}
    bare_s: list[float] = []
    project_s: list[float] = []
    done = None
    for _ in range(args.runs):
        t0 = time.perf_counter()
        with engine.connect() as conn:
            bare = {}
            for month, start, end in report.months(scope):
                for action, count in conn.execute(sql, {"dep": DEP, "start": start, "end": end}):
                    bare.setdefault(month, {})[str(action)] = int(count)
        bare_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        done = report.activity_report(engine, DEP, YEAR, {})
        project_s.append(time.perf_counter() - t0)
    best_bare, best_project = min(bare_s), min(project_s)
    print(f"{'côté':<34}{'meilleur s':>12}{'pire s':>10}")
    print(f"{'bare (flux mensuels seuls)':<34}{best_bare:>12.3f}{max(bare_s):>10.3f}")
    print(f"{'project (rapport entier)':<34}{best_project:>12.3f}{max(project_s):>10.3f}")
    met = "atteinte" if max(project_s) < TARGET_S else "MANQUÉE"
    print(
        f"ratio project/bare {best_project / max(best_bare, 1e-9):.2f} ; "
        f"cible < {TARGET_S:g} s : {met}"
    )
    if done is None or not bare or done.monthly_flows != bare:  # and never both empty
        print("ÉCHEC : les flux mensuels du rapport diffèrent de la requête nue (ou manquent)")
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--postgres", help="URL PostgreSQL (un schéma jetable y est créé)")
    args = parser.parse_args()
    ok = True
    for label, engine in throwaway("bench-reports", args.postgres):
        ok = bench(label, engine, args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
