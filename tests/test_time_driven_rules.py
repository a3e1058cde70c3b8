"""Facts that change with time alone are seen on the day (issue 11, item 5), on the real
time-skipping server: nobody acts, the DLS turns one year old or the stay becomes abnormally
long, and the rules' alert, flag or partnership routing are there."""

from datetime import timedelta

from sqlmodel import Session, col, select

from core import clock
from models.pathway import Action, DeadlineKind, Stage
from models.records import Alert, Household
from models.schemas import (
    AdmissionCreate,
    CommissionDecisionCreate,
    FlashEvaluationCreate,
    InDepthEvaluationCreate,
    OrientationCreate,
    OrientationResponseCreate,
)
from models.vocab import Flag, Recipient
from tests import factories
from tests.conftest import new_id
from tests.pathway_helpers import AFTER_WAKEUP, body, eventually


async def _evaluated(drive, hid, at, **in_depth):
    await drive.report(hid, at)
    await drive.act(
        hid, Action.FLASH_EVALUATION, body(FlashEvaluationCreate, factories.flash()), at
    )
    data = {**factories.in_depth(), **in_depth}
    return await drive.act(hid, Action.IN_DEPTH_EVALUATION, body(InDepthEvaluationCreate, data), at)


async def test_a_dls_one_year_old_alerts_the_lead_referent_without_anyone_acting(fresh_ts, engine):
    ts_env, ts_pathway = fresh_ts
    hid, now = new_id(), await ts_env.get_current_time()
    filed = (now - timedelta(days=300)).date()
    state = await _evaluated(ts_pathway, hid, now, dls_filed_on=filed.isoformat())
    (dls,) = [d for d in state.deadlines if d.kind is DeadlineKind.DLS_RENEWAL]
    assert dls.due_at.date() == filed.replace(year=filed.year + 1)  # P12M from the filing

    await ts_env.sleep(timedelta(days=64))
    with Session(engine) as s:  # not yet a year: nothing
        assert not s.exec(select(Alert).where(Alert.household_id == hid)).all()
    await ts_env.sleep(timedelta(days=2) + AFTER_WAKEUP)

    async def alerted() -> Alert:
        with Session(engine) as s:
            alerts = s.exec(
                select(Alert).where(Alert.household_id == hid).order_by(col(Alert.id))
            ).all()
            household = s.get(Household, hid)
        assert household is not None and Flag.DLS_RENEWAL in household.flags
        (alert,) = [a for a in alerts if a.rule_id == "dls-un-an"]
        return alert

    alert = await eventually(alerted)
    assert alert.recipient == Recipient.LEAD_REFERENT and alert.kind == DeadlineKind.DLS_RENEWAL
    assert "renouveler" in (alert.reason or "")

    # A new in-depth evaluation with the renewed DLS clears it and watches the next year.
    later, renewed = await ts_env.get_current_time(), clock.now().date()
    state = await ts_pathway.act(
        hid,
        Action.IN_DEPTH_EVALUATION,
        body(InDepthEvaluationCreate, {**factories.in_depth(), "dls_filed_on": str(renewed)}),
        later,
    )
    (dls,) = [d for d in state.deadlines if d.kind is DeadlineKind.DLS_RENEWAL]
    assert not dls.missed and dls.due_at.date() == renewed.replace(year=renewed.year + 1)


async def test_an_abnormally_long_stay_goes_to_the_partnership_commission_on_the_day(
    fresh_ts, engine
):
    ts_env, drive = fresh_ts
    hid, now = new_id(), await ts_env.get_current_time()
    await _evaluated(drive, hid, now, wants_housing=True, administrative_situation="titre_sejour")
    steps = [
        (Action.COMMISSION_DECISION, CommissionDecisionCreate, factories.commission()),
        (Action.ORIENTATION, OrientationCreate, factories.orientation()),
        (Action.ACCEPT_ORIENTATION, OrientationResponseCreate, factories.accepted()),
        (Action.ADMISSION, AdmissionCreate, factories.placement()),
    ]
    for action, schema, data in steps:
        state = await drive.act(hid, action, body(schema, data), now)
    assert state.stage is Stage.ADMITTED and not state.partnership_commission

    # Reviews and re-evaluations fall due meanwhile; the stay's own date is what matters.
    await ts_env.sleep(timedelta(days=549) + AFTER_WAKEUP)  # 18 months at most

    async def routed() -> None:
        st = await drive.state(hid)
        assert st.partnership_commission and Flag.LONG_STAY_REVIEW in st.flags
        with Session(engine) as s:
            household = s.get(Household, hid)
            assert household is not None and household.partnership_commission
            assert Flag.LONG_STAY_REVIEW in household.flags

    await eventually(routed)
