"""The département's rules inside running pathways, on the real time-skipping server and the
shipped policy files: complex situations, escalations, and the trace of every decision."""

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from api.errors import ApiError
from models.pathway import Action, Stage
from models.records import Alert, AlertKind, Household, TimelineEvent, TimelineKind
from models.schemas import CommissionDecisionCreate, FlashEvaluationCreate, InDepthEvaluationCreate
from models.vocab import Recipient
from tests import factories
from tests.conftest import new_id
from tests.pathway_helpers import body, eventually, history_text
from workflows.pathway import workflow_id


def alerts(engine, hid: str) -> list[tuple[str, str, str | None, bool]]:
    with Session(engine) as s:
        rows = s.exec(select(Alert).where(Alert.household_id == hid).order_by(col(Alert.id)))
        return [(a.kind, a.recipient, a.rule_id, a.resolved_at is not None) for a in rows]


async def test_mental_health_goes_to_the_partnership_commission(ts_env, ts_pathway, engine):
    drive, hid = ts_pathway, new_id()
    t = await ts_env.get_current_time()
    await drive.report(hid, t)
    flash = {**factories.flash(), "expertise_needed": ["sante_mentale"]}
    await drive.act(hid, Action.FLASH_EVALUATION, body(FlashEvaluationCreate, flash), t)
    state = await drive.act(
        hid, Action.IN_DEPTH_EVALUATION, body(InDepthEvaluationCreate, factories.in_depth()), t
    )
    assert state.partnership_commission and "santé mentale" in state.partnership_commission
    assert "sante_mentale" in state.thematic_referents
    assert "sante-mentale-commission" in {d.rule_id for d in state.last_decisions}

    unique = body(CommissionDecisionCreate, factories.commission())  # commission: unique
    with pytest.raises(ApiError) as refused:
        await drive.act(hid, Action.COMMISSION_DECISION, unique, t)
    assert refused.value.status == 409 and "commission partenariale" in refused.value.detail
    partner = body(
        CommissionDecisionCreate, {**factories.commission(), "commission": "partenariale"}
    )
    state = await drive.act(hid, Action.COMMISSION_DECISION, partner, t)
    assert state.stage is Stage.COMMISSION

    with Session(engine) as s:
        household = s.get(Household, hid)
        assert household is not None and household.partnership_commission
        assert "sante_mentale" in household.thematic_referents
        assert household.facts["event"] == "commission_decision"
        event = s.exec(
            select(TimelineEvent).where(
                TimelineEvent.household_id == hid,
                TimelineEvent.action == TimelineKind.IN_DEPTH_EVALUATION,
            )
        ).one()
    assert "sante-mentale-commission" in event.detail["rules_fired"]
    assert event.detail["policy_id"] == "75" and event.detail["policy_version"]
    history = await ts_env.client.get_workflow_handle(workflow_id(hid)).fetch_history()
    assert "sante-mentale-commission" in history_text(history)


async def test_overdue_in_depth_escalates_to_referent_then_coordinator(ts_env, ts_pathway, engine):
    drive, hid = ts_pathway, new_id()
    t = await ts_env.get_current_time()
    await drive.report(hid, t)
    state = await drive.act(
        hid, Action.FLASH_EVALUATION, body(FlashEvaluationCreate, factories.flash()), t
    )
    due = state.deadlines[0].due_at

    await ts_env.sleep(due - t + timedelta(hours=1))

    async def referent_alerted() -> None:
        assert alerts(engine, hid) == [
            (AlertKind.IN_DEPTH, Recipient.LEAD_REFERENT, "escalade-referent", False)
        ]

    await eventually(referent_alerted)

    await ts_env.sleep(timedelta(days=6))  # the escalation delay (P7D) has not run out yet
    assert len(alerts(engine, hid)) == 1
    await ts_env.sleep(timedelta(days=2))

    async def coordinator_alerted() -> None:
        assert alerts(engine, hid) == [
            (AlertKind.IN_DEPTH, Recipient.LEAD_REFERENT, "escalade-referent", False),
            (AlertKind.IN_DEPTH, Recipient.SIAO_COORDINATOR, "escalade-coordinateur", False),
        ]

    await eventually(coordinator_alerted)

    late = await ts_env.get_current_time()
    state = await drive.act(
        hid, Action.IN_DEPTH_EVALUATION, body(InDepthEvaluationCreate, factories.in_depth()), late
    )
    assert not state.overdue_now
    assert [resolved for *_, resolved in alerts(engine, hid)] == [True, True]
    history = history_text(
        await ts_env.client.get_workflow_handle(workflow_id(hid)).fetch_history()
    )
    assert "escalade-referent" in history and "escalade-coordinateur" in history
    with Session(engine) as s:
        trail = s.exec(
            select(TimelineEvent.action)
            .where(TimelineEvent.household_id == hid)
            .order_by(col(TimelineEvent.id))
        ).all()
    assert trail == [
        TimelineKind.REPORT,
        TimelineKind.FLASH_EVALUATION,
        TimelineKind.DEADLINE_MISSED,
        TimelineKind.ESCALATION,
        TimelineKind.IN_DEPTH_EVALUATION,
    ]
