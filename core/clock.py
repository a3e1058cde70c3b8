"""The one clock of code outside workflows (workflows read `workflow.now()`, which replays).

Everything that needs the time asks here, so a test freezes it in one place (freezegun) and no
naive or local datetime slips in: `now()` is aware UTC; dates people read are Paris dates.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def now() -> datetime:
    return datetime.now(UTC)


def today_paris() -> date:
    return now().astimezone(PARIS).date()
