"""Read a département's policy file over the national one, and validate its `deadlines`.

A policy file is data written by policy staff: errors name the file and the field, in French.
"""

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import isodate
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from models.pathway import DeadlineDurations, DeadlineSet
from models.vocab import AccompanimentIntensity

NATIONAL = "_national"
MAX_FOLLOW_UP = timedelta(days=2 * 366)


class PolicyError(ValueError):
    """A policy file that cannot be used; the message is for policy staff."""


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

    @field_validator("flash", "in_depth", "orientation_response", "review", "follow_up_window")
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


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="allow")  # rules, cases… belong to the rules engine

    departement: str
    version: str
    description: str = ""
    deadlines: dict[str, Any] = {}


def _parse(name: str, content: bytes | None) -> PolicyFile:
    if content is None:
        raise PolicyError(f"{name} : fichier introuvable")
    try:
        raw = yaml.safe_load(content.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ligne {mark.line + 1}" if mark else ""
        raise PolicyError(f"{name}{where} : YAML illisible ({exc})") from exc
    try:
        return PolicyFile.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(f"{name} : {_french(exc)}") from exc


def _french(exc: ValidationError) -> str:
    return " ; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'racine'} : {err['msg']}" for err in exc.errors()
    )


def load_deadlines(policies_dir: Path, departement: str) -> DeadlineDurations:
    """National deadlines, overridden field by field by the département's file when it exists.

    Parsed again only when a file's bytes change, so an action does not re-parse YAML, yet a
    saved edit is seen by the next action.
    """
    national, local = (policies_dir / f"{NATIONAL}.yaml", policies_dir / f"{departement}.yaml")
    return _merge_deadlines(
        departement,
        national.read_bytes() if national.exists() else None,
        local.read_bytes() if local.exists() else None,
    )


@lru_cache(maxsize=512)
def _merge_deadlines(
    departement: str, national_yaml: bytes | None, local_yaml: bytes | None
) -> DeadlineDurations:
    national = _parse(f"{NATIONAL}.yaml", national_yaml)
    merged: dict[str, Any] = dict(national.deadlines)
    policy_id, version = NATIONAL, national.version
    local_name = f"{departement}.yaml"
    if local_yaml is not None:
        local = _parse(local_name, local_yaml)
        if local.departement != departement:
            raise PolicyError(f"{local_name} : departement « {local.departement} » inattendu")
        for key, value in local.deadlines.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        policy_id, version = departement, f"{local.version}+national-{national.version}"
    try:
        deadlines = Deadlines.model_validate(merged)
    except ValidationError as exc:
        raise PolicyError(f"{local_name} (deadlines) : {_french(exc)}") from exc
    return DeadlineDurations(policy_id=policy_id, policy_version=version, **deadlines.model_dump())
