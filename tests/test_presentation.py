"""What supervisors read in the Temporal UI: Paris wall time (without tz files) and durations."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from models.pathway import Deadline, DeadlineKind, PathwayState
from workflows.presentation import current_details, duration_fr, paris


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, m, d, h, 30, tzinfo=UTC)
        for m, d, h in [
            (1, 15, 12),
            (3, 29, 0),
            (3, 29, 1),
            (7, 1, 23),
            (10, 25, 0),
            (10, 25, 1),
            (12, 31, 23),
        ]
    ]
    + [datetime(2027, 2, 3, 4, 5, tzinfo=UTC)],  # single digits, padded as strftime pads them
)
def test_paris_matches_the_tz_database(moment: datetime) -> None:
    assert paris(moment) == moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y à %Hh%M")


def test_durations_in_words() -> None:
    assert duration_fr("PT72H") == "72 h"
    assert duration_fr("P2M") == "2 mois"
    assert duration_fr("P1Y6M") == "1 an 6 mois"
    assert duration_fr("P1DT12H") == "1 jour 12 h"


def test_current_details_say_awaited_until_the_deadline_work_marks_it_missed() -> None:
    """Written when the pathway last ran: a deadline just past whose work has not come yet (its
    wake-up offset) must not read « à venir »."""
    due = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    flash = Deadline(kind=DeadlineKind.FLASH, due_at=due, duration="PT72H", policy_version="v1")
    state = PathwayState(household_id="h", departement="75", deadlines=[flash])
    assert "— en attente (politique v1)" in current_details(state)
    assert "à venir" not in current_details(state)
    state.deadlines[0].missed = True
    assert "— ⚠️ dépassée (politique v1)" in current_details(state)
