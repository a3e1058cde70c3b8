"""Bad input gets a clear French error, never a 500, and nothing saved is lost."""

from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, func, select
from temporalio.client import Client

from api.main import create_app
from core import clock
from models.records import Household, Submission
from tests import factories
from tests.conftest import login, new_id, ok, running_worker

pytestmark = pytest.mark.devserver


async def test_bad_bodies_get_french_422(http):
    no_members = factories.first_contact(members=[])
    r = await http.post("/households", json=no_members)
    assert r.status_code == 422
    assert r.json()["detail"].startswith("Saisie invalide")
    assert r.json()["erreurs"] == [{"champ": "members", "message": "au moins 1 élément(s)"}]

    r = await http.post("/households", json=factories.first_contact(departement="99"))
    assert "n'est pas un code de département" in r.json()["erreurs"][0]["message"]

    bad_enum = factories.first_contact(typology="celibataire")
    r = await http.post("/households", json=bad_enum)
    assert r.json()["erreurs"][0]["message"].startswith("valeur inconnue ; valeurs possibles")

    future = (clock.now() + timedelta(days=1)).isoformat()
    r = await http.post("/households", json=factories.first_contact(encountered_at=future))
    assert "ne peut pas être dans le futur" in r.json()["erreurs"][0]["message"]

    named_without_consent = factories.first_contact(
        members=[{"nominative_consent": False, "last_name": "Martin"}]
    )
    r = await http.post("/households", json=named_without_consent)
    assert "pseudonyme" in r.json()["erreurs"][0]["message"]

    r = await http.post(
        "/households", content=b"{pas du json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["erreurs"][0]["message"] == "JSON illisible"

    r = await http.post(
        f"/households/{new_id()}/orientation/response",
        json={"answer": "refusee", "refused_by": "menage"},
    )
    assert r.status_code == 422
    assert "un refus doit être motivé" in r.json()["erreurs"][0]["message"]


async def test_unknown_household_is_404_and_bad_id_422(http):
    r = await http.post(f"/households/{new_id()}/flash-evaluation", json=factories.flash())
    assert r.status_code == 404 and r.json() == {"detail": "Ménage inconnu."}
    assert (await http.get(f"/households/{new_id()}")).status_code == 404
    assert (await http.get("/households/pas-un-uuid")).status_code == 422
    r = await http.get("/households", params={"stage": "inconnue"})
    assert r.status_code == 422


async def test_out_of_stage_is_409_with_stage_and_allowed_actions(
    dev_env, http, queue_settings, engine
):
    async with running_worker(
        dev_env.client, queue_settings, engine, queue_settings.temporal_task_queue
    ):
        hid = ok(await http.post("/households", json=factories.first_contact()), 201)[
            "household_id"
        ]
        r = await http.post(
            f"/households/{hid}/housing", json=factories.placement("logement_ordinaire")
        )
    assert r.status_code == 409
    assert r.json() == {
        "detail": "Action refusée : « accès au logement » n'est pas possible à l'étape "
        "« signalé, en attente d'évaluation flash ».",
        "stage": "reported",
        "allowed_actions": ["flash_evaluation", "exit"],
    }
    with Session(engine) as s:
        staged = s.exec(
            select(func.count()).select_from(Submission).where(Submission.household_id == hid)
        ).one()
    assert staged == 1  # the refused action left nothing behind


async def test_temporal_unreachable_is_503_and_health_says_so(settings, engine):
    async def dead() -> Client:
        return await Client.connect("127.0.0.1:1")

    app = create_app(settings, engine, dead)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://siao.test",
        headers=login(settings, engine, ["coordinateur"], ["75"]),
    ) as http:
        households = count_households(engine)
        r = await http.post("/households", json=factories.first_contact())
        assert r.status_code == 503 and "Temporal est injoignable" in r.json()["detail"]
        health = await http.get("/health")
        assert health.status_code == 503
        assert health.json()["temporal"] == "injoignable"
        assert health.json()["base_de_donnees"] == "ok"
    assert count_households(engine) == households


def count_households(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Household)).one()


async def test_health_ok(http):
    r = await http.get("/health")
    assert r.status_code == 200 and r.json()["statut"] == "ok"


async def test_closed_pathway_is_not_restarted_by_a_new_first_contact(
    dev_env, http, queue_settings, engine
):
    async with running_worker(
        dev_env.client, queue_settings, engine, queue_settings.temporal_task_queue
    ):
        # The household's id is the server's: only the same account's key reaches it again.
        body, key = factories.first_contact(), {"Idempotency-Key": f"clos-{new_id()}"}
        hid = ok(await http.post("/households", json=body, headers=key), 201)["household_id"]
        ok(await http.post(f"/households/{hid}/exit", json=factories.exit_()))
        # Retried, the first contact gets its household back as it is now: closed.
        again = ok(await http.post("/households", json=body, headers=key), 201)
        assert again["household_id"] == hid and again["pathway"]["stage"] == "closed"
        # Without the key it is a new first contact: another household, a new pathway.
        fresh = ok(await http.post("/households", json=body), 201)
        assert fresh["household_id"] != hid and fresh["pathway"]["stage"] == "reported"
        detail = ok(await http.get(f"/households/{hid}"))
        assert detail["stage"] == "closed" and len(detail["members"]) == 1
