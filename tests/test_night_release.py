"""The morning release of emergency places (issue 10, item 2): a place the 115 gave for the night
goes back to vacant at the hour of the département's policy, unless prolonged; other places are
never touched. The rule with explicit times, the workflow on the time-skipping server, the
schedule on the dev server, the prolongation through the API."""

import contextlib
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select
from temporalio.service import RPCError

from activities.release import PARIS, due_for_release, release_moment
from core import clock
from models.offer import Place, PlaceStatusChange
from tests import offer_fixtures
from tests.conftest import ok
from workflows.release import RELEASE_SCHEDULE_ID, EmergencyReleaseWorkflow, ensure_release_schedule

MORNING = datetime(2026, 12, 2, 9, 5, tzinfo=PARIS)
EVENING = datetime(2026, 12, 1, 22, 30, tzinfo=PARIS)


def test_a_night_ends_at_the_policy_hour_unless_prolonged() -> None:
    assert due_for_release(EVENING, None, "09:00", MORNING)
    assert not due_for_release(EVENING, None, "09:00", MORNING.replace(hour=8, minute=55))
    assert not due_for_release(EVENING, date(2026, 12, 2), "09:00", MORNING)  # prolonged today
    assert due_for_release(EVENING, date(2026, 12, 1), "09:00", MORNING)  # prolonged until then
    assert not due_for_release(MORNING.replace(minute=1), None, "09:00", MORNING)  # given after
    assert not due_for_release(EVENING, None, None, MORNING)  # no release in this policy
    naive_utc = EVENING.astimezone(UTC).replace(tzinfo=None)  # as SQLite gives it back
    assert due_for_release(naive_utc, None, "09:00", MORNING)
    assert release_moment(MORNING, "09:00").astimezone(UTC).hour == 8  # winter: UTC+1


async def test_release_workflow_frees_the_nights_places(ts_env, ts_pathway, engine) -> None:
    night, _ = offer_fixtures.place(engine, "sheltered"), None
    kept = offer_fixtures.place(engine, "sheltered")
    chrs = offer_fixtures.place(engine, "occupied")  # not an emergency place: never released
    now = await ts_env.get_current_time()
    morning = release_moment(now, "09:00")
    morning = morning if morning > now else release_moment(now + timedelta(days=1), "09:00")
    with Session(engine) as s:
        for _, pid in (night, kept, chrs):
            s.execute(update(Place).where(Place.id == pid).values(status_since=now))  # type: ignore[arg-type]
        s.execute(
            update(Place).where(Place.id == kept[1]).values(held_until=morning.date())  # type: ignore[arg-type]
        )
        s.commit()
    await ts_env.sleep(morning - now + timedelta(minutes=5))
    report = await ts_env.client.execute_workflow(
        EmergencyReleaseWorkflow.run,
        id=f"liberation-{uuid.uuid4()}",
        task_queue=ts_pathway.task_queue,
    )
    assert report.released >= 1 and report.kept >= 1
    with Session(engine) as s:
        statuses = {pid: str(s.get(Place, pid).status) for _, pid in (night, kept, chrs)}  # type: ignore[union-attr]
        assert statuses == {night[1]: "vacant", kept[1]: "occupied", chrs[1]: "occupied"}
        change = s.exec(
            select(PlaceStatusChange).where(PlaceStatusChange.place_id == night[1])
        ).one()
        assert "09:00" in change.reason


async def test_the_schedule_is_created_once(dev_env) -> None:
    queue = f"siao-release-{uuid.uuid4().hex[:6]}"
    handle = dev_env.client.get_schedule_handle(RELEASE_SCHEDULE_ID)
    with contextlib.suppress(RPCError):  # made by a worker.py another test started here
        await handle.delete()
    try:
        assert await ensure_release_schedule(dev_env.client, queue)
        assert not await ensure_release_schedule(dev_env.client, queue)  # an operator's edits stand
        described = await dev_env.client.get_schedule_handle(RELEASE_SCHEDULE_ID).describe()
        assert described.schedule.spec.intervals[0].every == timedelta(minutes=15)
    finally:
        with contextlib.suppress(RPCError):
            await handle.delete()


async def test_a_handler_prolongs_a_night(http, engine) -> None:
    _, pid = offer_fixtures.place(engine, "sheltered")
    today = clock.now().date()
    answer = ok(await http.post(f"/places/{pid}/prolongation", json={"until": today.isoformat()}))
    assert answer["status"] == "occupied"
    with Session(engine) as s:
        assert s.get(Place, pid).held_until == today  # type: ignore[union-attr]
    too_far = (today + timedelta(days=31)).isoformat()
    r = await http.post(f"/places/{pid}/prolongation", json={"until": too_far})
    assert r.status_code == 422 and "30 jours" in r.text
    _, chrs = offer_fixtures.place(engine, "occupied")
    r = await http.post(f"/places/{chrs}/prolongation", json={"until": today.isoformat()})
    assert r.status_code == 409 and "place d'urgence" in r.text
