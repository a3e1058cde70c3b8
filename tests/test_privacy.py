"""The person's rights and the audit trail, for real: erasure leaves nothing identifying in the
database or in Temporal, tampering with the audit trail shows, rectification keeps history."""

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session, col, func, select
from temporalio.service import RPCError

from activities import audit_check
from api.main import create_app
from models.audit import AnonymousPathway, AuditEvent, Rectification
from models.records import Household, Person, Submission, TimelineEvent
from tests import factories
from tests.conftest import login, ok, running_worker
from tests.pathway_helpers import eventually


@pytest.fixture
async def http(dev_env, queue_settings, settings, engine):
    async def connect():
        return dev_env.client

    app = create_app(queue_settings, engine, connect)
    headers = login(settings, engine, ["coordinateur"], ["75"])
    async with (
        running_worker(dev_env.client, queue_settings, engine, queue_settings.temporal_task_queue),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers, timeout=30
        ) as client,
    ):
        yield client


async def test_reads_and_writes_are_audited_and_the_person_gets_an_access_report(http):
    hid = ok(await http.post("/households", json=factories.first_contact()), 201)["household_id"]
    ok(await http.post(f"/households/{hid}/flash-evaluation", json=factories.flash()))
    ok(await http.get(f"/households/{hid}"))
    report = ok(await http.get(f"/households/{hid}/access-report"))
    assert [(e["action"], e["record"]) for e in report] == [
        ("écriture", "premier contact"),
        ("écriture", "évaluation flash"),
        ("lecture", "fiche ménage"),
    ]
    assert "wishes" in report[1]["fields"] and report[2]["purpose"]
    assert all(e["actor"].startswith("agent-") for e in report)
    assert ok(await http.get("/audit/verify")) == {"intact": True, "premiere_rupture": None}


async def test_tampering_with_an_audit_row_is_detected(http, engine):
    hid = ok(await http.post("/households", json=factories.first_contact()), 201)["household_id"]
    ok(await http.get(f"/households/{hid}"))
    assert audit_check.verify(engine) is None
    with Session(engine) as s:
        row = s.exec(
            select(AuditEvent).where(AuditEvent.household_id == hid).order_by(col(AuditEvent.seq))
        ).first()
        assert row is not None
        seq, purpose = row.seq, row.purpose
        s.execute(text("UPDATE auditevent SET purpose = 'rien' WHERE seq = :s").bindparams(s=seq))
        s.commit()
    try:
        assert audit_check.verify(engine) == seq
        verdict = ok(await http.get("/audit/verify"))
        assert verdict == {"intact": False, "premiere_rupture": seq}
    finally:  # put it back, so later tests see an intact chain
        with Session(engine) as s:
            s.execute(
                text("UPDATE auditevent SET purpose = :p WHERE seq = :s").bindparams(
                    p=purpose, s=seq
                )
            )
            s.commit()
    assert audit_check.verify(engine) is None


async def test_rectification_keeps_its_history_and_export_holds_everything(http, engine):
    hid = ok(await http.post("/households", json=factories.first_contact()), 201)["household_id"]
    person = ok(await http.get(f"/households/{hid}"))["members"][0]
    r = await http.patch(
        f"/households/{hid}/persons/{person['id']}",
        json={"last_name": "Martin", "reason": "demande de la personne"},
    )
    assert r.status_code == 422 and "pseudonyme" in r.json()["detail"]  # no consent, no name
    ok(
        await http.patch(
            f"/households/{hid}/persons/{person['id']}",
            json={"nickname": "Jo", "reason": "demande de la personne"},
        )
    )
    exported = ok(await http.get(f"/households/{hid}/export"))
    assert exported["personnes"][0]["nickname"] == "Jo"
    assert [(r["field"], r["old_value"], r["new_value"]) for r in exported["rectifications"]] == [
        ("nickname", "Le Grand Jo", "Jo")
    ]
    assert {e["action"] for e in exported["journal_d_acces"]} >= {"rectification", "export"}


async def test_erasure_leaves_nothing_identifying_in_the_database_or_temporal(
    http, engine, dev_env
):
    hid = ok(await http.post("/households", json=factories.first_contact()), 201)["household_id"]
    ok(await http.post(f"/households/{hid}/flash-evaluation", json=factories.flash()))
    assert (await http.delete(f"/households/{hid}")).status_code == 204

    with Session(engine) as s:
        assert s.get(Household, hid) is None
        for table in (Person, Submission, TimelineEvent, Rectification):
            count = s.exec(
                select(func.count()).select_from(table).where(table.household_id == hid)
            ).one()
            assert count == 0, table
        assert s.exec(select(func.count()).select_from(AnonymousPathway)).one() >= 1

    async def deleted() -> None:  # executions deleted: history and search attributes gone
        query = f"WorkflowId='parcours-{hid}'"
        assert [w async for w in dev_env.client.list_workflows(query)] == []
        with pytest.raises(RPCError):
            await dev_env.client.get_workflow_handle(f"parcours-{hid}").describe()

    await eventually(deleted, timeout=30)
    assert (await http.get(f"/households/{hid}")).status_code == 404
    trail = ok(await http.get("/audit", params={"household_id": hid}))
    assert trail[-1]["action"] == "effacement"
    assert audit_check.verify(engine) is None
