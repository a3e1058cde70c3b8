"""The vacancy protocol through the real API on a real dev server (issue 10, « Done when »): a
manager declares a vacancy, the coordinator proposes a household, the manager refuses with a
reason, the next household is proposed, accepts and is admitted on a date — in both workflows,
the timeline and the live count. Requirements, late and unmotivated answers, and two
coordinators proposing at once are refused with the reason, nothing changed."""

import asyncio
import uuid
from datetime import UTC, timedelta
from typing import Any

import httpx
from sqlmodel import Session

from activities.vacancy import VacancyActivities
from api import examples
from core import clock
from models.offer import StructureKind
from models.protocol import Consequence, ProposalStatus, ProtocolStep
from models.records import Household
from models.vacancy import ProposalState, VacancyInput, VacancyRecordInput
from tests import offer_fixtures
from tests.conftest import as_account, login, ok
from tests.pathway_helpers import eventually
from workflows import search_attributes as sa


async def _at_commission(http: httpx.AsyncClient, **first: Any) -> str:
    created = ok(await http.post("/households", json=examples.first_contact(**first)), 201)
    hid = created["household_id"]
    for path, body in (
        ("flash-evaluation", examples.flash()),
        ("in-depth-evaluation", examples.in_depth()),
        ("commission-decision", examples.commission()),
    ):
        ok(await http.post(f"/households/{hid}/{path}", json=body))
    return hid


async def _vacancy(
    http: httpx.AsyncClient, name: str, place: dict | None = None, **structure: Any
) -> tuple[int, str]:
    body = {"name": name, "departement": "75", "kind": "chrs", "commune": "75056", **structure}
    sid = ok(await http.post("/structures", json=body), 201)["id"]
    place = place or {"label": "Chambre 3", "status": "occupied"}
    pid = ok(await http.post(f"/structures/{sid}/places", json=place), 201)["id"]
    ok(await http.post(f"/places/{pid}/vacancy", json={"reason": "fin de séjour"}))

    async def opened() -> str:
        found = ok(await http.get("/vacancies", params={"place_id": pid}))
        assert len(found) == 1, found  # the workflow writes its row first
        vacancy = found[0]
        assert vacancy["step"] == "vacance_attente_proposition"
        return str(vacancy["id"])

    return pid, await eventually(opened)


async def _stage(http: httpx.AsyncClient, hid: str) -> str:
    return str(ok(await http.get(f"/households/{hid}/pathway"))["stage"])


async def test_vacancy_refusal_next_household_admission(http, worked, settings, engine, dev_env):
    name = f"CHRS Les Tilleuls {uuid.uuid4().hex[:6]}"
    pid, vid = await _vacancy(http, name)
    first, second = await _at_commission(http), await _at_commission(http)
    manager = as_account(http, login(settings, engine, ["gestionnaire"], ["75"], [name]))
    stranger = as_account(http, login(settings, engine, ["gestionnaire"], ["75"], ["Autre CHRS"]))
    async with manager, stranger:
        assert (await stranger.get(f"/vacancies/{vid}")).status_code == 404

        answer = ok(await http.post(f"/vacancies/{vid}/proposals", json={"household_id": first}))
        assert [p["status"] for p in answer["proposals"]] == ["attente_structure"]
        assert await _stage(http, first) == "orientation_proposed"
        place = ok(await http.get("/places", params={"status": "proposed"}))
        assert pid in [p["id"] for p in place]

        url = f"/vacancies/{vid}/proposals/{first}"
        unmotivated = await manager.post(f"{url}/structure-answer", json={"answer": "refusee"})
        assert unmotivated.status_code == 422 and "motivé" in unmotivated.text
        other = {"answer": "refusee", "refusal_reason": "autre"}
        assert (await manager.post(f"{url}/structure-answer", json=other)).status_code == 422
        wrong = {"answer": "refusee", "refusal_reason": "localisation"}  # the household's
        assert (await manager.post(f"{url}/structure-answer", json=wrong)).status_code == 422
        refusal = {"answer": "refusee", "refusal_reason": "public_non_correspondant"}
        answer = ok(await manager.post(f"{url}/structure-answer", json=refusal))
        (refused,) = answer["proposals"]
        assert refused["status"] == "refusee" and refused["consequence"] == "conserve_anciennete"
        assert await _stage(http, first) == "commission"
        assert answer["step"] == "vacance_attente_proposition"

        ok(await http.post(f"/vacancies/{vid}/proposals", json={"household_id": second}))
        url = f"/vacancies/{vid}/proposals/{second}"
        ok(await manager.post(f"{url}/structure-answer", json={"answer": "acceptee"}))
        ok(await http.post(f"{url}/household-answer", json={"answer": "acceptee"}))
        early = await manager.post(f"/vacancies/{vid}/proposals/{first}/admission", json={})
        assert early.status_code == 422
        admitted = {"admitted_on": clock.now().date().isoformat()}
        answer = ok(await manager.post(f"{url}/admission", json=admitted))
        assert answer["step"] == "vacance_pourvue" and answer["filled_by"] == second
        # The Temporal UI: filled, no deadline left (the time-skipping server cannot show this).
        found = (await dev_env.client.get_workflow_handle(vid).describe()).typed_search_attributes
        assert found[sa.STAGE] == "vacance_pourvue" and sa.NEXT_DEADLINE not in found
        assert await _stage(http, second) == "admitted"
        (row,) = [p for p in ok(await http.get("/places")) if p["id"] == pid]
        assert row["status"] == "occupied"
        again = await http.post(f"/vacancies/{vid}/proposals", json={"household_id": first})
        assert again.status_code == 409 and "Rien n'a été modifié" in again.text

        timeline = ok(await http.get(f"/households/{second}"))["timeline"]
        actions = [e["action"] for e in timeline]
        for action in ("orientation", "accept_orientation", "admission"):
            assert action in actions, actions


async def test_requirements_and_two_coordinators_at_once(http, worked, settings, engine):
    name = f"CHRS Familles {uuid.uuid4().hex[:6]}"
    families = [{"fact": "has_children", "rule": "must"}]
    _, vid = await _vacancy(http, name, requirements=families)
    alone = await _at_commission(http)
    r = await http.post(f"/vacancies/{vid}/proposals", json={"household_id": alone})
    assert r.status_code == 409 and "has_children" in r.json()["detail"], r.text
    assert await _stage(http, alone) == "commission"  # nothing changed

    _, vid = await _vacancy(http, f"CHRS Tous publics {uuid.uuid4().hex[:6]}")
    a, b = await _at_commission(http), await _at_commission(http)
    other = as_account(http, login(settings, engine, ["coordinateur"], ["75"]))
    async with other:
        answers = await asyncio.gather(
            http.post(f"/vacancies/{vid}/proposals", json={"household_id": a}),
            other.post(f"/vacancies/{vid}/proposals", json={"household_id": b}),
        )
    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    loser = a if answers[0].status_code == 409 else b
    assert await _stage(http, loser) == "commission"


async def test_a_place_declared_vacant_opens_its_protocol_an_emergency_one_does_not(http, worked):
    body = {"name": f"CHRS Neuf {uuid.uuid4().hex[:6]}", "departement": "75", "kind": "chrs"}
    sid = ok(await http.post("/structures", json={**body, "commune": "75056"}), 201)["id"]
    pid = ok(await http.post(f"/structures/{sid}/places", json={"label": "Studio 1"}), 201)["id"]

    async def opened() -> None:
        (vacancy,) = ok(await http.get("/vacancies", params={"place_id": pid})) or [None]
        assert vacancy and vacancy["id"] == f"vacance-{pid}-1"

    await eventually(opened)
    chu = {**body, "name": f"CHU {uuid.uuid4().hex[:6]}", "kind": "chu", "commune": "75056"}
    cid = ok(await http.post("/structures", json=chu), 201)["id"]
    bed = ok(await http.post(f"/structures/{cid}/places", json={"label": "Lit 4"}), 201)["id"]
    await asyncio.sleep(0.5)
    assert ok(await http.get("/vacancies", params={"place_id": bed})) == []  # the 115 assigns it


async def test_seniority_is_lost_only_as_the_reason_says_and_lists_sort_by_it(http, worked, engine):
    now = clock.now()
    met = [(now - timedelta(days=d)).isoformat() for d in (300, 299)]
    older, newer = [await _at_commission(http, encountered_at=m) for m in met]
    params = {"departement": "75", "stage": "commission", "sort": "seniority", "limit": 200}
    items = ok(await http.get("/households", params=params))["items"]
    ids = [i["id"] for i in items]
    assert ids.index(older) < ids.index(newer)
    assert items[ids.index(older)]["seniority_since"][:10] == met[0][:10]

    # A refusal whose reason costs the seniority (none does in the national policy): counted
    # from the refusal, and written once (a retried activity does not move it again).
    _, pid = offer_fixtures.place(engine, "occupied")
    vacancy = VacancyInput(
        vacancy_id=f"vacance-{pid}-1", place_id=pid, structure_id=1, structure="CHRS",
        kind=StructureKind.CHRS, departement="75", declared_at=now, actor="t",
    )  # fmt: skip
    refused = ProposalState(
        household_id=older, status=ProposalStatus.REFUSED, proposed_at=now, due_at=now
    )
    record = VacancyRecordInput(
        vacancy=vacancy, step=ProtocolStep.AWAITING_PROPOSAL, proposal=refused,
        consequence=Consequence.LOSE_SENIORITY,
    )  # fmt: skip
    acts = VacancyActivities(engine=engine, policies=None)  # type: ignore[arg-type]
    acts.record_vacancy(record)
    with Session(engine) as s:
        lost = s.get(Household, older).seniority_since  # type: ignore[union-attr]
    assert lost is not None
    lost_at = lost if lost.tzinfo else lost.replace(tzinfo=UTC)  # SQLite: naive UTC
    assert lost_at >= now - timedelta(minutes=1)
    acts.record_vacancy(record)
    with Session(engine) as s:
        assert s.get(Household, older).seniority_since == lost  # type: ignore[union-attr]
    items = ok(await http.get("/households", params=params))["items"]
    ids = [i["id"] for i in items]
    assert ids.index(newer) < ids.index(older)


async def test_an_iml_unit_keeps_its_lease_terms_and_its_admission_is_housing(
    http, worked, settings, engine
):
    """R-HOUS-4: the IML stock with its address, rent, charges and convention; an IML
    orientation that ends in admission takes the household to housing, not to shelter."""
    name = f"Solibail {uuid.uuid4().hex[:6]}"
    lease = {
        "address": "12 rue des Lilas, 75020 Paris",
        "rent": 640,
        "charges": 85,
        "convention": "Solibail 2026-014",
        "convention_start": "2026-01-01",
        "convention_end": "2028-12-31",
    }
    unit = {"label": "T2 Lilas", "unit_type": "t2", "beds": 3, "status": "occupied", **lease}
    pid, vid = await _vacancy(http, name, unit, kind="iml")
    (row,) = [p for p in ok(await http.get("/places")) if p["id"] == pid]
    assert {k: row[k] for k in lease} == lease and row["kind"] == "iml"
    bad = await http.post(f"/structures/{row['structure_id']}/places", json={**unit, "rent": -5})
    assert bad.status_code == 422  # and nothing else recorded
    assert [p["id"] for p in ok(await http.get("/places")) if p["structure"] == name] == [pid]

    hid = await _at_commission(http)
    ok(await http.post(f"/vacancies/{vid}/proposals", json={"household_id": hid}))
    url = f"/vacancies/{vid}/proposals/{hid}"
    async with as_account(http, login(settings, engine, ["gestionnaire"], ["75"], [name])) as iml:
        ok(await iml.post(f"{url}/structure-answer", json={"answer": "acceptee"}))
        ok(await http.post(f"{url}/household-answer", json={"answer": "acceptee"}))
        admitted = {"admitted_on": clock.now().date().isoformat()}
        assert ok(await iml.post(f"{url}/admission", json=admitted))["filled_by"] == hid
    assert await _stage(http, hid) == "housed"  # a CHRS admission is `admitted` (above)
