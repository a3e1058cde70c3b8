"""The offer (issue 10, items 1–2): structures and places declared, vacancies and departures
moving the live count at once, refusals naming why with nothing changed, managers limited to
their structures, and the last emergency bed given to one handler only."""

import asyncio
from typing import Any

import httpx
from sqlmodel import Session, select

from models.offer import Place
from models.records import TimelineEvent, TimelineKind
from tests import hunt
from tests.conftest import as_account, login, ok


async def _structure(http: httpx.AsyncClient, name: str, kind: str = "chrs", **kw: Any) -> int:
    body = {"name": name, "departement": "75", "kind": kind, "commune": "75056", **kw}
    return ok(await http.post("/structures", json=body), 201)["id"]


async def _place(http: httpx.AsyncClient, sid: int, status: str = "occupied") -> int:
    body = {"label": "Chambre 12", "status": status}
    return ok(await http.post(f"/structures/{sid}/places", json=body), 201)["id"]


def _row(counts: Any, kind: str) -> dict[str, Any]:
    return next(c for c in counts if c["kind"] == kind and c["commune"] == "75056")


async def test_vacancy_moves_the_live_count_and_departure_from_vacant_is_refused(http, engine):
    sid = await _structure(http, "Pension des Lilas", "pension_de_famille", funding="autre")
    pid = await _place(http, sid)
    query = {"kind": "pension_de_famille", "funding": "autre"}
    before = _row(ok(await http.get("/offer", params=query)), "pension_de_famille")
    ok(await http.post(f"/places/{pid}/vacancy", json={"reason": "fin de séjour"}))
    after = _row(ok(await http.get("/offer", params=query)), "pension_de_famille")
    assert after["vacant"] == before["vacant"] + 1
    assert after["occupied"] == before["occupied"] - 1

    history = ok(await http.get(f"/places/{pid}/history"))
    r = await http.post(f"/places/{pid}/departure", json={})
    assert r.status_code == 409
    assert r.json()["detail"] == (
        "Action impossible : la place est déjà vacante. Rien n'a été modifié."
    )
    r = await http.post(f"/places/{pid}/vacancy", json={})
    assert r.status_code == 409 and "déjà vacante" in r.json()["detail"]
    assert ok(await http.get(f"/places/{pid}/history")) == history  # nothing changed
    assert _row(ok(await http.get("/offer", params=query)), "pension_de_famille") == after
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "occupied"),
        ("occupied", "vacant"),
    ]


async def test_a_manager_reaches_only_its_structures_places(http, settings, engine):
    mine = await _place(http, await _structure(http, hunt.STRUCTURE))
    theirs = await _place(http, await _structure(http, "CHRS Voisin"))
    headers = login(settings, engine, ["gestionnaire"], ["75"], [hunt.STRUCTURE])
    async with as_account(http, headers) as manager:
        r = await manager.post(f"/places/{theirs}/departure", json={"reason": "départ"})
        assert r.status_code == 404 and r.json()["detail"] == "Place inconnue."
        assert (await manager.get(f"/places/{theirs}/history")).status_code == 404
        ok(await manager.post(f"/places/{mine}/departure", json={"reason": "départ"}))
        listed = {p["id"] for p in ok(await manager.get("/places"))}
        assert mine in listed and theirs not in listed
        r = await manager.post("/structures", json={"name": "x"})
        assert r.status_code == 403
    with Session(engine) as session:
        theirs_place = session.get(Place, theirs)
        assert theirs_place is not None and theirs_place.status == "occupied"


async def test_the_last_emergency_bed_goes_to_one_handler(http, worked, settings, engine):
    pid = await _place(http, await _structure(http, "CHU du Canal", "chu"), "vacant")
    households = [
        ok(await http.post("/households", json=hunt.first_contact()), 201)["household_id"]
        for _ in range(2)
    ]
    handlers = [login(settings, engine, ["ecoutant_115"], ["75"]) for _ in range(2)]
    async with as_account(http, handlers[0]) as one, as_account(http, handlers[1]) as two:
        free = ok(await one.get("/offer/emergency"))
        assert pid in {p["id"] for p in free}
        answers = await asyncio.gather(
            one.post(f"/places/{pid}/assign", json={"household_id": households[0]}),
            two.post(f"/places/{pid}/assign", json={"household_id": households[1]}),
        )
        assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
        lost = next(r for r in answers if r.status_code == 409)
        assert "la place est occupée" in lost.json()["detail"]
        assert pid not in {p["id"] for p in ok(await one.get("/offer/emergency"))}
    winner = households[[r.status_code for r in answers].index(200)]
    with Session(engine) as session:
        events = session.exec(
            select(TimelineEvent).where(TimelineEvent.action == TimelineKind.EMERGENCY_SHELTER)
        ).all()
        sheltered = {e.household_id for e in events if e.detail.get("place_id") == pid}
        assert sheltered == {winner}
        place = session.get(Place, pid)
        assert place is not None and place.status == "occupied" and place.household_id == winner
    history = ok(await http.get(f"/places/{pid}/history"))
    assert [h["to_status"] for h in history] == ["vacant", "occupied"]


async def test_non_emergency_places_cannot_be_assigned(http, worked, settings, engine):
    pid = await _place(http, await _structure(http, "CHRS Sans Urgence"), "vacant")
    hid = ok(await http.post("/households", json=hunt.first_contact()), 201)["household_id"]
    async with as_account(http, login(settings, engine, ["ecoutant_115"], ["75"])) as handler:
        r = await handler.post(f"/places/{pid}/assign", json={"household_id": hid})
        assert r.status_code == 409 and "pas une place d'urgence" in r.json()["detail"]


async def test_eligibility_requirements_are_checked_against_the_vocabulary(http):
    good: list[dict[str, Any]] = [
        {"fact": "typology", "rule": "must", "codes": ["personne_isolee"]},
        {"fact": "has_children", "rule": "must_not"},
    ]
    body = {"name": "FJT", "departement": "75", "kind": "fjt", "commune": "75056"}
    created = ok(await http.post("/structures", json={**body, "requirements": good}), 201)
    assert created["requirements"] == [{**good[0]}, {**good[1], "codes": []}]
    for bad, message in (
        ({"fact": "pointure", "rule": "must"}, "fait « pointure » inconnu"),
        ({"fact": "members_count", "rule": "must"}, "fait « members_count » inconnu"),
        ({"fact": "typology", "rule": "must", "codes": ["licorne"]}, "code(s) inconnu(s) licorne"),
        ({"fact": "typology", "rule": "must"}, "au moins un code attendu"),
        ({"fact": "has_children", "rule": "must", "codes": ["x"]}, "aucun code attendu"),
        ({"fact": "typology", "rule": "peut-être", "codes": ["groupe"]}, "valeur invalide"),
    ):
        r = await http.post("/structures", json={**body, "requirements": [bad]})
        assert r.status_code == 422, r.text
        assert r.json()["detail"].startswith("Saisie invalide")
        assert message in r.json()["erreurs"][0]["message"], r.json()


async def test_the_state_quota_is_told_apart_in_the_place_and_the_live_count(http):
    """R-RES-2, R-HOUS-5: a résidence accueil's places reserved to the Prefect (contingent
    préfectoral) are marked one by one and counted apart, vacant ones too."""
    sid = await _structure(http, "Résidence du Canal", "residence_accueil", funding="autre")
    query = {"kind": "residence_accueil", "funding": "autre"}
    zero = {"total": 0, "vacant": 0, "state_quota": 0, "state_quota_vacant": 0}
    counts = ok(await http.get("/offer", params=query))
    before = next((c for c in counts if c["commune"] == "75056"), zero)
    reserved = []
    for quota in (True, True, False):
        body = {"label": "Studio", "status": "occupied", "state_quota": quota}
        place = ok(await http.post(f"/structures/{sid}/places", json=body), 201)
        assert place["state_quota"] is quota
        reserved += [place["id"]] if quota else []
    ok(await http.post(f"/places/{reserved[0]}/vacancy", json={"reason": "départ"}))
    after = _row(ok(await http.get("/offer", params=query)), "residence_accueil")
    assert after["total"] == before["total"] + 3
    assert after["state_quota"] == before["state_quota"] + 2
    assert after["state_quota_vacant"] == before["state_quota_vacant"] + 1
    assert after["vacant"] == before["vacant"] + 1
