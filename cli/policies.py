"""`siao policies …`: what policy staff run before saving a policy file.

siao policies validate FICHIER     schéma, vocabulaire, cas, couverture, contradictions
siao policies test [DEPT|FICHIER]  joue les cas de test, tableau réussi / en échec
siao policies dry-run FICHIER      ce que le fichier changerait sur les parcours ouverts
siao policies list                 versions en vigueur, fichiers refusés
siao policies reference            écrit docs/vocabulaire-des-regles.md
"""

import argparse
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from cli.output import print_issues, print_report, table
from core.settings import ROOT, get_settings
from rules.book import NATIONAL, PolicyBook
from rules.document import PolicyInvalid, located
from rules.dry_run import dry_run
from rules.engine import rules_engine
from rules.policy_files import (
    case_results,
    departement_files,
    departement_of,
    national_path,
    parse_pair,
    renamed,
    validate_file,
)
from rules.policy_text import read
from rules.reference import reference_markdown

REFERENCE = ROOT / "docs" / "vocabulaire-des-regles.md"


# -- validate ---------------------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"✘ {path} : fichier introuvable")
        return 1
    outcome = validate_file(path, args.policies)
    if outcome.issues:
        print(f"✘ {path.name} : {len(outcome.issues)} problème(s) à corriger")
        print_issues(outcome.issues)
        return 1
    print(f"✔ {path.name} est valide : {outcome.summary}")
    return 0


# -- test -------------------------------------------------------------------------------------
def _targets(target: str | None, policies: Path) -> list[tuple[Path, Path | None, bool]]:
    """(national file, département file or None, show national cases) to run."""
    if target is None:
        national = policies / f"{NATIONAL}.yaml"
        return [(national, None, True)] + [
            (national, f, False) for f in departement_files(policies)
        ]
    path = Path(target)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if departement_of(path) == "national":
            return [(path, None, True)]
        return [(national_path(path, policies), path, False)]
    local = policies / f"{target}.yaml"
    return [(policies / f"{NATIONAL}.yaml", local if local.is_file() else None, True)]


def cmd_test(args: argparse.Namespace) -> int:
    engine, rows, failed, broken = rules_engine(), [], [], 0
    for national, local, with_national in _targets(args.target, args.policies):
        for path in (national, local):
            if path is not None and not path.is_file():
                print(f"✘ {path} : fichier introuvable")
                return 1
        pair = parse_pair(national, local)
        if pair.issues:
            print(f"✘ {(local or national).name} : le fichier ne peut pas être lu")
            print_issues(pair.issues)
            broken += 1
            continue
        for result in case_results(engine, pair, with_national):
            mark = "✔" if result.passed else "✘"
            fired = ", ".join(dict.fromkeys(result.fired)) or "—"
            rows.append([result.file, result.case.name, mark, fired])
            if not result.passed:
                failed.append(result)
    if rows:
        table(["fichier", "cas", "résultat", "règles déclenchées"], rows)
    for result in failed:
        print(f"\n✘ {result.file} — {result.case.name}")
        print(f"    attendu : {', '.join(sorted(map(str, result.case.expect))) or 'aucune action'}")
        print(f"    obtenu  : {', '.join(sorted(map(str, result.got))) or 'aucune action'}")
    passed = len(rows) - len(failed)
    print(f"\n{len(rows)} cas : {passed} réussi(s), {len(failed)} en échec.")
    return 1 if failed or broken else 0


# -- dry-run ----------------------------------------------------------------------------------
def _facts_rows(engine: Engine, departement: str) -> Iterator[tuple[str, dict[str, Any]]]:
    from models.pathway import Stage
    from models.records import Household

    query = select(Household.id, Household.facts).where(
        col(Household.stage) != Stage.CLOSED, col(Household.departement) == departement
    )
    with engine.connect() as conn:
        for household_id, facts in conn.execution_options(yield_per=2000).execute(query):
            yield household_id, facts if isinstance(facts, dict) else {}


def _open_departements(engine: Engine) -> list[str]:
    from models.pathway import Stage
    from models.records import Household

    query = select(Household.departement).where(col(Household.stage) != Stage.CLOSED).distinct()
    with engine.connect() as conn:
        return sorted(d for (d,) in conn.execute(query))


@contextmanager
def _book(args: argparse.Namespace) -> Iterator[PolicyBook]:
    """A book like the worker's; it writes accepted copies when a file passes, so it gets a
    scratch copy of the worker's folder rather than the folder itself."""
    with tempfile.TemporaryDirectory(prefix="siao-policies-") as scratch:
        if args.accepted.is_dir():
            shutil.copytree(args.accepted, scratch, dirs_exist_ok=True)
        yield PolicyBook(args.policies, Path(scratch), rules_engine())


def _dry_runs(args: argparse.Namespace, book: PolicyBook, db: Engine) -> int:
    path = Path(args.file)
    try:
        text = read(path)
    except PolicyInvalid as exc:
        print_issues(exc.issues)
        return 1
    departement = departement_of(path)
    # département, local file (bytes: build decodes them), national text
    runs: list[tuple[str, str | bytes | None, str | None]] = []
    if departement != "national":
        runs.append((departement, text, None))
    else:
        for dep in [args.departement] if args.departement else _open_departements(db):
            local = args.policies / f"{dep}.yaml"
            runs.append((dep, local.read_bytes() if local.is_file() else None, text))
        if not runs:
            print("Aucun parcours ouvert : rien à simuler.")
    status = 0
    for dep, local_text, national_text in runs:
        try:
            book.policy(dep)
        except PolicyInvalid as exc:
            print(f"✘ département {dep} : aucune version en vigueur à comparer")
            print_issues(exc.issues)
            status = 1
            continue
        try:
            report = dry_run(
                book,
                dep,
                local_text,
                _facts_rows(db, dep),
                candidate_national_text=national_text,
                examples=args.examples,
            )
        except PolicyInvalid as exc:
            print(f"✘ {path.name} ({dep}) : le fichier candidat est refusé")
            label = f"{NATIONAL}.yaml" if national_text is not None else f"{dep}.yaml"
            print_issues(located(renamed(exc.issues, label, path.name), {path.name: text}))
            status = 1
            continue
        print_report(path.name, report)
    return status


def cmd_dry_run(args: argparse.Namespace) -> int:
    from core.db import get_engine as db_engine
    from core.db import make_engine

    if not Path(args.file).is_file():
        print(f"✘ {args.file} : fichier introuvable")
        return 1
    db = make_engine(args.database_url) if args.database_url else db_engine()
    try:
        with _book(args) as book:
            return _dry_runs(args, book, db)
    except SQLAlchemyError as exc:
        print(f"✘ base de données illisible ({type(exc).__name__}) : est-elle migrée ?")
        return 1


# -- list -------------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    with _book(args) as book:
        rows, refused = [], []
        for path in [args.policies / f"{NATIONAL}.yaml", *departement_files(args.policies)]:
            if not path.is_file():
                continue
            # The national file alone is what a département without a file of its own gets.
            dep = "national" if path.stem == NATIONAL else path.stem
            try:
                policy = book.policy(dep)
            except PolicyInvalid:
                policy = None
            doc = policy and (policy.national if dep == "national" else policy.local)
            state = "en vigueur"
            if issues := book.refused.get(dep, []):
                refused.append((path.name, issues))
                state = "refusé : " + (
                    "aucune version en vigueur"
                    if policy is None
                    else "la version précédente reste en vigueur"
                )
            cells = (
                [doc.version, doc.effective_date.isoformat(), doc.author]
                + [str(len(doc.rules)), str(len(doc.cases))]
                if doc
                else ["—"] * 5
            )
            rows.append([path.name, *cells, state])
    table(["fichier", "version", "date d'effet", "auteur", "règles", "cas", "état"], rows)
    for name, issues in refused:
        print(f"\n✘ {name} est refusé :")
        print_issues(issues)
    return 1 if refused else 0


# -- reference --------------------------------------------------------------------------------
def cmd_reference(args: argparse.Namespace) -> int:
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = reference_markdown()
    out.write_text(text, encoding="utf-8")
    shown = (
        out.resolve().relative_to(Path.cwd()) if out.resolve().is_relative_to(Path.cwd()) else out
    )
    print(f"✔ {shown} écrit ({len(text.splitlines())} lignes).")
    return 0


def add_policies_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    settings = get_settings()
    policies = commands.add_parser("policies", help="politiques des départements (règles YAML)")
    policies.add_argument(
        "--policies", type=Path, default=settings.policies_dir, help="dossier des politiques"
    )
    policies.add_argument(
        "--accepted",
        type=Path,
        default=settings.policies_accepted_dir,
        help="dossier des dernières versions acceptées",
    )
    sub = policies.add_subparsers(dest="action", required=True)
    p = sub.add_parser("validate", help="valider un fichier candidat")
    p.add_argument("file", help="fichier de département (ou _national.yaml)")
    p.set_defaults(run=cmd_validate)
    p = sub.add_parser("test", help="jouer les cas de test")
    p.add_argument("target", nargs="?", help="numéro de département ou fichier (défaut : tous)")
    p.set_defaults(run=cmd_test)
    p = sub.add_parser("dry-run", help="simuler un fichier candidat sur les parcours ouverts")
    p.add_argument("file", help="fichier candidat")
    p.add_argument("--departement", help="avec _national.yaml : un seul département")
    p.add_argument("--database-url", help="base à lire (défaut : SIAO_DATABASE_URL)")
    p.add_argument("--exemples", dest="examples", type=int, default=5, help="ménages montrés")
    p.set_defaults(run=cmd_dry_run)
    p = sub.add_parser("list", help="versions en vigueur")
    p.set_defaults(run=cmd_list)
    p = sub.add_parser("reference", help="écrire la page de référence du vocabulaire")
    p.add_argument("--output", type=Path, default=REFERENCE)
    p.set_defaults(run=cmd_reference)
