"""Pathways last years: the history is cut by continue-as-new, with nothing of the state lost."""

from sqlmodel import Session, func, select

from models.evaluations import Review
from models.pathway import Action, DeadlineKind, PathwayInput, Stage
from models.schemas import (
    AdmissionCreate,
    CommissionDecisionCreate,
    FlashEvaluationCreate,
    InDepthEvaluationCreate,
    OrientationCreate,
    OrientationResponseCreate,
    ReviewCreate,
)
from tests import factories
from tests.conftest import new_id
from tests.pathway_helpers import body
from workflows.pathway import PathwayWorkflow, workflow_id


async def test_long_pathway_continues_as_new_and_keeps_its_state(ts_env, ts_pathway, engine):
    hid = new_id()
    # A low limit stands in for years of activity.
    await ts_env.client.start_workflow(
        PathwayWorkflow.run,
        PathwayInput(household_id=hid, departement="75", history_limit=60),
        id=workflow_id(hid),
        task_queue=ts_pathway.task_queue,
    )
    t = await ts_env.get_current_time()
    await ts_pathway.report(hid, t)
    handle = ts_env.client.get_workflow_handle(workflow_id(hid))
    first_run = (await handle.describe()).run_id
    for action, schema, data in [
        (Action.FLASH_EVALUATION, FlashEvaluationCreate, factories.flash()),
        (Action.IN_DEPTH_EVALUATION, InDepthEvaluationCreate, factories.in_depth("leger")),
        (Action.COMMISSION_DECISION, CommissionDecisionCreate, factories.commission()),
        (Action.ORIENTATION, OrientationCreate, factories.orientation()),
        (Action.ACCEPT_ORIENTATION, OrientationResponseCreate, factories.accepted()),
        (Action.ADMISSION, AdmissionCreate, factories.placement()),
    ]:
        await ts_pathway.act(hid, action, body(schema, data), t)
    for _ in range(8):
        state = await ts_pathway.act(hid, Action.REVIEW, body(ReviewCreate, factories.review()), t)

    assert (await handle.describe()).run_id != first_run
    assert state.stage is Stage.ADMITTED and state.actions_count == 15
    assert state.accompaniment_intensity == "leger"
    live = await ts_pathway.state(hid)
    assert live.actions_count == 15
    assert {d.kind for d in live.deadlines} == {
        DeadlineKind.REEVALUATION,
        DeadlineKind.REVIEW,
        DeadlineKind.LONG_STAY,
    }
    with Session(engine) as s:
        reviews = s.exec(
            select(func.count()).select_from(Review).where(Review.household_id == hid)
        ).one()
    assert reviews == 8
