"""The transition table, enforced by the update validator on the real time-skipping server."""

from datetime import timedelta

import pytest
from pydantic import BaseModel
from sqlmodel import Session, func, select

from api.errors import ApiError
from models.audit import AnonymousPathway
from models.evaluations import FlashEvaluation, Placement
from models.pathway import Action, DeadlineKind, Stage
from models.records import Household, Submission, TimelineEvent
from models.schemas import (
    AdmissionCreate,
    CommissionDecisionCreate,
    ExitCreate,
    FlashEvaluationCreate,
    HousingCreate,
    InDepthEvaluationCreate,
    OrientationCreate,
    OrientationResponseCreate,
    ReviewCreate,
)
from tests import factories
from tests.conftest import new_id
from tests.pathway_helpers import AFTER_WAKEUP, body, eventually


def count(engine, table, household_id: str) -> int:
    with Session(engine) as s:
        return s.exec(
            select(func.count()).select_from(table).where(table.household_id == household_id)
        ).one()


async def test_action_out_of_stage_is_refused_and_changes_nothing(ts_env, ts_pathway, engine):
    hid = new_id()
    now = await ts_env.get_current_time()
    await ts_pathway.report(hid, now)
    with pytest.raises(ApiError) as refused:
        await ts_pathway.act(
            hid, Action.ADMISSION, body(AdmissionCreate, factories.placement()), now
        )
    assert refused.value.status == 409
    assert refused.value.extra["stage"] == "reported"
    assert refused.value.extra["allowed_actions"] == ["flash_evaluation", "exit"]
    assert "n'est pas possible" in refused.value.detail
    assert count(engine, Placement, hid) == 0
    assert count(engine, Submission, hid) == 1  # only the first contact
    assert count(engine, TimelineEvent, hid) == 1
    state = await ts_pathway.state(hid)
    assert state.stage is Stage.REPORTED and state.actions_count == 1


async def test_same_idempotency_key_applies_once(ts_env, ts_pathway, engine):
    hid = new_id()
    now = await ts_env.get_current_time()
    first = await ts_pathway.report(hid, now)
    again = await ts_pathway.report(hid, now)  # same household id: same workflow, no double
    assert again.actions_count == first.actions_count == 1
    flash = body(FlashEvaluationCreate, factories.flash())
    one = await ts_pathway.act(hid, Action.FLASH_EVALUATION, flash, now, key="k-1")
    two = await ts_pathway.act(hid, Action.FLASH_EVALUATION, flash, now, key="k-1")
    assert one == two and two.actions_count == 2
    assert count(engine, FlashEvaluation, hid) == 1
    assert count(engine, TimelineEvent, hid) == 2


async def test_second_report_of_a_known_household_is_refused(ts_env, ts_pathway):
    hid = new_id()
    now = await ts_env.get_current_time()
    await ts_pathway.report(hid, now, key="premier")
    with pytest.raises(ApiError) as refused:
        await ts_pathway.report(hid, now, key="second")
    assert refused.value.status == 409 and "déjà signalé" in refused.value.detail


async def test_whole_pathway_to_housing_then_follow_up_window_closes_it(ts_env, ts_pathway, engine):
    drive, hid = ts_pathway, new_id()
    t = await ts_env.get_current_time()
    await drive.report(hid, t, departement="93")
    steps: list[tuple[Action, type[BaseModel], dict, Stage]] = [
        (Action.FLASH_EVALUATION, FlashEvaluationCreate, factories.flash(), Stage.FLASH_EVALUATED),
        (
            Action.IN_DEPTH_EVALUATION,
            InDepthEvaluationCreate,
            factories.in_depth("intensif"),
            Stage.IN_DEPTH_EVALUATED,
        ),
        (
            Action.COMMISSION_DECISION,
            CommissionDecisionCreate,
            factories.commission("hebergement", "chrs"),
            Stage.COMMISSION,
        ),
        (
            Action.ORIENTATION,
            OrientationCreate,
            factories.orientation(),
            Stage.ORIENTATION_PROPOSED,
        ),
        (
            Action.REFUSE_ORIENTATION,
            OrientationResponseCreate,
            factories.refused(),
            Stage.COMMISSION,
        ),
        (
            Action.ORIENTATION,
            OrientationCreate,
            factories.orientation(),
            Stage.ORIENTATION_PROPOSED,
        ),
        (
            Action.ACCEPT_ORIENTATION,
            OrientationResponseCreate,
            factories.accepted(),
            Stage.ORIENTATION_PROPOSED,
        ),
        (Action.ADMISSION, AdmissionCreate, factories.placement(), Stage.ADMITTED),
    ]
    for action, schema, data, expected in steps:
        state = await drive.act(hid, action, body(schema, data), t)
        assert state.stage is expected, action
    # The abnormal stay is watched from the admission (no DLS filed: nothing to renew).
    assert {d.kind for d in state.deadlines} == {
        DeadlineKind.REEVALUATION,
        DeadlineKind.REVIEW,
        DeadlineKind.LONG_STAY,
    }
    stay = next(d for d in state.deadlines if d.kind is DeadlineKind.LONG_STAY)
    assert stay.duration == "P18M"
    reeval = next(d for d in state.deadlines if d.kind is DeadlineKind.REEVALUATION)
    assert reeval.duration == "P1M"  # national target for intensive accompaniment

    state = await drive.act(hid, Action.REVIEW, body(ReviewCreate, factories.review()), t)
    state = await drive.act(
        hid, Action.COMMISSION_DECISION, body(CommissionDecisionCreate, factories.commission()), t
    )
    state = await drive.act(
        hid,
        Action.ORIENTATION,
        body(OrientationCreate, factories.orientation("pension_de_famille")),
        t,
    )
    state = await drive.act(
        hid, Action.ACCEPT_ORIENTATION, body(OrientationResponseCreate, factories.accepted()), t
    )
    state = await drive.act(
        hid, Action.HOUSING, body(HousingCreate, factories.placement("pension_de_famille")), t
    )
    assert state.stage is Stage.HOUSED
    (window,) = state.deadlines
    assert window.kind is DeadlineKind.FOLLOW_UP_END and window.duration == "P1Y"  # 93's policy
    state = await drive.act(hid, Action.FOLLOW_UP, body(ReviewCreate, factories.review()), t)
    assert state.stage is Stage.FOLLOW_UP

    await ts_env.sleep(timedelta(days=366) + AFTER_WAKEUP)  # a year, leap or not

    async def purged() -> None:  # closed, and its personal data erased (R-HOUS-3)
        with Session(engine) as s:
            assert s.get(Household, hid) is None
            trace = s.exec(
                select(AnonymousPathway).where(
                    AnonymousPathway.exit_situation == "fin_suivi_post_logement"
                )
            ).all()
            assert any(t.departement == "93" for t in trace)  # other tests leave 75s

    await eventually(purged)
    result = await ts_env.client.get_workflow_handle(f"parcours-{hid}").result()
    assert result["stage"] == "closed"
    with pytest.raises(ApiError) as refused:
        await drive.act(hid, Action.EXIT, body(ExitCreate, factories.exit_()), t)
    assert refused.value.status == 404  # purged: the household is not known any more
