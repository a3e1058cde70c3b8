"""The one clock of code outside workflows (workflows read `workflow.now()`, which replays).

Everything that needs the time asks here, so a test freezes it in one place (freezegun) and no
naive or local datetime slips in: `now()` is aware UTC; dates people read are Paris dates.
"""

from datetime import UTC, date, datetime
from typing import overload
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def now() -> datetime:
    return datetime.now(UTC)


def today_paris() -> date:
    return now().astimezone(PARIS).date()


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: datetime | None) -> datetime | None:
    """A stored moment read back: SQLite hands back naive datetimes, and everything is stored
    in UTC (models/records.UTCDateTime)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
