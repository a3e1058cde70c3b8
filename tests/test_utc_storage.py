"""Every moment is written in UTC, whatever offset it came with: SQLite keeps none, and a time
given with +01:00 (Paris in winter) was stored as its wall time, then read back an hour off."""

import uuid
from datetime import UTC, datetime

from sqlmodel import Session

from core.clock import PARIS
from models.records import TimelineEvent, TimelineKind


def test_a_paris_moment_reads_back_as_the_same_instant(engine) -> None:
    moment = datetime(2025, 1, 15, 10, 30, tzinfo=PARIS)  # 09:30 UTC
    event = TimelineEvent(
        household_id=str(uuid.uuid4()),
        departement="75",
        workflow_id="p",
        action=TimelineKind.REPORT,
        actor="test",
        occurred_at=moment,
    )
    with Session(engine) as s:
        s.add(event)
        s.commit()
        s.refresh(event)
        stored = event.occurred_at
    stored = stored if stored.tzinfo else stored.replace(tzinfo=UTC)  # SQLite: naive UTC
    assert stored == moment and stored.astimezone(UTC).hour == 9
