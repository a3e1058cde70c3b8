"""Exactly once, also across crashes: a worker that dies right after an action's commit, and
the caseworker's retries, through the real API, a real dev server and real worker processes."""

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, col, select
from temporalio.worker import Replayer

from activities.recording import CRASH_AFTER_COMMIT
from core.temporal import DATA_CONVERTER
from models.evaluations import FlashEvaluation
from models.records import Household, Submission, SubmissionStatus, TimelineEvent, TimelineKind
from tests import factories
from tests.conftest import login, ok, running_worker
from tests.pathway_helpers import eventually, worker_env
from workflows import search_attributes as sa
from workflows.pathway import PathwayWorkflow, workflow_id

pytestmark = pytest.mark.devserver
ROOT = Path(__file__).resolve().parent.parent


def worker_process(dev_env, queue_settings, db_url: str, tmp_path, crash: str | None):
    env = worker_env(
        dev_env.client.service_client.config.target_host,
        queue_settings.temporal_task_queue,
        db_url,
        tmp_path / "accepted",
    )
    if crash:
        env[CRASH_AFTER_COMMIT] = crash
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


async def test_a_crash_after_the_commit_neither_loses_nor_doubles_the_action(
    dev_env, http, queue_settings, db_url, engine, tmp_path, processes
):
    crashing = worker_process(dev_env, queue_settings, db_url, tmp_path, "flash_evaluation")
    processes.append(crashing)
    created = ok(await http.post("/households", json=factories.first_contact("75")), 201)
    hid = created["household_id"]
    key = {"Idempotency-Key": f"flash-{hid}"}
    url = f"/households/{hid}/flash-evaluation"

    flash = factories.flash()  # every retry sends the same body (another one: a 422)
    sent = asyncio.create_task(http.post(url, json=flash, headers=key))
    for _ in range(300):  # the worker commits the flash evaluation, then dies at once
        if crashing.poll() is not None:
            break
        await asyncio.sleep(0.1)
    assert crashing.returncode == 70, "the fault was not injected"
    processes.append(worker_process(dev_env, queue_settings, db_url, tmp_path, None))
    answer = await sent  # the same request, answered once the new worker replays the pathway
    if answer.status_code == 503:  # the update wait ran out first: the caseworker retries
        answer = await http.post(url, json=flash, headers=key)
    assert ok(answer)["stage"] == "flash_evaluated"

    again = ok(await http.post(url, json=flash, headers=key))  # a client retry
    assert again["stage"] == "flash_evaluated"
    handle = dev_env.client.get_workflow_handle(workflow_id(hid))
    for _ in range(50):
        stage = (await handle.describe()).typed_search_attributes.get(sa.STAGE)
        if stage == "flash_evaluated":
            break
        await asyncio.sleep(0.2)
    assert stage == "flash_evaluated"
    with Session(engine) as s:
        household = s.get(Household, hid)
        assert household is not None and household.stage == "flash_evaluated"
        flashes = s.exec(select(FlashEvaluation).where(FlashEvaluation.household_id == hid))
        assert len(list(flashes)) == 1
        events = s.exec(
            select(TimelineEvent.action)
            .where(TimelineEvent.household_id == hid)
            .order_by(col(TimelineEvent.id))
        )
        assert list(events) == [TimelineKind.REPORT, TimelineKind.FLASH_EVALUATION]
    # The history the crash left (with its patch marker) replays on today's code.
    await Replayer(workflows=[PathwayWorkflow], data_converter=DATA_CONVERTER).replay_workflow(
        await handle.fetch_history()
    )


async def test_a_retried_first_contact_gets_its_household_back(
    dev_env, http, queue_settings, settings, engine
):
    async with running_worker(
        dev_env.client, queue_settings, engine, queue_settings.temporal_task_queue
    ):
        body = {k: v for k, v in factories.first_contact("75").items() if k != "id"}
        key = {"Idempotency-Key": "premier-contact-maraude-0042"}
        first = ok(await http.post("/households", json=body, headers=key), 201)
        again = ok(await http.post("/households", json=body, headers=key), 201)
        hid = first["household_id"]
        assert again["household_id"] == hid and again["pathway"]["stage"] == "reported"

        ok(await http.post(f"/households/{hid}/flash-evaluation", json=factories.flash()))
        later = ok(await http.post("/households", json=body, headers=key), 201)
        assert later["household_id"] == hid
        assert later["pathway"]["stage"] == "flash_evaluated"  # as it is now, not as it was

        # Another account's identical key is another caseworker's entry.
        other = login(settings, engine, ["coordinateur"], ["75"])
        theirs = ok(await http.post("/households", json=body, headers={**key, **other}), 201)
        assert theirs["household_id"] != hid
    with Session(engine) as s:
        assert s.exec(select(Household).where(Household.id == hid)).one().stage == (
            "flash_evaluated"
        )
        reports = s.exec(
            select(TimelineEvent).where(
                TimelineEvent.household_id == hid, TimelineEvent.action == TimelineKind.REPORT
            )
        )
        assert len(list(reports)) == 1


@pytest.mark.parametrize("departement", ["95", "2A", "976", "13"])
async def test_first_contact_in_departements_without_rules_of_their_own(
    dev_env, http, queue_settings, settings, engine, departement
):
    """These killed the worker (durable_rules crashed on a fact no rule handles)."""
    headers = login(settings, engine, ["coordinateur"], [departement])
    async with running_worker(
        dev_env.client, queue_settings, engine, queue_settings.temporal_task_queue
    ):
        for _ in range(2):
            body = factories.first_contact(departement)
            created = ok(await http.post("/households", json=body, headers=headers), 201)
            assert created["pathway"]["stage"] == "reported"


async def test_a_first_contact_retried_after_its_entry_was_purged_finds_its_household(
    dev_env, http, queue_settings, engine, monkeypatch
):
    """The chaos proof found it: an entry purged while its update waited in Temporal, then the
    retry staged under a new household id — acknowledged with a household that never existed.
    The id now derives from the account's key: the retry names the same household."""
    from api import actions

    monkeypatch.setattr(actions, "UPDATE_WAIT_SECONDS", 2)
    body = factories.first_contact("75")
    key = {"Idempotency-Key": f"purge-{uuid.uuid4().hex[:12]}"}
    first = await http.post("/households", json=body, headers=key)  # no worker yet: 503
    assert first.status_code == 503, first.text
    with Session(engine) as s:
        staged = s.exec(
            select(Submission)
            .where(Submission.status == SubmissionStatus.PENDING, Submission.action == "report")
            .order_by(col(Submission.created_at).desc())
        ).first()
        assert staged is not None
        hid = staged.household_id
        s.delete(staged)  # purged, as a too-eager housekeeping did
        s.commit()
    # The retry is staged while the first update still waits for a worker (which is when the
    # purge bit): only then does a worker come. Its own wait may run out first (503): the
    # client retries once more with the same key, as told.
    retry = asyncio.create_task(http.post("/households", json=body, headers=key))

    async def staged_again() -> None:
        with Session(engine) as s:
            assert s.exec(select(Submission).where(Submission.household_id == hid)).first()

    await eventually(staged_again)
    async with running_worker(
        dev_env.client, queue_settings, engine, queue_settings.temporal_task_queue
    ):
        answer = await retry
        if answer.status_code == 503:
            answer = await http.post("/households", json=body, headers=key)
        again = ok(answer, 201)
        assert again["household_id"] == hid
        assert ok(await http.get(f"/households/{hid}"))["stage"] == "reported"
        flash = await http.post(f"/households/{hid}/flash-evaluation", json=factories.flash())
        assert ok(flash)["stage"] == "flash_evaluated"
