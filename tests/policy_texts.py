"""A département's policy text over the real national file, built by the real book: for the
tests of one section of the policy files (ranking, targets…)."""

from pathlib import Path

import pytest

from rules.book import NATIONAL, PolicyBook
from rules.document import PolicyInvalid
from rules.engine import rules_engine
from rules.policy_text import Issue

POLICIES = Path(__file__).parent.parent / "policies"
NATIONAL_TEXT = (POLICIES / f"{NATIONAL}.yaml").read_text(encoding="utf-8")
# Five lines: a section written after it starts on line 6.
HEADER = 'departement: "93"\nversion: "t"\neffective_date: 2026-12-01\nauthor: Test\n'
HEADER += "description: essai\n"


def book() -> PolicyBook:
    return PolicyBook(POLICIES, None, rules_engine())


def issues_of(local: str) -> list[Issue]:
    """Why the book refuses `local` (the département 93's file) over the national one."""
    with pytest.raises(PolicyInvalid) as err:
        book().build("93", NATIONAL_TEXT, local, "section-test")
    return err.value.issues
