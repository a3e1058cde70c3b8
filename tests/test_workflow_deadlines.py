"""Deadlines on the real time-skipping server: each fires at its duration and not before."""

from datetime import timedelta

from sqlmodel import Session, col, select

from models.evaluations import FlashEvaluation
from models.pathway import Action, DeadlineKind, Stage
from models.records import Alert, Household
from models.schemas import FlashEvaluationCreate, InDepthEvaluationCreate
from tests import factories
from tests.conftest import new_id
from tests.pathway_helpers import body, eventually


async def test_flash_deadline_fires_at_72h_and_late_flash_clears_it(ts_env, ts_pathway, engine):
    drive = ts_pathway
    hid = new_id()
    met = await ts_env.get_current_time()
    state = await drive.report(hid, met)
    assert state.stage is Stage.REPORTED
    assert [d.kind for d in state.deadlines] == [DeadlineKind.FLASH]
    assert state.deadlines[0].due_at == met + timedelta(hours=72)

    await ts_env.sleep(timedelta(hours=71))
    assert not (await drive.state(hid)).overdue_now

    await ts_env.sleep(timedelta(hours=2))

    async def overdue() -> None:
        assert (await drive.state(hid)).overdue_now

    await eventually(overdue)
    with Session(engine) as s:
        alert = s.exec(select(Alert).where(Alert.household_id == hid)).one()
        assert alert.kind == DeadlineKind.FLASH and alert.resolved_at is None
        assert s.get(Household, hid).overdue  # type: ignore[union-attr]

    flashed_at = await ts_env.get_current_time()
    state = await drive.act(
        hid, Action.FLASH_EVALUATION, body(FlashEvaluationCreate, factories.flash()), flashed_at
    )
    assert state.stage is Stage.FLASH_EVALUATED and not state.overdue_now
    (in_depth,) = state.deadlines
    assert in_depth.kind is DeadlineKind.IN_DEPTH
    assert timedelta(days=58) <= in_depth.due_at - flashed_at <= timedelta(days=62)
    with Session(engine) as s:
        alert = s.exec(select(Alert).where(Alert.household_id == hid)).one()
        assert alert.resolved_at is not None
        assert not s.get(Household, hid).overdue  # type: ignore[union-attr]
        (flash,) = s.exec(select(FlashEvaluation).where(FlashEvaluation.household_id == hid)).all()
        # Timeliness at the source: the due date it missed, and that it was late.
        assert flash.due_at is not None and flash.late is True
        assert flash.due_at.replace(tzinfo=met.tzinfo) == met + timedelta(hours=72)


async def test_an_evaluation_at_exactly_72_hours_is_on_time_even_before_any_timer(
    ts_env, ts_pathway, engine
):
    """Lateness is recorded from the dates, whatever the timers did: at 72 h exactly it is on
    time; one minute later it is late, though no timer has fired yet (the clock never moved)."""
    met = await ts_env.get_current_time()
    on_time, late = new_id(), new_id()
    for hid in (on_time, late):
        await ts_pathway.report(hid, met)
    flash = body(FlashEvaluationCreate, factories.flash())
    await ts_pathway.act(on_time, Action.FLASH_EVALUATION, flash, met + timedelta(hours=72))
    await ts_pathway.act(late, Action.FLASH_EVALUATION, flash, met + timedelta(hours=72, minutes=1))
    with Session(engine) as s:
        rows = {
            r.household_id: r
            for r in s.exec(
                select(FlashEvaluation).where(
                    col(FlashEvaluation.household_id).in_([on_time, late])
                )
            )
        }
    assert rows[on_time].late is False and rows[late].late is True
    assert rows[on_time].recorded_at is not None  # the server's entry time, beside the stated one


async def test_in_depth_deadline_is_two_calendar_months_after_flash(ts_env, ts_pathway):
    drive = ts_pathway
    hid = new_id()
    met = await ts_env.get_current_time()
    await drive.report(hid, met)
    state = await drive.act(
        hid, Action.FLASH_EVALUATION, body(FlashEvaluationCreate, factories.flash()), met
    )
    due = state.deadlines[0].due_at
    assert timedelta(days=58) <= due - met <= timedelta(days=62)

    await ts_env.sleep(due - met - timedelta(hours=1))
    assert not (await drive.state(hid)).overdue_now
    await ts_env.sleep(timedelta(hours=2))

    async def overdue() -> None:
        st = await drive.state(hid)
        assert st.overdue_now and st.deadlines[0].missed

    await eventually(overdue)

    late = await ts_env.get_current_time()
    state = await drive.act(
        hid, Action.IN_DEPTH_EVALUATION, body(InDepthEvaluationCreate, factories.in_depth()), late
    )
    assert state.stage is Stage.IN_DEPTH_EVALUATED
    assert not state.overdue_now and state.deadlines == []
