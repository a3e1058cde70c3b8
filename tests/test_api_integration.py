"""The real API, the real dev server, the real worker: a whole pathway over HTTP."""

import asyncio
import subprocess

import pytest
from sqlmodel import Session, col, func, select
from structlog.testing import capture_logs

from models.evaluations import InDepthEvaluation
from models.records import TimelineEvent, TimelineKind
from tests import factories
from tests.conftest import BIN, ok, running_worker
from tests.pathway_helpers import history_text

pytestmark = pytest.mark.devserver


async def test_whole_pathway_over_http(dev_env, http, queue_settings, engine):
    with capture_logs() as logs:
        await walk_whole_pathway(dev_env, http, queue_settings, engine)
    logged = str(logs)  # what the worker and the API logged meanwhile
    assert "action_applied" in logged  # the logs were captured
    for personal in ("Le Grand Jo", "birth_year", "un endroit calme", "Référente"):
        assert personal not in logged


async def walk_whole_pathway(dev_env, http, queue_settings, engine):
    async with running_worker(
        dev_env.client, queue_settings, engine, queue_settings.temporal_task_queue
    ):
        created = ok(await http.post("/households", json=factories.first_contact("75")), 201)
        hid = created["household_id"]
        assert created["pathway"]["stage"] == "reported"
        assert created["pathway"]["next_deadline_at"]
        base = f"/households/{hid}"
        for path, data, stage in [
            ("flash-evaluation", factories.flash(), "flash_evaluated"),
            ("in-depth-evaluation", factories.in_depth(), "in_depth_evaluated"),
            ("commission-decision", factories.commission("hebergement", "chrs"), "commission"),
            ("orientation", factories.orientation(), "orientation_proposed"),
            ("orientation/response", factories.accepted(), "orientation_proposed"),
            ("admission", factories.placement(), "admitted"),
        ]:
            state = ok(await http.post(f"{base}/{path}", json=data))
            assert state["stage"] == stage, path

        # A supervisor's filter, with the real CLI as in the README.
        query = f"SiaoStage='admitted' AND WorkflowId='parcours-{hid}'"

        async def listed() -> list[str]:
            return [w.id async for w in dev_env.client.list_workflows(query)]

        for _ in range(50):
            if await listed():
                break
            await asyncio.sleep(0.2)
        assert await listed() == [f"parcours-{hid}"]
        cli = subprocess.run(
            [
                str(BIN / "temporal"),
                "workflow",
                "list",
                "--address",
                dev_env.client.service_client.config.target_host,
                "--query",
                query,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert f"parcours-{hid}" in cli.stdout

        ok(await http.post(f"{base}/commission-decision", json=factories.commission()))
        ok(await http.post(f"{base}/orientation", json=factories.orientation("pension_de_famille")))
        ok(await http.post(f"{base}/orientation/response", json=factories.accepted()))
        state = ok(
            await http.post(f"{base}/housing", json=factories.placement("pension_de_famille"))
        )
        assert state["stage"] == "housed"
        state = ok(await http.post(f"{base}/follow-up", json=factories.review()))
        assert state["stage"] == "follow_up"
        assert ok(await http.get(f"{base}/pathway"))["stage"] == "follow_up"

        page = ok(await http.get("/households", params={"departement": "75", "stage": "follow_up"}))
        assert hid in [h["id"] for h in page["items"]]
        detail = ok(await http.get(base))
        assert detail["members"][0]["nickname"] == "Le Grand Jo"
        assert len(detail["records"]["placements"]) == 2
        assert [e["action"] for e in detail["timeline"]][:3] == [
            "report",
            "flash_evaluation",
            "in_depth_evaluation",
        ]
        me = ok(await http.get("/auth/me"))
        actors = {e["actor"] for e in detail["timeline"]}
        assert len(actors) == 1 and actors.pop().startswith("agent-")  # an id, not a name
        assert me["roles"] == ["coordinateur"]

        state = ok(await http.post(f"{base}/exit", json=factories.exit_("logement_social")))
        assert state["stage"] == "closed"
        refused = await http.post(f"{base}/review", json=factories.review())
        assert refused.status_code == 409

    # Names, birth years and free text stay in the database, never in Temporal.
    history = await dev_env.client.get_workflow_handle(f"parcours-{hid}").fetch_history()
    stored = history_text(history)
    assert "CHRS Les Amandiers" in stored  # the decoding works: structures are not personal
    # (a birth year is looked for as a field: random timestamps may well contain "1980")
    for personal in (
        "Le Grand Jo",
        "birth_year",
        "un endroit calme",
        "ouvrir les droits",
        "Référente",
    ):
        assert personal not in stored


async def test_worker_stopped_mid_pathway_resumes_nothing_lost_or_doubled(
    dev_env, http, queue_settings, engine
):
    queue = queue_settings.temporal_task_queue
    async with running_worker(dev_env.client, queue_settings, engine, queue):
        hid = ok(await http.post("/households", json=factories.first_contact()), 201)[
            "household_id"
        ]
        ok(await http.post(f"/households/{hid}/flash-evaluation", json=factories.flash()))

    # No worker now: the caseworker's action waits, it is not lost.
    headers = {"Idempotency-Key": "eval-approfondie-1"}
    evaluation = factories.in_depth()  # a retry sends the same body (another one: a 422)
    pending = asyncio.create_task(
        http.post(f"/households/{hid}/in-depth-evaluation", json=evaluation, headers=headers)
    )
    await asyncio.sleep(1.5)
    assert not pending.done()

    async with running_worker(dev_env.client, queue_settings, engine, queue):
        state = ok(await asyncio.wait_for(pending, 30))
        assert state["stage"] == "in_depth_evaluated"
        again = ok(
            await http.post(
                f"/households/{hid}/in-depth-evaluation", json=evaluation, headers=headers
            )
        )
        assert again["actions_count"] == state["actions_count"] == 3
    with Session(engine) as s:
        evaluations = s.exec(
            select(func.count())
            .select_from(InDepthEvaluation)
            .where(InDepthEvaluation.household_id == hid)
        ).one()
        events = s.exec(  # in the order they were written (PostgreSQL gives no order otherwise)
            select(TimelineEvent.action)
            .where(TimelineEvent.household_id == hid)
            .order_by(col(TimelineEvent.id))
        ).all()
    assert evaluations == 1
    assert events == [
        TimelineKind.REPORT,
        TimelineKind.FLASH_EVALUATION,
        TimelineKind.IN_DEPTH_EVALUATION,
    ]
