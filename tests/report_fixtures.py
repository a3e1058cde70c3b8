"""A hand-built data set whose indicators are known (tests/test_indicators.py says which)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.calls import CallDay, CallRequest
from models.evaluations import (
    CommissionDecision,
    FlashEvaluation,
    InDepthEvaluation,
    Orientation,
    Placement,
    PlacementKind,
)
from models.records import Alert, Household, Person, TimelineEvent

YEAR = 2025


def at(month: int, day: int, hour: int = 10, year: int = YEAR) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def row(model: Any, **fields: Any) -> Any:
    """A table row from plain values, validated as the API's would be."""
    return model.model_validate(fields)


def _sid() -> str:
    return uuid.uuid4().hex


def seed(engine: Engine, dep: str) -> dict[str, str]:
    """Six households of `dep` whose indicators for 2025 are known (tests/test_indicators.py)."""
    ids = {name: str(uuid.uuid4()) for name in ("h1", "h2", "h3", "h4", "h5", "h6")}
    met = {
        "h1": (at(3, 1), "maraude", 2),
        "h2": (at(6, 1), "115", 1),
        "h3": (at(11, 1, year=2024), "115", 3),
        "h4": (at(9, 1), "maraude", 1),
        "h5": (at(10, 1), "accueil_de_jour", 1),
        # h3, housed on 1 February and gone from the SIAO, is back on the street in June.
        "h6": (at(6, 1), "115", 1),
    }
    earlier = {"h3": (None, at(3, 1)), "h6": (ids["h3"], None)}  # (previous pathway, closed)
    with Session(engine) as s:
        for name, (when, channel, people) in met.items():
            hid = ids[name]
            s.add(
                row(
                    Household,
                    id=hid,
                    departement=dep,
                    encountered_at=when,
                    contact_channel=channel,
                    workflow_id=f"parcours-{hid}",
                    stage="reported",
                    previous_household_id=earlier.get(name, (None, None))[0],
                    closed_at=earlier.get(name, (None, None))[1],
                )
            )
            s.flush()
            for _ in range(people):
                s.add(row(Person, household_id=hid, nominative_consent=False, nickname="X"))
        h1, h2, h3, h5 = ids["h1"], ids["h2"], ids["h3"], ids["h5"]
        common = {
            "evaluator_structure": "Maraude 05",
            "vulnerability": "moyenne",
            "shelter_requested": True,
        }
        s.add(
            row(
                FlashEvaluation,
                household_id=h1,
                submission_id=_sid(),
                evaluated_at=at(3, 1) + timedelta(hours=72),
                **common,
            )
        )
        s.add(
            row(
                FlashEvaluation,
                household_id=h2,
                submission_id=_sid(),
                evaluated_at=at(6, 1) + timedelta(hours=80),
                **common,
            )
        )
        s.add(
            row(
                InDepthEvaluation,
                household_id=h1,
                submission_id=_sid(),
                evaluated_at=at(4, 15),
                evaluator_structure="CHRS 05",
                wants_housing=True,
                administrative_situation="francaise",
                dls_filed_on=date(2025, 4, 1),
                syplo="inscrit",
            )
        )
        decision = {"commission": "unique", "recommendation": "logement"}
        s.add(
            row(
                CommissionDecision,
                household_id=h1,
                submission_id=_sid(),
                decided_at=at(5, 1),
                **decision,
            )
        )
        s.add(
            row(
                CommissionDecision,
                household_id=h5,
                submission_id=_sid(),
                decided_at=at(11, 1),
                **decision,
            )
        )
        s.add(
            row(
                Orientation,
                household_id=h1,
                submission_id=_sid(),
                proposed_at=at(5, 5),
                structure="CHRS 05",
                place_type="chrs",
                answer="acceptee",
            )
        )
        s.add(
            row(
                Orientation,
                household_id=h3,
                submission_id=_sid(),
                proposed_at=at(1, 10),
                structure="CHRS 05",
                place_type="chrs",
                answer="refusee",
                refusal_reason="localisation",
            )
        )
        place = {"structure": "CHRS 05", "place_type": "chrs"}
        s.add(
            row(
                Placement,
                household_id=h1,
                submission_id=_sid(),
                started_at=at(5, 10),
                kind=PlacementKind.ADMISSION,
                **place,
            )
        )
        s.add(
            row(
                Placement,
                household_id=h3,
                submission_id=_sid(),
                started_at=at(12, 1, year=2024),
                kind=PlacementKind.ADMISSION,
                **place,
            )
        )
        s.add(
            row(
                Placement,
                household_id=h3,
                submission_id=_sid(),
                started_at=at(2, 1),
                kind=PlacementKind.HOUSING,
                structure="Bailleur 05",
                place_type="logement_ordinaire",
            )
        )
        # Monthly flows count Paris months: 22:30 UTC on 31 March is April in Paris.
        for action, moment in (
            ("report", at(3, 1)),
            ("admission", at(3, 31, 22) + timedelta(minutes=30)),
        ):
            s.add(
                row(
                    TimelineEvent,
                    household_id=h1,
                    departement=dep,
                    workflow_id="p",
                    action=action,
                    actor="test",
                    occurred_at=moment,
                )
            )
        # The 115: two imported days; three requests, two without a place (one for h2).
        for day, received, answered in ((date(2025, 6, 1), 100, 80), (date(2025, 6, 2), 50, 40)):
            s.add(
                row(
                    CallDay,
                    departement=dep,
                    day=day,
                    received=received,
                    answered=answered,
                    imported_by="test",
                )
            )
        asked: list[tuple[str, str, str | None]] = [
            ("mise_a_l_abri", "non_pourvue_faute_de_place", h2),
            ("mise_a_l_abri", "non_pourvue_faute_de_place", None),
            ("information", "pourvue", None),
        ]
        for kind, outcome, linked in asked:
            s.add(
                row(
                    CallRequest,
                    departement=dep,
                    received_at=at(6, 1),
                    day=date(2025, 6, 1),
                    kind=kind,
                    outcome=outcome,
                    household_id=linked,
                    recorded_by="test",
                )
            )
        for resolved in (at(6, 6), None):
            s.add(
                row(
                    Alert,
                    household_id=h2,
                    kind="flash",
                    due_at=at(6, 4),
                    raised_at=at(6, 4),
                    resolved_at=resolved,
                    policy_version="test",
                )
            )
        s.commit()
    return ids
