"""The dataset of an anonymised export (R-OBS-1), read from SQL: one row per household, coded
quasi-identifiers at their finest exported level and sensitive attributes, nothing that names
or dates anyone. Anonymised and checked before delivery by api/exports.py."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, time
from typing import Any

import pandas as pd
from sqlalchemy import select as rows
from sqlmodel import Session, col

from core import clock
from models.evaluations import FlashEvaluation, InDepthEvaluation
from models.export_columns import (
    ADMINISTRATIVE,
    AGE,
    COLUMNS,
    HEALTH,
    NOT_SAID,
    OTHER_PLACE,
    PLACE,
    RESIDENTIAL,
    RESIDENTIAL_GROUPS,
    SENSITIVE_CODES,
    SEX,
    SIZE,
    TYPOLOGY,
    VULNERABILITY,
    age_band,
    health_needs,
    size_band,
)
from models.exports import AnonymisedExportRequest
from models.records import Household, Person
from models.vocab import Relationship, Sex, Typology


def bounds(request: AnonymisedExportRequest) -> tuple[datetime, datetime]:
    first, after = request.months()
    return (
        datetime.combine(first, time(), clock.PARIS).astimezone(UTC),
        datetime.combine(after, time(), clock.PARIS).astimezone(UTC),
    )


def _latest(rows: Iterable[Any]) -> dict[str, Any]:
    """Per household, the row of its latest record (by stated time, then id)."""
    latest: dict[str, Any] = {}
    for row in sorted(rows, key=lambda r: (r.evaluated_at, r.id or 0)):
        latest[row.household_id] = row
    return latest


def _code(value: Any, known: Iterable[str]) -> str:
    return str(value) if value is not None and str(value) in set(known) else NOT_SAID


def dataset(session: Session, departements: list[str], start: datetime, end: datetime) -> Any:
    """One row per household first met in [start, end) in these départements: coded
    quasi-identifiers at their finest exported level and sensitive attributes — no id, name,
    nickname, free text, date or exact age (the household's id only joins its records here)."""
    scope = (
        col(Household.departement).in_(departements),
        col(Household.encountered_at) >= start,
        col(Household.encountered_at) < end,
    )
    households = session.execute(
        rows(
            col(Household.id),
            col(Household.departement),
            col(Household.typology),
            col(Household.residential_situation),
            col(Household.vulnerability),
            col(Household.facts),
            col(Household.encountered_at),
        ).where(*scope)
    ).all()
    persons: dict[str, list[Any]] = defaultdict(list)
    for person in session.execute(
        rows(
            col(Person.household_id),
            col(Person.id),
            col(Person.relationship),
            col(Person.birth_year),
            col(Person.sex),
        )
        .join(Household, col(Household.id) == col(Person.household_id))
        .where(*scope)
    ):
        persons[person.household_id].append(person)
    flash = _latest(
        session.execute(
            rows(
                col(FlashEvaluation.household_id),
                col(FlashEvaluation.id),
                col(FlashEvaluation.evaluated_at),
                col(FlashEvaluation.vulnerability),
                col(FlashEvaluation.expertise_needed),
            )
            .join(Household, col(Household.id) == col(FlashEvaluation.household_id))
            .where(*scope)
        )
    )
    in_depth = _latest(
        session.execute(
            rows(
                col(InDepthEvaluation.household_id),
                col(InDepthEvaluation.id),
                col(InDepthEvaluation.evaluated_at),
                col(InDepthEvaluation.administrative_situation),
            )
            .join(Household, col(Household.id) == col(InDepthEvaluation.household_id))
            .where(*scope)
        )
    )
    found = []
    for h in households:
        members = sorted(persons.get(h.id, []), key=lambda p: p.id or 0)
        applicant = next(
            (p for p in members if p.relationship == Relationship.LUI_MEME),
            members[0] if members else None,
        )
        facts = h.facts or {}
        age = (
            h.encountered_at.year - applicant.birth_year
            if applicant is not None and applicant.birth_year is not None
            else None
        )
        evaluated, assessed = flash.get(h.id), in_depth.get(h.id)
        found.append(
            {
                AGE: age_band(age),
                SEX: _code(applicant.sex if applicant else None, (s.value for s in Sex)),
                TYPOLOGY: _code(h.typology, (t.value for t in Typology)),
                SIZE: size_band(len(members)),
                PLACE: h.departement,
                RESIDENTIAL: RESIDENTIAL_GROUPS.get(str(h.residential_situation), OTHER_PLACE),
                ADMINISTRATIVE: _code(
                    assessed.administrative_situation
                    if assessed
                    else facts.get("administrative_situation"),
                    SENSITIVE_CODES[ADMINISTRATIVE],
                ),
                VULNERABILITY: _code(
                    evaluated.vulnerability
                    if evaluated
                    else h.vulnerability or facts.get("vulnerability"),
                    SENSITIVE_CODES[VULNERABILITY],
                ),
                HEALTH: health_needs(
                    list(evaluated.expertise_needed or [])
                    if evaluated
                    else facts.get("expertise_needed")
                ),
            }
        )
    return pd.DataFrame(found, columns=list(COLUMNS), dtype=str)
