"""Policy staff's lifecycle over HTTP: list what is in force, validate, dry-run, then save.

A saved file is picked up by the running workers at their next evaluation; an invalid file is
refused here with its lines and reasons, and never written.
"""

import os
import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from api import dry_run_view
from api.disclosure import Access, Disclosed, Disclosure
from api.dry_run_view import DryRunView
from api.errors import ApiError
from api.permissions import Permission
from api.security import Principal, require
from api.state import BookDep, EngineDep
from models.departements import DEPARTEMENT_PATTERN
from models.pathway import Stage
from models.records import Household
from models.views import InvalidInput
from rules.book import NATIONAL, PolicyBook
from rules.document import PolicyInvalid
from rules.dry_run import dry_run

router = APIRouter(prefix="/policies", tags=["Politiques des départements"])
Departement = Annotated[str, Path(pattern=DEPARTEMENT_PATTERN)]


class PolicyText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(
        max_length=200_000, description="le fichier de politique du département, en YAML"
    )


class CaseOutcome(BaseModel):
    fichier: str
    cas: str
    reussi: bool
    regles: list[str]


class PolicySummary(BaseModel):
    departement: str
    policy_id: str
    version: str
    regles: int
    cas: list[CaseOutcome]
    refus_en_cours: list[str] = Field(default_factory=list, description="fichier sur disque refusé")


def _mine(principal: Principal, departement: str) -> None:
    if departement not in principal.departements:
        raise ApiError(403, "Accès refusé : la politique de ce département n'est pas la vôtre.")


Editor = Annotated[Principal, Depends(require(Permission.POLICY_EDIT))]
DryRunRead = Annotated[
    Disclosed,
    Depends(
        Disclosure(Access.SIMULATION, "simulation de politique", "effet d'une politique candidate"),
        scope="function",
    ),
]


def refused(description: str) -> dict[str, Any]:
    return {"model": InvalidInput, "description": description}


def _invalid(exc: PolicyInvalid) -> ApiError:
    return ApiError(
        422,
        "Politique refusée : corrigez les points signalés.",
        erreurs=[
            {"fichier": i.file, "ligne": i.line, "champ": i.field, "message": i.message}
            for i in exc.issues
        ],
    )


def _candidate(book: PolicyBook, departement: str, text: str) -> Any:
    """Built from bytes and text both checked by rules/policy_text.decode (UTF-8, in build)."""
    national = (book.policies_dir / f"{NATIONAL}.yaml").read_bytes()
    try:
        return book.build(departement, national, text, "candidate")
    except PolicyInvalid as exc:
        raise _invalid(exc) from exc


def _summary(book: PolicyBook, departement: str, policy: Any) -> PolicySummary:
    return PolicySummary(
        departement=departement,
        policy_id=policy.policy_id,
        version=policy.version,
        regles=len(policy.rules),
        cas=[
            CaseOutcome(fichier=r.file, cas=r.case.name, reussi=r.passed, regles=list(r.fired))
            for r in policy.results
        ],
        refus_en_cours=[str(i) for i in book.refused.get(departement, [])],
    )


@router.get(
    "",
    response_model=list[PolicySummary],
    summary="Politiques en vigueur (celles de vos départements)",
)
async def list_policies(
    book: BookDep, principal: Annotated[Principal, Depends(require(Permission.POLICY_READ))]
) -> list[PolicySummary]:
    departements = sorted(
        p.stem
        for p in book.policies_dir.glob("*.yaml")
        if p.stem != NATIONAL and p.stem in principal.departements  # only the caller's
    )

    def collect() -> list[PolicySummary]:
        summaries = []
        for departement in departements:
            try:
                summaries.append(_summary(book, departement, book.policy(departement)))
            except PolicyInvalid as exc:
                raise _invalid(exc) from exc
        return summaries

    return await run_in_threadpool(collect)


@router.post(
    "/{departement}/validate",
    response_model=PolicySummary,
    responses={422: refused("Politique refusée, avec lignes et motifs")},
    summary="Valider un fichier candidat et jouer ses cas de test",
)
async def validate(
    departement: Departement, body: PolicyText, book: BookDep, principal: Editor
) -> PolicySummary:
    _mine(principal, departement)
    policy = await run_in_threadpool(_candidate, book, departement, body.yaml)
    return _summary(book, departement, policy)


@router.post(
    "/{departement}/dry-run",
    response_model=DryRunView,
    summary="Ce que changerait le fichier candidat sur les parcours ouverts (des comptes)",
)
async def dry_run_policy(
    departement: Departement,
    body: PolicyText,
    book: BookDep,
    engine: EngineDep,
    principal: Editor,
    disclosed: DryRunRead,
) -> DryRunView:
    _mine(principal, departement)

    def run() -> DryRunView:
        with Session(engine) as session:
            rows = session.exec(
                select(Household.id, Household.facts).where(
                    Household.departement == departement, Household.stage != Stage.CLOSED
                )
            ).all()
            try:
                report = dry_run(book, departement, body.yaml, ((hid, dict(f)) for hid, f in rows))
            except PolicyInvalid as exc:
                raise _invalid(exc) from exc
            examples = dry_run_view.readable_examples(session, principal, book, report)
        disclosed.household(None, ["comptes par règle"], departement)
        for example, household_departement in examples:
            disclosed.household(example.household_id, ["règles déclenchées"], household_departement)
        return dry_run_view.view(report, [example for example, _ in examples])

    return await run_in_threadpool(run)


@router.put(
    "/{departement}",
    response_model=PolicySummary,
    responses={422: refused("Politique refusée : le fichier n'est pas écrit")},
    summary="Enregistrer la politique (prise en compte sans redémarrage)",
)
async def save(
    departement: Departement, body: PolicyText, book: BookDep, principal: Editor
) -> PolicySummary:
    _mine(principal, departement)

    def write() -> PolicySummary:
        policy = _candidate(book, departement, body.yaml)
        target = book.policies_dir / f"{departement}.yaml"
        fd, tmp = tempfile.mkstemp(dir=book.policies_dir, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body.yaml)
        os.replace(tmp, target)  # atomic: a worker never reads half a file
        return _summary(book, departement, policy)

    return await run_in_threadpool(write)
