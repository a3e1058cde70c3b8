"""One clock (core/clock.py): aware UTC, Paris dates, frozen by freezegun in pure unit tests;
ages the rules see are ages at the encounter, not today."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time
from pydantic import ValidationError

from api import examples, facts
from core import clock
from models.schemas import ExitCreate, FirstContactCreate
from models.vocab_orientation import ExitSituation

ROOT = Path(__file__).resolve().parent.parent
# Reading the wall clock anywhere but core/clock.py (workflows read workflow.now()).
WALL_CLOCK = re.compile(r"datetime\.(now|utcnow|today)\(|\butcnow\(|date\.today\(|time\.time\(")
SKIPPED = {".venv", ".git", "var", "histories", "node_modules", "__pycache__", ".mypy_cache"}


def test_now_is_aware_utc_and_today_is_a_paris_date():
    with freeze_time("2025-12-31T23:30:00Z"):  # 00:30 on 1 January in Paris
        assert clock.now() == datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
        assert clock.now().utcoffset() is not None
        assert clock.today_paris() == date(2026, 1, 1)


def single(birth_year: int, encountered_at: str) -> FirstContactCreate:
    member = {**examples.first_contact()["members"][0], "birth_year": birth_year}
    return FirstContactCreate.model_validate(
        examples.first_contact(encountered_at=encountered_at, members=[member])
    )


@freeze_time("2026-01-02T09:00:00Z")
def test_ages_are_the_ones_at_the_encounter():
    # Met on 31 December 2025, entered two days later: born in 2008, 17 at the encounter.
    body = single(2008, "2025-12-31T22:00:00+01:00")
    seen = facts.of_first_contact(body)
    assert seen.minor_alone is True and seen.young_adult is False
    # The encounter's year is the Paris one: 23:30 UTC on 31 December is 1 January in Paris.
    seen = facts.of_first_contact(single(2008, "2025-12-31T23:30:00Z"))
    assert seen.minor_alone is False and seen.young_adult is True


@freeze_time("2026-03-01T12:00:00Z")
def test_bodies_read_the_clock_for_defaults_and_the_future():
    assert ExitCreate(exit_situation=ExitSituation.LOGEMENT_SOCIAL).exited_at == clock.now()
    with pytest.raises(ValidationError, match="futur"):
        ExitCreate(exit_situation=ExitSituation.LOGEMENT_SOCIAL, exited_at="2026-03-02T12:00:00Z")
    with pytest.raises(ValidationError, match="futur"):
        single(2027, "2026-03-01T10:00:00Z")  # a birth year to come


def test_nothing_else_reads_the_wall_clock():
    own = {Path(__file__).resolve(), ROOT / "core" / "clock.py"}
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in ROOT.rglob("*.py")
        if not SKIPPED & set(path.relative_to(ROOT).parts) and path.resolve() not in own
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert found == [], "\n".join(found)
