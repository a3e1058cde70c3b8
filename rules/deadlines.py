"""The `deadlines` section of policy files: ISO 8601 durations, merged over the national ones."""

from datetime import timedelta
from typing import Any

import isodate
from pydantic import ConfigDict, ValidationError, field_validator

from models.decisions import DeadlineSet
from models.vocab import AccompanimentIntensity
from rules.policy_text import Issue, line_of, load

START = isodate.parse_datetime("2024-01-01T00:00:00Z")  # months and years count from here
MAX_DURATION = timedelta(days=5 * 366)
MAX_FOLLOW_UP = timedelta(days=2 * 366)
TOO_LONG = "la durée « {value} » dépasse cinq ans"
FOLLOW_UP_TOO_LONG = "la fenêtre de suivi post-logement est de deux ans au plus (R-HOUS-3)"


def parse_duration(
    value: str, longest: timedelta = MAX_DURATION, too_long: str = TOO_LONG
) -> timedelta | isodate.Duration:
    """A positive ISO 8601 duration of at most `longest`, usable to arm a deadline; else a
    ValueError with a French message (never an overflow later, in a workflow)."""
    try:
        parsed = isodate.parse_duration(value)
    except (isodate.ISO8601Error, TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"« {value} » n'est pas une durée ISO 8601 (ex. PT72H, P2M)") from exc
    if isinstance(parsed, isodate.Duration) and (parsed.years % 1 or parsed.months % 1):
        raise ValueError(f"« {value} » : années et mois s'écrivent en entiers (ex. P18M)")
    try:
        end = START + parsed
    except (OverflowError, ValueError) as exc:
        raise ValueError(f"la durée « {value} » est hors limites (cinq ans au plus)") from exc
    if end <= START:
        raise ValueError(f"« {value} » doit être une durée positive")
    if end > START + longest:
        raise ValueError(too_long.format(value=value))
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
        "dls_renewal",
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
        parse_duration(value, MAX_FOLLOW_UP, FOLLOW_UP_TOO_LONG)
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
    return int((START + isodate.parse_duration(iso) - START).days)


_MESSAGES = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "string_type": "une durée ISO 8601 est attendue (ex. PT72H, P2M)",
    "dict_type": "un dictionnaire est attendu (par intensité)",
    "model_type": "un dictionnaire est attendu",
}


def deadline_issues(file: str, text: str, exc: ValidationError) -> list[Issue]:
    """The `deadlines` section's errors, with their lines in `file`."""
    root, _ = load(file, text)
    return [
        Issue(
            file,
            line_of(root, ("deadlines", *err["loc"])),
            "deadlines." + ".".join(map(str, err["loc"])),
            _MESSAGES.get(err["type"], str(err["msg"]).removeprefix("Value error, ")),
        )
        for err in exc.errors()
    ]
