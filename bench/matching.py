"""Bench: ranking one vacancy among N waiting households (issue 11, item 7), through the
project's own ranking (api/matching.py: SQL filter and order, explanations for the top 20)
beside a bare SQL query of the same filter and order, in the same run, on SQLite and (given
`--postgres URL`) on PostgreSQL.

    .venv/bin/python bench/matching.py [--households 50000] [--runs 200] [--postgres URL]

Each database gets its own throw-away copy (a temporary SQLite file; a schema of its own on
PostgreSQL, dropped at the end). A report: a missed target exits 0; a failed step, or a project
order that differs from the bare query's, exits 1.
"""

import argparse
import random
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent  # run as a script, the project packages live one level up
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from api import matching  # noqa: E402
from bench.databases import throwaway  # noqa: E402
from core import clock  # noqa: E402
from models import matching as _snapshots  # noqa: E402, F401  (its table, in the metadata)
from models.offer import Place, Structure, StructureKind  # noqa: E402
from models.pathway import Stage  # noqa: E402
from models.protocol import ProposalStatus  # noqa: E402
from models.records import Household  # noqa: E402
from models.vacancy import Proposal, Vacancy  # noqa: E402
from models.vocab import Flag, Vulnerability  # noqa: E402
from models.vocab_orientation import DEFAULT_RANKING, PlaceType, RankingCriterion  # noqa: E402

TARGET_P99_MS = 200.0
DEP, TOP = "75", 20
CRITERIA = (RankingCriterion.VULNERABILITE, RankingCriterion.SEJOUR_LONG, *DEFAULT_RANKING[1:])
PLACES = [PlaceType.PENSION_FAMILLE, PlaceType.IML, PlaceType.CHRS, PlaceType.LOGEMENT_ORDINAIRE]
STAGES = [Stage.COMMISSION] * 6 + [Stage.IN_DEPTH_EVALUATED, Stage.ADMITTED, Stage.REPORTED]
REQUIREMENT = {"fact": "applicant_sex", "rule": "must_not", "codes": ["homme"]}
# The same filter and order as api/matching.py, written by hand: the baseline.
BARE = """
SELECT id FROM household
WHERE departement = :dep AND stage = :stage AND recommended_place = :place
  AND (held_until IS NULL OR held_until <= :now) AND awaiting_reassessment = false
  AND id NOT IN (SELECT household_id FROM proposal WHERE vacancy_id = :vacancy)
  AND NOT (COALESCE({sex}, '') IN ('homme'))
ORDER BY CASE vulnerability WHEN 'critique' THEN 0 WHEN 'elevee' THEN 1 WHEN 'moyenne' THEN 2
                            WHEN 'faible' THEN 3 ELSE 4 END,
         CASE WHEN CAST(flags AS VARCHAR) LIKE '%"long_stay_review"%' THEN 0 ELSE 1 END,
         seniority_since IS NULL, seniority_since, tie_breaker, id
LIMIT :top
"""
SEX = {"sqlite": "json_extract(facts, '$.applicant_sex')", "postgresql": "facts->>'applicant_sex'"}


def households(n: int, rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for _ in range(n):
        vulnerable = rng.choice([v.value for v in Vulnerability])
        rows.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "departement": DEP,
                "typology": "personne_isolee",
                "residential_situation": "rue",
                "time_without_housing": "1_6_mois",
                "contact_channel": "maraude",
                "encountered_at": now - timedelta(days=rng.randint(1, 1500)),
                "seniority_since": now - timedelta(days=rng.randint(1, 1500)),
                "workflow_id": "parcours-bench",
                "stage": rng.choice(STAGES).value,
                "overdue": False,
                "facts": {
                    "applicant_sex": rng.choice(["homme", "femme"]),
                    "has_children": rng.random() < 0.3,
                    "vulnerability": vulnerable,
                },
                "thematic_referents": [],
                "flags": [Flag.LONG_STAY_REVIEW.value] if rng.random() < 0.05 else [],
                "proposed_accompaniments": [],
                "recommended_place": rng.choice(PLACES).value,
                "vulnerability": vulnerable,
                "awaiting_reassessment": rng.random() < 0.02,
                "held_until": now + timedelta(days=10) if rng.random() < 0.02 else None,
                "tie_breaker": rng.random(),
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def populate(engine: Engine, n: int, seed: int) -> tuple[Vacancy, Structure]:
    SQLModel.metadata.create_all(engine)
    rng, now = random.Random(seed), clock.now()
    rows = households(n, rng, now)
    with Session(engine) as session:
        for start in range(0, n, 5000):
            session.execute(insert(Household), rows[start : start + 5000])
        structure = Structure(
            name="Pension de famille du bench",
            departement=DEP,
            kind=StructureKind.PENSION_FAMILLE,
            commune="75056",
            requirements=[REQUIREMENT],
        )
        session.add(structure)
        session.flush()
        place = Place(structure_id=structure.id or 0, label="Studio 1")
        session.add(place)
        session.flush()
        vacancy = Vacancy(
            id="vacance-1-1",
            place_id=place.id or 0,
            number=1,
            departement=DEP,
            structure_id=structure.id or 0,
            declared_at=now,
        )
        session.add(vacancy)
        session.add(
            Proposal(
                vacancy_id=vacancy.id,
                place_id=place.id or 0,
                household_id=rows[0]["id"],
                status=ProposalStatus.REFUSED,
                proposed_at=now,
            )
        )
        session.commit()
        session.refresh(vacancy)
        session.refresh(structure)
        session.expunge_all()
    with engine.connect() as conn:  # fresh statistics for the planner
        conn.execute(text("ANALYZE"))
        conn.commit()
    return vacancy, structure


def timed(runs: int, once: Any) -> tuple[list[float], Any]:
    once()  # warm the caches and the statement cache
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = once()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times), result


def pct(times: list[float], p: float) -> float:
    return times[min(len(times) - 1, int(len(times) * p))]


def bench(name: str, engine: Engine, args: argparse.Namespace) -> bool:
    started = time.perf_counter()
    vacancy, structure = populate(engine, args.households, args.seed)
    print(f"== {name} : {args.households} ménages chargés en {time.perf_counter() - started:.1f} s")
    dialect = engine.dialect.name

    def project() -> list[str]:
        with Session(engine) as session:
            found = matching.ranked(
                session, vacancy, structure, CRITERIA, "bench", clock.now(), TOP
            )
        return [c.household_id for c in found.candidates]

    bare_sql = text(BARE.format(sex=SEX[dialect]))

    def bare() -> list[str]:
        params = {
            "dep": DEP,
            "stage": Stage.COMMISSION.value,
            "place": PlaceType.PENSION_FAMILLE.value,
            "now": clock.now(),
            "vacancy": vacancy.id,
            "top": TOP,
        }
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(bare_sql, params)]

    bare_times, bare_ids = timed(args.runs, bare)
    project_times, project_ids = timed(args.runs, project)
    print(f"{'côté':<10}{'p50 ms':>10}{'p99 ms':>10}")
    for side, times in (("bare", bare_times), ("project", project_times)):
        print(f"{side:<10}{pct(times, 0.5):>10.2f}{pct(times, 0.99):>10.2f}")
    p99 = pct(project_times, 0.99)
    ratio = p99 / max(pct(bare_times, 0.99), 1e-9)
    met = "atteinte" if p99 < TARGET_P99_MS else "MANQUÉE"
    print(f"ratio project/bare p99 {ratio:.2f} ; cible p99 < {TARGET_P99_MS:.0f} ms : {met}")
    if project_ids != bare_ids or len(project_ids) != min(TOP, len(bare_ids)):
        print(f"ÉCHEC : l'ordre du projet diffère de la requête nue\n{project_ids}\n{bare_ids}")
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--postgres", help="URL PostgreSQL (un schéma jetable y est créé)")
    args = parser.parse_args()
    ok = True
    for label, engine in throwaway("bench-matching", args.postgres):
        ok = bench(label, engine, args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
