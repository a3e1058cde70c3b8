"""Accompaniment services and measures written straight to the database, for tests that need
one at hand (the measure's own routes are tested through the API in tests/test_measures.py)."""

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import clock
from models.measures import Measure, MeasureKind, MeasureService
from models.vocab import AccompanimentIntensity


def _kind(code: str) -> MeasureKind:
    return next(k for k in MeasureKind if k == code)


def service(engine: Engine, kind: str = "avdl", departement: str = "75", capacity: int = 5) -> int:
    with Session(engine) as session:
        row = MeasureService(
            departement=departement,
            kind=_kind(kind),
            operator=f"Opérateur {kind.upper()}",
            capacity=capacity,
            intensity=AccompanimentIntensity.MOYEN,
        )
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def measure(engine: Engine, household_id: str, kind: str = "avdl") -> int:
    """An active measure of a new service of this kind, for this household."""
    sid = service(engine, kind)
    with Session(engine) as session:
        row = Measure(
            household_id=household_id,
            service_id=sid,
            kind=_kind(kind),
            intensity=AccompanimentIntensity.MOYEN,
            started_at=clock.now(),
        )
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id
