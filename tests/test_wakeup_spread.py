"""A mass wake-up is spread: each pathway does its deadline work at its own offset after the
deadline (PathwayInput.wakeup_spread_seconds, from SIAO_DEADLINE_WAKEUP_SPREAD_SECONDS at its
start), so thousands of deadlines due at one instant reach the workers at a rate they drain.
On the real time-skipping server; the figures are bench/scale.py's."""

from collections import Counter
from datetime import timedelta

from sqlmodel import Session, select

from models.pathway import DEFAULT_WAKEUP_SPREAD_SECONDS, Action, PathwayInput
from models.records import Alert
from models.schemas import FlashEvaluationCreate
from rules.planning import wakeup_offset
from tests import factories
from tests.conftest import new_id
from tests.pathway_helpers import body, eventually
from workflows.pathway import PathwayWorkflow, workflow_id

SPREAD = DEFAULT_WAKEUP_SPREAD_SECONDS


def late_waker() -> str:
    """A household whose pathway, at the default window, wakes at least a minute late."""
    while wakeup_offset(workflow_id(hid := new_id()), SPREAD) < timedelta(minutes=1):
        pass
    return hid


async def test_a_pathway_wakes_at_its_own_offset_and_the_alert_keeps_the_true_due_date(
    ts_env, ts_pathway, engine
):
    hid = new_id()
    state = await ts_pathway.report(hid, await ts_env.get_current_time())
    due = state.deadlines[0].due_at
    offset = wakeup_offset(workflow_id(hid), SPREAD)
    await ts_env.sleep(due + offset - await ts_env.get_current_time() - timedelta(seconds=5))
    assert not (await ts_pathway.state(hid)).overdue_now  # due, but its turn has not come
    await ts_env.sleep(timedelta(seconds=10))

    async def alerted() -> None:
        with Session(engine) as s:
            (alert,) = s.exec(select(Alert).where(Alert.household_id == hid)).all()
            assert alert.due_at.replace(tzinfo=due.tzinfo) == due

    await eventually(alerted)


async def test_a_window_of_zero_set_by_the_api_wakes_the_pathway_at_its_deadline(
    ts_env, ts_pathway
):
    ts_pathway.wakeup_spread_seconds = 0  # what SIAO_DEADLINE_WAKEUP_SPREAD_SECONDS=0 gives
    hid = late_waker()
    state = await ts_pathway.report(hid, await ts_env.get_current_time())
    await ts_env.sleep(state.deadlines[0].due_at - await ts_env.get_current_time())
    await ts_env.sleep(timedelta(seconds=30))  # well before this pathway's default offset

    async def overdue() -> None:
        assert (await ts_pathway.state(hid)).overdue_now

    await eventually(overdue)


async def test_the_window_is_kept_across_continue_as_new(ts_env, ts_pathway):
    hid = late_waker()
    await ts_env.client.start_workflow(
        PathwayWorkflow.run,
        PathwayInput(household_id=hid, departement="75", history_limit=15, wakeup_spread_seconds=0),
        id=workflow_id(hid),
        task_queue=ts_pathway.task_queue,
    )
    handle = ts_env.client.get_workflow_handle(workflow_id(hid))  # its latest run
    t = await ts_env.get_current_time()
    await ts_pathway.report(hid, t)
    flash = body(FlashEvaluationCreate, factories.flash())
    state = await ts_pathway.act(hid, Action.FLASH_EVALUATION, flash, t)  # due in two months

    async def continued() -> None:
        started = (await handle.fetch_history()).events[0]
        assert started.workflow_execution_started_event_attributes.continued_execution_run_id

    await eventually(continued)
    due = min(d.due_at for d in state.deadlines)
    await ts_env.sleep(due - await ts_env.get_current_time() + timedelta(seconds=30))

    async def overdue() -> None:
        assert (await ts_pathway.state(hid)).overdue_now

    await eventually(overdue)


def test_wakeup_offsets_are_fixed_per_pathway_and_spread_over_the_window() -> None:
    ids = [workflow_id(new_id()) for _ in range(2000)]
    offsets = [wakeup_offset(i, SPREAD) for i in ids]
    assert offsets == [wakeup_offset(i, SPREAD) for i in ids]  # replays and deadlines agree
    assert all(timedelta(0) <= o < timedelta(seconds=SPREAD) for o in offsets)
    per_minute = Counter(int(o.total_seconds()) // 60 for o in offsets)
    assert len(per_minute) == SPREAD // 60
    assert max(per_minute.values()) < 2 * min(per_minute.values())  # no minute takes the lot
    assert {wakeup_offset(i, 0) for i in ids} == {timedelta(0)}  # 0: at the deadline itself
