"""Rows built without SQLModel's attribute-by-attribute setting (activities/rows.py) are the
rows SQLModel builds: the same defaults, the same validation, the same values in the database."""

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from activities import rows
from core import clock
from models.pathway import Action
from models.records import Household, Person, Submission, TimelineEvent, TimelineKind
from tests.conftest import new_id

ROOT = Path(__file__).resolve().parent.parent


def _in_fresh_process(code: str) -> subprocess.CompletedProcess[str]:
    """`code` run by a new interpreter: no ORM object made before it."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_build_fills_the_defaults_as_the_model_does() -> None:
    fast = rows.build(Submission, id="s", household_id="h", action=Action.REPORT, actor="a")
    slow = Submission(id="s", household_id="h", action=Action.REPORT, actor="a")
    for name in Submission.model_fields:
        if name != "created_at":  # a default factory: now, a few microseconds apart
            assert getattr(fast, name) == getattr(slow, name), name
    assert fast.created_at is not None and fast.payload == {} and fast.payload is not slow.payload
    assert fast.model_fields_set == {"id", "household_id", "action", "actor"}


def test_a_row_built_first_in_a_process_reads_like_any_other() -> None:
    # A fresh API process whose first request reads a household copy (no ORM object made yet).
    done = _in_fresh_process(
        "from activities import rows; from models.records import Household;"
        "print(rows.build(Household, id='h', departement='75').departement)"
    )
    assert done.returncode == 0 and done.stdout.strip() == "75", done.stderr[-2000:]


def test_a_row_validated_first_in_a_process_reads_like_any_other() -> None:
    # A fresh worker whose first action is a first contact: its persons validated before any
    # ORM object was made.
    done = _in_fresh_process(
        "from activities import rows; from models.records import Person;"
        "print(rows.validated(Person, {'household_id': 'h', 'nominative_consent': True})"
        ".household_id)"
    )
    assert done.returncode == 0 and done.stdout.strip() == "h", done.stderr[-2000:]


def test_build_refuses_a_name_the_model_does_not_have() -> None:
    with pytest.raises(TypeError, match="stagee"):
        rows.build(Household, id="h", departement="75", stagee="reported")


def test_validated_refuses_what_model_validate_refuses() -> None:
    bad = {"household_id": "h", "nominative_consent": "peut-être", "birth_year": 1800}
    with pytest.raises(ValidationError) as fast:
        rows.validated(Person, bad)
    with pytest.raises(ValidationError) as slow:
        Person.model_validate(bad)
    assert fast.value.errors() == slow.value.errors()


def test_built_rows_reach_the_database_and_change_like_any_other(engine) -> None:
    hid = new_id()
    household = rows.build(
        Household,
        id=hid,
        departement="75",
        encountered_at=clock.now(),
        stage="reported",
        workflow_id=f"pathway-{hid}",
    )
    event = rows.build(
        TimelineEvent,
        household_id=hid,
        departement="75",
        workflow_id=f"pathway-{hid}",
        action=TimelineKind.REPORT,
        actor="agent",
        occurred_at=household.created_at,
    )
    event.detail = {"note": "changed after building"}  # through the ORM's instrumentation
    with Session(engine) as session:
        rows.insert(session, household, event)
        copy, read = rows.read_household(session, hid)
        copy.stage = "flash_evaluated"
        rows.save_household(session, copy, read)
        session.commit()
    with Session(engine) as session:
        stored = session.get(Household, hid)
        assert stored is not None and stored.stage == "flash_evaluated"
        assert stored.departement == "75" and stored.created_at is not None
        timeline = session.exec(
            select(TimelineEvent).where(TimelineEvent.household_id == hid)
        ).one_or_none()
        assert timeline is not None and timeline.detail == {"note": "changed after building"}
        assert timeline.recorded_at is not None
