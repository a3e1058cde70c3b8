"""One département's policy in force: its deadlines, compiled rules and documents, and what
is read from them (the facts a rule sees, the ranking, the targets, the protocols). The book
that reads, checks and swaps them is rules/book.py."""

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from models.decisions import DeadlineDurations
from models.indicators import Indicator
from models.vocab_orientation import DEFAULT_RANKING, RankingCriterion
from rules.checks import CaseResult
from rules.deadlines import days
from rules.document import PolicyDocument, Rule
from rules.protocols import resolve
from rules.vocabulary import default_facts

if TYPE_CHECKING:  # not at run time: the engine's child process stays free of the SQL models
    from models.offer import StructureKind
    from models.protocol import ProtocolTerms

DEFAULTS = default_facts()


def complete_facts(facts: dict[str, Any], abnormal_stay_days: int) -> dict[str, Any]:
    """Every vocabulary fact, and those the policy derives (the same for cases and pathways)."""
    complete = {**DEFAULTS, **{k: v for k, v in facts.items() if k in DEFAULTS}}
    shelter = complete["days_in_shelter"]
    # R-HOUS-1: "abnormally long" is the policy's own duration, not a number in a rule.
    complete["long_stay"] = isinstance(shelter, int) and shelter >= abnormal_stay_days
    return complete


@dataclass(frozen=True)
class Policy:
    departement: str
    policy_id: str
    version: str
    deadlines: DeadlineDurations
    rules: dict[str, Rule]
    ruleset: str
    national: PolicyDocument
    local: PolicyDocument | None
    results: tuple[CaseResult, ...] = field(default=())

    @cached_property
    def abnormal_stay_days(self) -> int:
        return days(self.deadlines.abnormal_stay)

    @property
    def ranking(self) -> tuple[RankingCriterion, ...]:
        """The order of a vacancy's candidates: the département's, else the national one."""
        return (
            (self.local.ranking if self.local else ()) or self.national.ranking or DEFAULT_RANKING
        )

    @property
    def targets(self) -> dict[Indicator, float]:
        """The CPO targets: the national ones, then the département's over them."""
        return {**self.national.targets, **(self.local.targets if self.local else {})}

    def terms(self, kind: "StructureKind") -> "ProtocolTerms":
        """The orientation protocol of a `kind` structure here (delays, refusal consequences)."""
        return resolve(self.national, self.local, kind, self.version)
