"""Commission sessions through the real API on a real dev server and worker (R-COM-1, R-COM-2):
the coordinator opens a session with its members, its agenda lists the households ready for a
decision, a decision taken in it moves the pathway and is recorded with the session and the
members present; what does not fit the session is refused in French (422, 404, 409)."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlmodel import Session, col, select

from api import examples
from api.accounts import create_user
from core import clock
from models.audit import AuditEvent
from models.evaluations import CommissionDecision
from models.records import Household
from tests.conftest import as_account, login, ok


def _account(engine: Any, roles: list[str], departements: list[str]) -> str:
    name = f"membre-{uuid.uuid4().hex[:8]}"
    create_user(engine, name, None, roles, departements)
    return name


async def _household(
    http: httpx.AsyncClient, steps: int, days_ago: int = 0, departement: str = "75", **flash: Any
) -> str:
    """A household of `departement` met `days_ago` days ago, taken through the first `steps` of
    flash and in-depth evaluation."""
    met = (clock.now() - timedelta(days=days_ago)).isoformat()
    body = examples.first_contact(departement, encountered_at=met)
    hid = str(ok(await http.post("/households", json=body), 201)["household_id"])
    for path, step in (
        ("flash-evaluation", {**examples.flash(), **flash}),
        ("in-depth-evaluation", examples.in_depth()),
    )[:steps]:
        ok(await http.post(f"/households/{hid}/{path}", json=step))
    return hid


async def _agenda(http: httpx.AsyncClient, cid: int) -> dict[str, dict[str, Any]]:
    return {item["household_id"]: item for item in ok(await http.get(f"/commissions/{cid}/agenda"))}


def _decision(members: list[str], **overrides: Any) -> dict[str, Any]:
    return {**examples.commission(), "members_present": members, **overrides}


async def test_a_session_decides_the_households_of_its_agenda(http, worked, settings, engine):
    member = _account(engine, ["commission"], ["75"])
    referent = _account(engine, ["referent"], ["75"])
    elsewhere = _account(engine, ["commission"], ["93"])
    opening = {"departement": "75", "kind": "unique", "members": [member, "inconnu-x", referent]}
    refused = await http.post("/commissions", json=opening)
    assert refused.status_code == 422, refused.text
    assert "inconnu-x" in refused.json()["detail"] and referent in refused.json()["detail"]
    assert member not in refused.json()["detail"]
    refused = await http.post("/commissions", json={**opening, "members": [elsewhere]})
    assert refused.status_code == 422 and "département 75" in refused.text
    with_partners = {**opening, "members": [member], "partners": ["EMPP"]}
    assert (await http.post("/commissions", json=with_partners)).status_code == 422
    session = ok(await http.post("/commissions", json={**opening, "members": [member]}), 201)
    cid, url = session["id"], f"/commissions/{session['id']}"
    assert (session["status"], session["kind"], session["members"]) == (
        "ouverte",
        "unique",
        [member],
    )

    older, newer = await _household(http, 2, days_ago=2), await _household(http, 2, days_ago=1)
    flash_only = await _household(http, 1)
    agenda = await _agenda(http, cid)
    assert older in agenda and newer in agenda and flash_only not in agenda
    item = agenda[older]
    assert (item["stage"], item["reason"], item["to_decide"]) == (
        "in_depth_evaluated",
        "evaluation_approfondie",
        True,
    )
    mine = [hid for hid in agenda if hid in (older, newer)]
    assert mine == [older, newer]  # the longest-waiting first
    with Session(engine) as s:  # the agenda is a read of household data: audited
        read = s.exec(
            select(AuditEvent)
            .where(
                AuditEvent.household_id == older, AuditEvent.record == "ordre du jour de commission"
            )
            .order_by(col(AuditEvent.seq))
        ).all()
    assert read and read[0].action == "lecture"

    decide = f"{url}/decisions/{older}"
    wrong_kind = await http.post(decide, json=_decision([member], commission="partenariale"))
    assert wrong_kind.status_code == 422 and "commission unique" in wrong_kind.json()["detail"]
    stranger = await http.post(decide, json=_decision([member, "quelqu-un"]))
    assert stranger.status_code == 422 and "quelqu-un" in stranger.json()["detail"]
    not_ready = await http.post(f"{url}/decisions/{flash_only}", json=_decision([member]))
    assert not_ready.status_code == 409 and "ordre du jour" in not_ready.json()["detail"]

    key = {"Idempotency-Key": f"seance-{uuid.uuid4().hex}"}
    body = _decision([member])
    pathway = ok(await http.post(decide, json=body, headers=key))
    assert pathway["stage"] == "commission"
    assert ok(await http.post(decide, json=body, headers=key))["stage"] == "commission"  # retry
    again = await http.post(decide, json=_decision([member]))
    assert again.status_code == 409 and "déjà sa décision" in again.json()["detail"]
    with Session(engine) as s:
        rows = s.exec(
            select(CommissionDecision).where(CommissionDecision.household_id == older)
        ).all()
    assert [(r.session_id, r.members_present, r.commission) for r in rows] == [
        (cid, [member], "unique")
    ]
    decided = (await _agenda(http, cid))[older]  # shown with its decision, not to decide
    assert decided["to_decide"] is False
    assert decided["decision"]["members_present"] == [member]
    assert decided["decision"]["recommendation"] == "logement"

    other = await _household(http, 2, departement="93")
    assert (await http.post(f"{url}/decisions/{other}", json=body)).status_code == 404
    coordinator_93 = as_account(http, login(settings, engine, ["coordinateur"], ["93"]))
    sitting = as_account(http, login(settings, engine, ["commission"], ["75"]))
    async with coordinator_93, sitting:
        assert (await coordinator_93.get(url)).status_code == 404
        assert (await coordinator_93.get(f"{url}/agenda")).status_code == 404
        assert cid not in [s["id"] for s in ok(await coordinator_93.get("/commissions"))]
        assert older in await _agenda(sitting, cid)  # a member reads the agenda...
        assert (await sitting.post(f"{url}/close")).status_code == 403  # ...the coordinator closes

    closed = ok(await http.post(f"{url}/close"))
    assert closed["status"] == "close"
    assert (await http.post(f"{url}/close")).status_code == 409
    late = await http.post(f"{url}/decisions/{newer}", json=_decision([member]))
    assert late.status_code == 409 and "close" in late.json()["detail"]
    assert list(await _agenda(http, cid)) == [older]  # closed: what it decided, nothing more
    assert cid in [s["id"] for s in ok(await http.get("/commissions", params={"status": "close"}))]


async def test_the_partnership_commission_has_the_households_the_rules_route_to_it(
    http, worked, settings, engine
):
    member = _account(engine, ["coordinateur"], ["75"])  # a coordinator may sit too
    sessions = {
        kind: ok(
            await http.post(
                "/commissions",
                json={"departement": "75", "kind": kind, "members": [member]},
            ),
            201,
        )["id"]
        for kind in ("unique", "partenariale")
    }
    routed = await _household(http, 2, expertise_needed=["sante_mentale"])  # R-COM-2
    plain = await _household(http, 2)
    with Session(engine) as s:
        assert s.get(Household, routed).partnership_commission  # type: ignore[union-attr]
    unique = await _agenda(http, sessions["unique"])
    listed = await _agenda(http, sessions["partenariale"])
    assert plain in unique and routed not in unique
    assert routed in listed and plain not in listed
    assert listed[routed]["reason"] == "orientation_partenariale"
    wrong = await http.post(
        f"/commissions/{sessions['unique']}/decisions/{routed}", json=_decision([member])
    )
    assert wrong.status_code == 409
    body = _decision([member])
    del body["commission"]  # the session's kind
    url = f"/commissions/{sessions['partenariale']}/decisions/{routed}"
    assert ok(await http.post(url, json=body))["stage"] == "commission"
    with Session(engine) as s:
        row = s.exec(
            select(CommissionDecision).where(col(CommissionDecision.household_id) == routed)
        ).one()
    assert (row.commission, row.session_id) == ("partenariale", sessions["partenariale"])

    # An admitted household the rules flagged for an abnormally long stay (R-HOUS-1): its read
    # model written here (reaching it through the pathway takes months of stay).
    hosted = await _household(http, 0)
    with Session(engine) as s:
        household = s.get(Household, hosted)
        assert household is not None
        household.stage, household.flags = "admitted", ["long_stay_review"]
        household.partnership_commission = "Séjour anormalement long"
        s.add(household)
        s.commit()
    assert (await _agenda(http, sessions["partenariale"]))[hosted]["reason"] == "sejour_long"
    assert hosted not in await _agenda(http, sessions["unique"])
    # A member does not accompany a hosted household: the flag (set by a rule that tests the
    # administrative situation) and the reason that would tell it are not shown.
    async with as_account(http, login(settings, engine, ["commission"], ["75"])) as sitting:
        seen = (await _agenda(sitting, sessions["partenariale"]))[hosted]
    assert (seen["reason"], seen["flags"]) == ("orientation_partenariale", [])
