"""The `deadlines` section of policy files: ISO 8601 durations, merged over the national ones."""

from datetime import timedelta
from typing import Any

import isodate
from pydantic import ConfigDict, field_validator

from models.decisions import DeadlineSet
from models.vocab import AccompanimentIntensity

MAX_FOLLOW_UP = timedelta(days=2 * 366)


def parse_duration(value: str) -> timedelta | isodate.Duration:
    try:
        parsed = isodate.parse_duration(value)
    except (isodate.ISO8601Error, TypeError, ValueError) as exc:
        raise ValueError(f"« {value} » n'est pas une durée ISO 8601 (ex. PT72H, P2M)") from exc
    if (
        parsed <= timedelta(0)
        if isinstance(parsed, timedelta)
        else parsed.totimedelta(start=isodate.parse_datetime("2000-01-01T00:00:00Z"))
        <= timedelta(0)
    ):
        raise ValueError(f"« {value} » doit être une durée positive")
    return parsed


class Deadlines(DeadlineSet):
    """What policy staff may write under `deadlines`, checked field by field."""

    model_config = ConfigDict(extra="forbid")

    @field_validator(
        "flash",
        "in_depth",
        "orientation_response",
        "review",
        "follow_up_window",
        "escalation",
        "abnormal_stay",
    )
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("reevaluation")
    @classmethod
    def _by_intensity(cls, value: dict[AccompanimentIntensity, str]) -> dict:
        missing = set(AccompanimentIntensity) - set(value)
        if missing:
            raise ValueError(f"intensités manquantes : {', '.join(sorted(missing))}")
        for duration in value.values():
            parse_duration(duration)
        return value

    @field_validator("follow_up_window")
    @classmethod
    def _at_most_two_years(cls, value: str) -> str:
        start = isodate.parse_datetime("2024-01-01T00:00:00Z")
        if start + parse_duration(value) > start + MAX_FOLLOW_UP:
            raise ValueError("la fenêtre de suivi post-logement est de deux ans au plus (R-HOUS-3)")
        return value


def merge(national: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
    """The département's durations over the national ones, field by field (and by intensity)."""
    merged = dict(national)
    for key, value in local.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def days(iso: str) -> int:
    """A duration in whole days, calendar-aware from a fixed date (for day-count facts)."""
    start = isodate.parse_datetime("2024-01-01T00:00:00Z")
    return int((start + isodate.parse_duration(iso) - start).days)
