"""Households written straight to the database for the OFII list (no pathway needed: the list
reads SQL only), and a month whose list exists for the access matrix's `{month}`."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from activities.ofii import build_list
from core import clock
from models.evaluations import InDepthEvaluation, Placement, PlacementKind
from models.records import Household, Person

MATRIX_MONTH = "2001-01"  # far from any real month: only the access matrix makes it


def household(
    engine: Engine,
    departement: str,
    *,
    stage: str,
    situation: str | None,
    place_type: str | None = None,
    structure: str = "CHRS Les Tilleuls",
    admitted_at: datetime | None = None,
    members: list[dict[str, Any]] | None = None,
) -> str:
    """A household at `stage`, its in-depth evaluation's administrative situation (None: no
    evaluation), its latest placement (None: none) and its members (one informed adult)."""
    hid = str(uuid.uuid4())
    at = admitted_at or clock.now()
    with Session(engine) as session:
        session.add(
            Household.model_validate(
                {
                    "id": hid,
                    "departement": departement,
                    "workflow_id": f"parcours-{hid}",
                    "stage": stage,
                    "encountered_at": at,
                }
            )
        )
        session.flush()
        for member in members or [{"nickname": "Sans nom", "informed_of_rights": True}]:
            person: dict[str, Any] = {"nominative_consent": False, **member}
            session.add(Person.model_validate({"household_id": hid, **person}))
        if situation is not None:
            session.add(
                InDepthEvaluation.model_validate(
                    {
                        "household_id": hid,
                        "submission_id": f"ofii-{uuid.uuid4()}",
                        "evaluated_at": at,
                        "evaluator_structure": "SIAO",
                        "administrative_situation": situation,
                    }
                )
            )
        if place_type is not None:
            kind = PlacementKind.HOUSING if stage in ("housed", "follow_up") else "admission"
            session.add(
                Placement.model_validate(
                    {
                        "household_id": hid,
                        "submission_id": f"ofii-{uuid.uuid4()}",
                        "started_at": at,
                        "structure": structure,
                        "place_type": place_type,
                        "kind": kind,
                    }
                )
            )
        session.commit()
    return hid


def matrix_month(engine: Engine) -> str:
    """A month whose OFII list of 75 exists (made once, then left as it is)."""
    build_list(engine, "75", MATRIX_MONTH, clock.now(), "tests-matrice")
    return MATRIX_MONTH
