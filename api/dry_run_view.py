"""What a policy dry-run tells its caller over HTTP (rules/dry_run.py computes it).

Counts only, each under 5 shown as « < 5 » (a rule that fires for two households would single
them out); households by id only to a caller who may read them, their rules under the same
need-to-know rule as any answer (api/redaction.py). Every dry-run is audited by its route.
"""

from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session

from api import viewers
from api.permissions import Permission
from api.security import Principal, in_scope
from models.records import Household
from models.sensitivity import masked
from rules.book import PolicyBook
from rules.dry_run import DryRunReport, HouseholdChange

Count = int | str


class MaskedRuleCount(BaseModel):
    rule_id: str
    title: str
    before: Count
    after: Count


class DryRunView(BaseModel):
    """Ce que changerait la politique candidate : des comptes (« < 5 » sous 5), et des ménages
    seulement pour qui peut les lire."""

    departement: str
    active_version: str
    candidate_version: str
    pathways: Count
    distinct_situations: Count
    rules_added: list[str] = Field(default_factory=list)
    rules_removed: list[str] = Field(default_factory=list)
    rules_changed: list[str] = Field(default_factory=list)
    counts: list[MaskedRuleCount] = Field(default_factory=list)
    changed: Count = 0
    examples: list[HouseholdChange] = Field(
        default_factory=list, description="ménages concernés que votre rôle peut lire"
    )


def readable_examples(
    session: Session, principal: Principal, book: PolicyBook, report: DryRunReport
) -> list[tuple[HouseholdChange, str]]:
    """The report's example households the caller may read, with their département."""
    if not principal.can(Permission.READ):
        return []
    shown: list[tuple[HouseholdChange, str]] = []
    for example in report.examples:
        household = session.get(Household, example.household_id)
        if household is None or not in_scope(session, principal, household):
            continue
        seen = viewers.viewer(
            principal, stage=household.stage, departement=household.departement, book=book
        )
        if not seen.sensitive:  # which rules fired tells the situation they test
            example = example.model_copy(
                update={
                    "rules_before": [r for r in example.rules_before if seen.rules.shows(r)],
                    "rules_after": [r for r in example.rules_after if seen.rules.shows(r)],
                    "actions_before": [],
                    "actions_after": [],
                }
            )
        shown.append((example, household.departement))
    return shown


def view(report: DryRunReport, examples: list[HouseholdChange]) -> DryRunView:
    data: dict[str, Any] = report.model_dump(exclude={"counts", "examples"})
    for name in ("pathways", "distinct_situations", "changed"):
        data[name] = masked(data[name])
    return DryRunView(
        **data,
        counts=[
            MaskedRuleCount(
                rule_id=c.rule_id, title=c.title, before=masked(c.before), after=masked(c.after)
            )
            for c in report.counts
        ],
        examples=examples,
    )
