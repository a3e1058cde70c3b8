"""A failure must end: bad policy files, a crashing rules engine and no usable policy at all,
against running pathways on the real time-skipping server. The pathway keeps answering."""

import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from api.errors import ApiError
from models.pathway import Action, Stage
from models.records import Alert, AlertKind, Household, Submission
from models.schemas import FlashEvaluationCreate
from models.vocab import Recipient
from rules.isolated import CRASH_DEPARTEMENT
from tests import factories
from tests.conftest import new_id, running_worker
from tests.pathway_helpers import AFTER_WAKEUP, Driver, body
from workflows.pathway import workflow_id

POLICIES = Path(__file__).resolve().parent.parent / "policies"
GOOD_94 = """\
departement: "94"
version: "1"
effective_date: 2026-12-01
author: "Tests"
description: "Val-de-Marne : évaluation flash sous 48 h."
deadlines:
  flash: PT48H
rules: []
"""
BAD_FILES = {
    "cp1252": GOOD_94.replace("Val-de-Marne", "Créteil").encode("cp1252"),
    "alias": (GOOD_94.replace("rules: []", "rules: &r [*r]")).encode(),
    "overflow": GOOD_94.replace("PT48H", "P99999999D").encode(),
}


@pytest.fixture
async def drive94(ts_env, settings, engine, tmp_path) -> AsyncIterator[tuple[Driver, Path]]:
    """A worker whose policies live in a folder of the test's own (the shipped national file
    and a département 94 file the test may break)."""
    policies = tmp_path / "policies"
    policies.mkdir()
    shutil.copy(POLICIES / "_national.yaml", policies)
    (policies / "94.yaml").write_text(GOOD_94, encoding="utf-8")
    own = settings.model_copy(
        update={"policies_dir": policies, "policies_accepted_dir": tmp_path / "accepted"}
    )
    queue = f"siao-fail-{uuid.uuid4().hex[:8]}"
    driver = Driver(ts_env.client, engine, queue)
    async with running_worker(ts_env.client, own, engine, queue):
        yield driver, policies
        await driver.terminate_all()


def flash() -> FlashEvaluationCreate:
    return body(FlashEvaluationCreate, factories.flash())  # type: ignore[return-value]


@pytest.mark.parametrize("bad", sorted(BAD_FILES))
async def test_a_bad_file_leaves_the_last_accepted_policy_in_force(ts_env, drive94, bad):
    drive, policies = drive94
    hid, t = new_id(), await ts_env.get_current_time()
    state = await drive.report(hid, t, "94")
    assert state.deadlines[0].due_at == t + timedelta(hours=48)
    (policies / "94.yaml").write_bytes(BAD_FILES[bad])  # saved by hand, bypassing the API
    state = await drive.act(hid, Action.FLASH_EVALUATION, flash(), t)
    assert state.stage is Stage.FLASH_EVALUATED
    assert state.last_decisions == [] and state.deadlines[0].policy_version.startswith("1+")
    # And a new household of 94 still starts, under the same accepted version.
    other = await drive.report(new_id(), t, "94")
    assert other.deadlines[0].due_at == t + timedelta(hours=48)


async def test_a_crashing_engine_applies_the_action_with_the_last_deadlines(
    ts_env, settings, engine, tmp_path, monkeypatch
):
    """The rules engine dies on every evaluation of 94: the worker stays up, the action is
    applied with the policy's deadlines but no decision, and the coordinator is alerted."""
    monkeypatch.setenv(CRASH_DEPARTEMENT, "94")  # read by the engine's child when it starts
    policies = tmp_path / "crash-policies"
    policies.mkdir()
    shutil.copy(POLICIES / "_national.yaml", policies)
    (policies / "94.yaml").write_text(GOOD_94, encoding="utf-8")
    own = settings.model_copy(update={"policies_dir": policies, "policies_accepted_dir": None})
    queue = f"siao-crash-{uuid.uuid4().hex[:8]}"
    drive, hid = Driver(ts_env.client, engine, queue), new_id()
    async with running_worker(ts_env.client, own, engine, queue):
        t = await ts_env.get_current_time()
        state = await drive.report(hid, t, "94")
        assert state.stage is Stage.REPORTED
        assert state.deadlines[0].due_at == t + timedelta(hours=48)  # the file's deadline
        state = await drive.act(hid, Action.FLASH_EVALUATION, flash(), t)
        assert state.stage is Stage.FLASH_EVALUATED
        # A missed deadline still alerts the lead referent, then asks the rules again later.
        await ts_env.sleep(timedelta(days=62) + AFTER_WAKEUP)  # two months at most
        state = await drive.state(hid)
        assert state.overdue
        await drive.terminate_all()
    with Session(engine) as s:
        rows = s.exec(select(Alert).where(Alert.household_id == hid).order_by(col(Alert.id)))
        kinds = [(a.kind, a.recipient) for a in rows]
        reasons = [a.reason for a in s.exec(select(Alert).where(Alert.household_id == hid))]
    assert (
        kinds.count((AlertKind.POLICY_FAILURE, Recipient.SIAO_COORDINATOR)) >= 2
    )  # report, flash, the deadline
    assert (AlertKind.IN_DEPTH, Recipient.LEAD_REFERENT) in kinds
    assert any(r and "département 94" in r for r in reasons)


async def test_no_usable_policy_refuses_the_action_and_changes_nothing(
    ts_env, settings, engine, tmp_path
):
    """A national file broken from the start and no accepted copy: the first contact is
    refused with a French 503, nothing is saved, and the pathway does not linger."""
    policies = tmp_path / "broken"
    policies.mkdir()
    (policies / "_national.yaml").write_bytes(b"version: \xe9\n")
    own = settings.model_copy(update={"policies_dir": policies, "policies_accepted_dir": None})
    queue = f"siao-none-{uuid.uuid4().hex[:8]}"
    drive, hid = Driver(ts_env.client, engine, queue), new_id()
    async with running_worker(ts_env.client, own, engine, queue):
        t = await ts_env.get_current_time()
        with pytest.raises(ApiError) as refused:
            await drive.report(hid, t, "94")
        assert refused.value.status == 503
        assert "règles du département 94" in refused.value.detail
        handle = ts_env.client.get_workflow_handle(workflow_id(hid))
        assert (await handle.describe()).status.name == "COMPLETED"
    with Session(engine) as s:
        assert s.get(Household, hid) is None
        assert s.exec(select(Submission).where(Submission.household_id == hid)).first() is None
