"""The monthly OFII list (issue 12, item 6; R-FOLLOW-2): who is on it, the month taken from the
scheduled time (pure), the workflow on the time-skipping server (a month made once, a rerun adds
nothing, nothing personal in Temporal), the Schedule on the dev server (`describe`, `trigger`),
and the coordinator's download through the API (audited with the file's SHA-256)."""

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionResult,
    ScheduleActionStartWorkflow,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    ScheduleRange,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError

from activities.erasure import erase_household
from activities.ofii import build_list
from api.main import create_app
from api.permissions import MATRIX, Permission
from core import clock
from core.settings import Settings
from models.audit import AuditEvent
from models.ofii import (
    COLUMNS,
    OfiiBuildReport,
    OfiiList,
    OfiiListInput,
    OfiiListRow,
    csv_bytes,
    month_of,
    sha256_of,
)
from models.records import Household
from models.users import Role
from models.vocab import AdministrativeSituation, Sex
from models.vocab_orientation import PlaceType
from tests import ofii_fixtures
from tests.conftest import login, ok, running_worker
from tests.pathway_helpers import history_text
from workflows.ofii import (
    CATCHUP_WINDOW,
    OFII_SCHEDULE_ID,
    SCHEDULED_START,
    OfiiListWorkflow,
    ensure_ofii_schedule,
)

REFUGEE = {
    "nominative_consent": True,
    "first_name": "Amina",
    "last_name": "Karimi",
    "birth_year": 1991,
    "sex": "femme",
    "informed_of_rights": True,
}
SEEKER = {"nickname": "Le Marcheur", "birth_year": 1988, "sex": "homme", "informed_of_rights": True}
UNINFORMED = {"nickname": "Pas Informé", "informed_of_rights": False}
SCHEDULED = datetime(2026, 7, 5, 4, 0, tzinfo=UTC)  # the 5th at 06:00, Paris summer time


# --- pure --------------------------------------------------------------------------------------


def test_the_month_is_the_scheduled_times_month_in_paris() -> None:
    assert month_of(SCHEDULED) == "2026-07"
    assert month_of(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == "2026-12"  # Paris: 1 Dec
    assert month_of(datetime(2026, 6, 30, 22, 30, tzinfo=UTC)) == "2026-07"  # summer: UTC+2
    assert month_of(datetime(2026, 6, 30, 21, 59, tzinfo=UTC)) == "2026-06"
    assert month_of(datetime(2026, 12, 31, 22, 59)) == "2026-12"  # naive: UTC
    assert month_of(datetime(2026, 12, 31, 23, 0)) == "2027-01"


def test_only_the_coordinator_downloads_the_list() -> None:
    assert [r for r in Role if Permission.OFII_LIST in MATRIX[r]] == [Role.COORDINATEUR]


def test_the_file_has_only_the_listed_fields_and_is_the_same_bytes_each_time() -> None:
    row = OfiiListRow(
        list_id=1,
        position=1,
        household_id="h",
        nickname="Jo",
        birth_year=1990,
        sex=Sex.HOMME,
        administrative_situation=AdministrativeSituation.DEMANDEUR_ASILE,
        structure="CHRS A",
        place_type=PlaceType.CHRS,
        admitted_on=datetime(2026, 7, 1).date(),
    )
    content = csv_bytes([row])
    assert content == csv_bytes([row])
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";") == list(COLUMNS)
    assert lines[1] == ";;Jo;1990;homme;demandeur d'asile;CHRS A;CHRS;2026-07-01"
    assert "h" not in lines[1].split(";")  # no household id in the file


# --- who is on it ----------------------------------------------------------------------------


def test_who_is_on_the_list(engine: Engine) -> None:
    dep = "19"
    seed = ofii_fixtures.household
    listed = {
        seed(engine, dep, stage="admitted", situation="protection_internationale",
             place_type="chrs", members=[REFUGEE, UNINFORMED]),
        seed(engine, dep, stage="housed", situation="demandeur_asile", place_type="iml"),
        seed(engine, dep, stage="follow_up", situation="protection_internationale",
             place_type="pension_de_famille"),
        # back at the commission, still hosted in its CHRS
        seed(engine, dep, stage="commission", situation="demandeur_asile", place_type="hotel"),
    }  # fmt: skip
    left_out = {
        seed(engine, dep, stage="admitted", situation="francaise", place_type="chrs"),
        seed(engine, dep, stage="admitted", situation="non_renseigne", place_type="chrs"),
        seed(engine, dep, stage="admitted", situation="demandeur_asile", place_type="dna"),
        seed(engine, dep, stage="housed", situation="protection_internationale",
             place_type="logement_ordinaire"),
        seed(engine, dep, stage="closed", situation="demandeur_asile", place_type="chrs"),
        seed(engine, dep, stage="in_depth_evaluated", situation="demandeur_asile"),
        seed(engine, dep, stage="admitted", situation="demandeur_asile", place_type="chrs",
             members=[UNINFORMED]),
        seed(engine, dep, stage="admitted", situation=None, place_type="chrs"),
    }  # fmt: skip
    made = build_list(engine, dep, "2026-03", clock.now(), "test")
    again = build_list(engine, dep, "2026-03", clock.now(), "another run")
    assert made.created and made.rows == 4 and not again.created and again.list_id == made.list_id
    with Session(engine) as s:
        rows = s.exec(select(OfiiListRow).where(OfiiListRow.list_id == made.list_id)).all()
    assert {r.household_id for r in rows} == listed and not left_out & {
        r.household_id for r in rows
    }
    named = next(r for r in rows if r.last_name)
    assert (named.first_name, named.nickname, named.birth_year) == ("Amina", None, 1991)
    assert sorted(r.position for r in rows) == [1, 2, 3, 4]


# --- the workflow, on the time-skipping server -------------------------------------------------


@pytest.fixture
async def ofii_ts(ts_env, settings, engine) -> AsyncIterator[str]:
    """A worker on the time-skipping server; the server told of the attribute a real one sets
    on scheduled runs (the test server has no schedules, hence no such system attribute)."""
    with contextlib.suppress(RPCError):  # already added in this session
        await ts_env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=ts_env.client.namespace,
                search_attributes={
                    SCHEDULED_START.name: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME
                },
            )
        )
    queue = f"siao-ofii-{uuid.uuid4().hex[:8]}"
    async with running_worker(ts_env.client, settings, engine, queue):
        yield queue


async def test_the_workflow_makes_the_month_once(ts_env, ofii_ts, engine) -> None:
    dep = "23"
    seed = ofii_fixtures.household
    refugee = seed(
        engine,
        dep,
        stage="admitted",
        situation="protection_internationale",
        place_type="chrs",
        structure="CHRS Les Tilleuls",
        members=[REFUGEE],
    )
    seeker = seed(
        engine,
        dep,
        stage="housed",
        situation="demandeur_asile",
        place_type="iml",
        structure="IML Solidarité",
        members=[SEEKER],
    )
    seed(
        engine,
        dep,
        stage="admitted",
        situation="demandeur_asile",
        place_type="chrs",
        members=[UNINFORMED],
    )
    seed(engine, dep, stage="admitted", situation="francaise", place_type="chrs",
         members=[{"nickname": "Français", "informed_of_rights": True}])  # fmt: skip
    scheduled = TypedSearchAttributes([SearchAttributePair(SCHEDULED_START, SCHEDULED)])

    async def run(
        wid: str, attributes: TypedSearchAttributes | None = scheduled
    ) -> OfiiBuildReport:
        handle = await ts_env.client.start_workflow(
            OfiiListWorkflow.run,
            OfiiListInput(departements=[dep]),
            id=wid,
            task_queue=ofii_ts,
            search_attributes=attributes,
        )
        report = await handle.result()
        history = history_text(await handle.fetch_history())
        for secret in ("Karimi", "Amina", "Le Marcheur", "1991", refugee, "CHRS Les Tilleuls"):
            assert secret not in history, secret  # nothing personal crosses Temporal
        return report

    first = await run(f"siao-liste-ofii-test-{uuid.uuid4().hex[:6]}")
    assert first.month == "2026-07"
    [made] = first.lists
    assert (made.departement, made.rows, made.created) == (dep, 2, True)
    with Session(engine) as s:
        header = s.get(OfiiList, made.list_id)
        rows = s.exec(
            select(OfiiListRow)
            .where(OfiiListRow.list_id == made.list_id)
            .order_by(col(OfiiListRow.position))
        ).all()
    assert header is not None and header.month == "2026-07" and header.row_count == 2
    assert header.sha256 == sha256_of(csv_bytes(rows))
    assert [(r.household_id, r.place_type) for r in rows] == [(refugee, "chrs"), (seeker, "iml")]
    text = csv_bytes(rows).decode("utf-8-sig")
    assert "Karimi;Amina;;1991;femme;réfugié / protection internationale" in text
    assert ";;Le Marcheur;1988;homme;demandeur d'asile;IML Solidarité;" in text
    assert "Pas Informé" not in text and "Français" not in text

    # Someone admitted since: a rerun of the same scheduled time changes nothing.
    seed(engine, dep, stage="admitted", situation="demandeur_asile", place_type="chrs",
         members=[{"nickname": "Arrivé Après", "informed_of_rights": True}])  # fmt: skip
    second = await run(f"siao-liste-ofii-test-{uuid.uuid4().hex[:6]}")
    assert [(c.list_id, c.rows, c.created) for c in second.lists] == [(made.list_id, 2, False)]
    with Session(engine) as s:
        months = s.exec(
            select(OfiiList).where(OfiiList.departement == dep, OfiiList.month == "2026-07")
        ).all()
        assert len(months) == 1
        count = s.exec(select(OfiiListRow).where(OfiiListRow.list_id == made.list_id)).all()
        assert len(count) == 2

    # Started by hand (no schedule): its own start time's month.
    now = await ts_env.get_current_time()
    by_hand = await run(f"siao-liste-ofii-main-{uuid.uuid4().hex[:6]}", None)
    assert by_hand.month in {month_of(now), month_of(now + timedelta(minutes=1))}


# --- the Schedule, on the dev server -----------------------------------------------------------


async def test_the_schedule_runs_on_the_fifth_in_paris(dev_env, settings, engine) -> None:
    client = dev_env.client
    queue = f"siao-ofii-{uuid.uuid4().hex[:6]}"
    handle = client.get_schedule_handle(OFII_SCHEDULE_ID)
    with contextlib.suppress(RPCError):  # made by a worker.py another test started here
        await handle.delete()
    ofii_fixtures.household(engine, "24", stage="admitted", situation="demandeur_asile",
                            place_type="chrs")  # fmt: skip
    try:
        assert await ensure_ofii_schedule(client, queue)
        assert not await ensure_ofii_schedule(client, queue)  # an operator's edits stand
        described = await handle.describe()
        spec, policy, action = (
            described.schedule.spec,
            described.schedule.policy,
            described.schedule.action,
        )
        assert spec.time_zone_name == "Europe/Paris"
        [calendar] = spec.calendars
        assert list(calendar.day_of_month) == [ScheduleRange(5)]
        assert list(calendar.hour) == [ScheduleRange(6)] and list(calendar.minute) == [
            ScheduleRange(0)
        ]
        assert policy.overlap is ScheduleOverlapPolicy.SKIP
        assert policy.catchup_window == CATCHUP_WINDOW <= timedelta(days=2)
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == ("OfiiListWorkflow", queue)
        paris = [t.astimezone(clock.PARIS) for t in described.info.next_action_times]
        assert paris and all((t.day, t.hour, t.minute) == (5, 6, 0) for t in paris)

        async with running_worker(client, settings, engine, queue):
            reports = []
            for _ in range(2):  # the second trigger: the same month, nothing made again
                seen = len((await handle.describe()).info.recent_actions)
                await handle.trigger()
                result = await _next_action(handle, seen)
                assert isinstance(result.action, ScheduleActionExecutionStartWorkflow)
                run = client.get_workflow_handle_for(
                    OfiiListWorkflow.run, result.action.workflow_id
                )
                report = await asyncio.wait_for(run.result(), 60)
                assert report.month == month_of(result.scheduled_at)
                reports.append(report)
        first, second = reports
        with Session(engine) as s:
            departements = set(s.exec(select(Household.departement).distinct()).all())
        assert {c.departement for c in first.lists} == departements >= {"24"}
        if first.month == second.month:
            assert not any(c.created for c in second.lists)
            assert {c.list_id for c in second.lists} == {c.list_id for c in first.lists}
    finally:
        with contextlib.suppress(RPCError):
            await handle.delete()


async def _next_action(handle: ScheduleHandle, seen: int) -> ScheduleActionResult:
    for _ in range(200):
        actions = (await handle.describe()).info.recent_actions
        if len(actions) > seen:
            return actions[-1]
        await asyncio.sleep(0.1)
    raise AssertionError("la planification n'a rien lancé")


# --- the API -----------------------------------------------------------------------------------


@pytest.fixture
async def app(settings: Settings, engine: Engine) -> FastAPI:
    async def no_temporal() -> Client:
        raise RuntimeError("these routes need no Temporal")

    return create_app(settings, engine, no_temporal)


def _client(app: FastAPI, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers
    )


def _downloads(engine: Engine, departement: str) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(AuditEvent)
                .where(AuditEvent.departement == departement, AuditEvent.action == "export")
                # In the chain's order: PostgreSQL returns rows an erasure updated last otherwise.
                .order_by(col(AuditEvent.seq))
            ).all()
        )


async def test_the_coordinator_downloads_the_list_audited(app, settings, engine) -> None:
    dep, month = "87", "2026-06"
    hid = ofii_fixtures.household(
        engine, dep, stage="admitted", situation="protection_internationale",
        place_type="chrs", members=[REFUGEE],
    )  # fmt: skip
    made = build_list(engine, dep, month, clock.now(), "test")
    coordinator = login(settings, engine, ["coordinateur"], [dep])
    async with _client(app, coordinator) as http:
        [item] = ok(await http.get("/ofii-lists", params={"departement": dep}))
        assert (item["month"], item["row_count"]) == (month, 1)
        assert ok(await http.get("/ofii-lists")) == [item]  # every département of the caller

        r = await http.get(f"/ofii-lists/{dep}/{month}.csv")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        assert f"liste-ofii-{dep}-{month}.csv" in r.headers["content-disposition"]
        digest = hashlib.sha256(r.content).hexdigest()
        assert digest == item["sha256"] == r.headers["x-content-sha256"]
        assert "Karimi;Amina" in r.content.decode("utf-8-sig")
        [row] = _downloads(engine, dep)
        assert row.household_id == hid and digest in row.purpose
        assert row.fields == sorted(COLUMNS) and row.actor.startswith("agent-")

        unknown = await http.get(f"/ofii-lists/{dep}/1999-01.csv")
        assert unknown.status_code == 404
        assert (await http.get(f"/ofii-lists/{dep}/2026-13.csv")).status_code == 422

    referent = login(settings, engine, ["referent"], [dep])
    async with _client(app, referent) as http:
        for url in ("/ofii-lists", f"/ofii-lists/{dep}/{month}.csv"):
            r = await http.get(url)
            assert r.status_code == 403 and "Accès refusé" in r.json()["detail"]

    elsewhere = login(settings, engine, ["coordinateur"], ["93"])
    async with _client(app, elsewhere) as http:
        r = await http.get(f"/ofii-lists/{dep}/{month}.csv")
        assert r.status_code == 404 and r.json() == unknown.json()  # exactly like unknown
        assert ok(await http.get("/ofii-lists", params={"departement": dep})) == []
    assert len(_downloads(engine, dep)) == 1  # refused calls write nothing

    # An erasure takes the person off the stored list; the file served then says so.
    assert erase_household(engine, hid)
    with Session(engine) as s:
        assert not s.exec(select(OfiiListRow).where(OfiiListRow.household_id == hid)).all()
    async with _client(app, coordinator) as http:
        r = await http.get(f"/ofii-lists/{dep}/{month}.csv")
        assert r.status_code == 200 and b"Karimi" not in r.content
        assert hashlib.sha256(r.content).hexdigest() != made_sha(engine, made.list_id)
    empty = _downloads(engine, dep)[-1]
    assert empty.household_id is None and hashlib.sha256(r.content).hexdigest() in empty.purpose


def made_sha(engine: Engine, list_id: int) -> str:
    with Session(engine) as s:
        header = s.get(OfiiList, list_id)
        assert header is not None
        return header.sha256
