"""Nothing tells an existing household of another département from an unknown one (issue 8,
item 1); an Idempotency-Key reused with another body is refused, and the policies list shows the
caller's départements only (item 17)."""

import pytest
from sqlmodel import Session, func, select

from models.records import Household
from tests import factories
from tests.conftest import login, new_id, ok, running_worker

pytestmark = pytest.mark.devserver


def households(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Household)).one()


async def test_another_departements_household_answers_like_an_unknown_one(
    dev_env, http, queue_settings, settings, engine
):
    paris, seine_st_denis = (
        login(settings, engine, ["coordinateur"], ["75"]),
        login(settings, engine, ["coordinateur"], ["93"]),
    )
    key = {"Idempotency-Key": f"maraude-{new_id()}"}
    async with running_worker(
        dev_env.client, queue_settings, engine, queue_settings.temporal_task_queue
    ):
        body = factories.first_contact("75")
        created = ok(await http.post("/households", json=body, headers={**paris, **key}), 201)
        hid = created["household_id"]
        ok(await http.post(f"/households/{hid}/flash-evaluation", json=factories.flash()))

        # A client-chosen id is refused by name, whether it exists (in 75) or not.
        before = households(engine)
        answers = []
        for target in (hid, new_id()):
            named = {**factories.first_contact("93"), "id": target}
            r = await http.post("/households", json=named, headers=seine_st_denis)
            answers.append((r.status_code, r.json()))
        assert answers[0] == answers[1]
        assert answers[0][0] == 422 and answers[0][1]["erreurs"][0]["champ"] == "id"
        assert households(engine) == before

        # The 75 key, sent by a 93 account, is another account's key: a household of its own.
        theirs = factories.first_contact("93")
        other = ok(
            await http.post("/households", json=theirs, headers={**seine_st_denis, **key}), 201
        )
        assert other["household_id"] != hid and other["pathway"]["stage"] == "reported"

        # The audit trail: a household of 75 answers a 93 auditor exactly like an unknown id.
        audits = [
            await http.get("/audit", params={"household_id": h}, headers=seine_st_denis)
            for h in (hid, new_id())
        ]
        assert [(a.status_code, a.json()) for a in audits] == [(200, []), (200, [])]
        assert ok(await http.get("/audit", params={"household_id": hid}, headers=paris))


async def test_a_key_reused_with_another_body_is_refused(
    dev_env, http, queue_settings, settings, engine
):
    key = {"Idempotency-Key": f"premier-contact-{new_id()}"}
    async with running_worker(
        dev_env.client, queue_settings, engine, queue_settings.temporal_task_queue
    ):
        body = factories.first_contact("75")
        hid = ok(await http.post("/households", json=body, headers=key), 201)["household_id"]
        before = households(engine)

        changed = {**body, "typology": "famille_monoparentale"}
        r = await http.post("/households", json=changed, headers=key)
        assert r.status_code == 422, r.text
        assert r.json()["erreurs"] == [
            {
                "champ": "Idempotency-Key",
                "message": "cette clé a déjà servi pour la même action avec un autre contenu",
            }
        ]
        assert "Clé d'idempotence déjà utilisée" in r.json()["detail"]
        assert households(engine) == before

        # The same body again is a retry: the same household, no double.
        again = ok(await http.post("/households", json=body, headers=key), 201)
        assert again["household_id"] == hid

        flash_key = {"Idempotency-Key": f"flash-{new_id()}"}
        flash = factories.flash()
        ok(await http.post(f"/households/{hid}/flash-evaluation", json=flash, headers=flash_key))
        r = await http.post(
            f"/households/{hid}/flash-evaluation",
            json={**flash, "vulnerability": "critique"},
            headers=flash_key,
        )
        assert r.status_code == 422
        assert r.json()["erreurs"][0]["champ"] == "Idempotency-Key"
        r = await http.post(f"/households/{hid}/exit", json=factories.exit_(), headers=flash_key)
        assert r.status_code == 422
        assert r.json()["erreurs"][0]["message"] == (
            "cette clé a déjà servi pour une autre action (« évaluation flash »)"
        )
        pathway = ok(await http.get(f"/households/{hid}/pathway"))
        assert pathway["stage"] == "flash_evaluated" and pathway["actions_count"] == 2


async def test_the_policies_list_shows_the_callers_departements_only(http, settings, engine):
    for departements, expected in ((["75"], {"75"}), (["93"], {"93"}), (["13"], set())):
        headers = login(settings, engine, ["coordinateur"], departements)
        listed = ok(await http.get("/policies", headers=headers))
        assert {p["departement"] for p in listed} == expected
    both = login(settings, engine, ["redacteur"], ["75", "93"])
    assert {p["departement"] for p in ok(await http.get("/policies", headers=both))} == {
        "75",
        "93",
    }
