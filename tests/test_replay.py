"""Pathways stay open for months: today's workflow code must replay yesterday's histories.

`histories/*.json` are real histories recorded from earlier versions of PathwayWorkflow. A change
that breaks their replay needs `workflow.patched`. Record a new one with
`SIAO_RECORD_HISTORY=tests/histories/<name>.json pytest tests/test_replay.py`.
"""

import base64
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.sandbox import sandboxed_runner
from core.temporal import DATA_CONVERTER
from models.pathway import Action
from models.schemas import FlashEvaluationCreate, InDepthEvaluationCreate
from tests import factories
from tests.conftest import new_id
from tests.pathway_helpers import body, eventually
from worker import RESTRICTIONS
from workflows.pathway import PathwayWorkflow, workflow_id
from workflows.vacancy import VacancyWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def replayer() -> Replayer:
    return Replayer(  # in the worker's own sandbox (its context lookups included)
        workflows=[PathwayWorkflow, VacancyWorkflow],
        data_converter=DATA_CONVERTER,
        workflow_runner=sandboxed_runner(RESTRICTIONS),
    )


def recorded_workflow_id(text: str) -> str:
    """The workflow a recorded history's payloads are bound to (core/codec.py: in clear in their
    metadata; they decode only under that id); any id for histories from before the binding."""
    bound = re.search(r'"encryption-workflow-id":\s*"([^"]+)"', text)
    return base64.b64decode(bound[1]).decode() if bound else workflow_id("recorded")


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_histories_replay(path: Path) -> None:
    text = path.read_text()
    history = WorkflowHistory.from_json(recorded_workflow_id(text), text)
    await replayer().replay_workflow(history)


def test_at_least_one_recorded_history() -> None:
    assert HISTORIES, "tests/histories must hold at least one recorded pathway history"


async def test_fresh_history_with_missed_deadline_replays(ts_env, ts_pathway) -> None:
    hid = new_id()
    t = await ts_env.get_current_time()
    await ts_pathway.report(hid, t)
    await ts_pathway.act(
        hid, Action.FLASH_EVALUATION, body(FlashEvaluationCreate, factories.flash()), t
    )
    await ts_env.sleep(timedelta(days=70))  # the in-depth evaluation is now late

    async def overdue() -> None:
        assert (await ts_pathway.state(hid)).overdue_now

    await eventually(overdue)
    await ts_pathway.act(
        hid,
        Action.IN_DEPTH_EVALUATION,
        body(InDepthEvaluationCreate, factories.in_depth()),
        await ts_env.get_current_time(),
    )
    history = await ts_env.client.get_workflow_handle(workflow_id(hid)).fetch_history()
    await replayer().replay_workflow(history)
    if target := os.environ.get("SIAO_RECORD_HISTORY"):
        Path(target).write_text(history.to_json())
