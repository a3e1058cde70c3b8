"""A reporting period in query parameters: `from` and `to`, days of Paris, both included.

A day is read only as written in ISO 8601 (`2026-03-01`): Pydantic would otherwise read `0` or
`1700000000` as a day of 1970 or 2023, and answer for a period nobody asked for.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator

from api.errors import INVALID, ApiError
from models.schemas import ISO_DATE


def _iso_day(value: Any) -> Any:
    if isinstance(value, str) and not (ISO_DATE.match(value) and len(value) == 10):
        raise ValueError("date invalide (AAAA-MM-JJ attendu)")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day)]
Start = Annotated[IsoDay | None, Query(alias="from", description="du (inclus, AAAA-MM-JJ)")]
End = Annotated[IsoDay | None, Query(alias="to", description="au (inclus, AAAA-MM-JJ)")]


def check(start: date | None, end: date | None) -> None:
    """A period that ends before it starts is a 422, like any invalid input."""
    if start is not None and end is not None and start > end:
        raise ApiError(
            422,
            INVALID,
            erreurs=[{"champ": "query.from", "message": "le début de la période suit sa fin"}],
        )
