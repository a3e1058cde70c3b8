"""One action, one local activity (activities/recording.py): the planning, the rules and the write
in a single call, its result in the history. On the real time-skipping server and rules engine;
the bounds of the rules' retries inside the call checked against a failing engine."""

import json
from typing import Any

import pytest

from activities import recording
from activities.recording import RecordingActivities
from models.decisions import Evaluation
from models.pathway import Action
from models.schemas import FlashEvaluationCreate
from rules.document import Issue, PolicyInvalid
from rules.isolated import EngineUnavailable
from rules.vocabulary import RuleFacts, default_facts
from tests import factories
from tests.conftest import new_id
from tests.pathway_helpers import body
from workflows.pathway import workflow_id


def local_activities(history: Any) -> list[str]:
    """The activity type of each local activity's marker, in history order."""
    kinds = []
    for event in history.events:
        if event.HasField("marker_recorded_event_attributes"):
            data = event.marker_recorded_event_attributes.details.get("data")
            if data is not None and data.payloads:
                kinds.append(json.loads(data.payloads[0].data)["activity_type"])
    return kinds


async def test_an_action_is_one_local_activity(ts_env, ts_pathway, engine) -> None:
    hid = new_id()
    t = await ts_env.get_current_time()
    await ts_pathway.report(hid, t)
    flash = body(FlashEvaluationCreate, factories.flash())
    state = await ts_pathway.act(hid, Action.FLASH_EVALUATION, flash, t)
    assert state.deadlines, "the flash evaluation arms the in-depth deadline"
    history = await ts_env.client.get_workflow_handle(workflow_id(hid)).fetch_history()
    assert local_activities(history) == ["record_action", "record_action"]


class FailingPolicies:
    """A rules engine that always fails as `failure` (its wrapper restarts a crashed child and
    tries once more itself: this stands for what is left after that)."""

    def __init__(self, failure: Exception) -> None:
        self.failure, self.calls = failure, 0

    def evaluate(self, departement: str, facts: dict[str, Any]) -> Evaluation:
        self.calls += 1
        raise self.failure

    def deadlines(self, departement: str) -> Any:
        raise self.failure

    def protocol(self, departement: str, kind: Any) -> Any:
        raise self.failure


@pytest.mark.parametrize(
    ("failure", "tries"),
    [
        (EngineUnavailable("le moteur de règles a planté deux fois"), 2),
        (PolicyInvalid([Issue("75.yaml", None, "", "illisible")]), 1),
    ],
)
def test_the_rules_are_tried_a_bounded_number_of_times(monkeypatch, engine, failure, tries):
    monkeypatch.setattr(recording, "EVALUATION_PAUSE_SECONDS", 0.0)
    policies = FailingPolicies(failure)
    acts = RecordingActivities(engine=engine, policies=policies)
    reason = acts._evaluate("75", RuleFacts.read(default_facts()))
    assert policies.calls == tries  # a wrong file is not tried again; an engine, twice
    assert isinstance(reason, str) and reason  # why, for the coordinator's alert
