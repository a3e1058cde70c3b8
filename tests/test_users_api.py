"""Accounts through the API (issue 8, item 18): an administrator creates, changes, disables and
resets accounts; every change is audited and revokes the account's tokens; errors in French."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import Session, col, select

from api.main import create_app
from models.audit import AuditEvent
from tests.conftest import login, ok

PASSWORD = "mot-de-passe-du-compte"


@pytest.fixture
async def admin(settings, engine) -> AsyncIterator[httpx.AsyncClient]:
    peer = (f"10.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}", 1234)
    transport = httpx.ASGITransport(app=create_app(settings, engine), client=peer)
    headers = login(settings, engine, ["admin"], [])
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as h:
        yield h


def new_account(**changes) -> dict:
    body = {
        "username": f"agent.{uuid.uuid4().hex[:8]}",
        "display_name": "Camille Martin",
        "roles": ["referent"],
        "departements": ["75"],
        "password": PASSWORD,
    }
    return {**body, **changes}


async def token_of(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict:
    """The bearer header of a real login (no admin header: a client of its own)."""
    answer = await http.post(
        "/auth/token",
        data={"username": username, "password": password},
        headers={"Authorization": ""},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def audited(engine, account_id: int) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.record == f"compte agent-{account_id}")
                .order_by(col(AuditEvent.seq))
            )
        )


async def test_an_administrator_creates_an_account_that_logs_in(admin, engine) -> None:
    created = ok(await admin.post("/users", json=new_account()), 201)
    assert created["roles"] == ["referent"] and created["active"] is True
    assert "password" not in created and "password_hash" not in created
    bearer = await token_of(admin, created["username"])
    me = ok(await admin.get("/auth/me", headers=bearer))
    assert me["username"] == created["username"] and "in_depth_evaluation" in me["permissions"]
    listed = ok(await admin.get("/users"))
    assert created["id"] in [a["id"] for a in listed]
    (entry,) = audited(engine, created["id"])
    assert entry.action == "administration" and entry.actor.startswith("agent-")
    assert "password" not in entry.fields and "roles" in entry.fields


async def test_wrong_requests_get_french_errors(admin, settings, engine) -> None:
    body = new_account()
    ok(await admin.post("/users", json=body), 201)
    taken = await admin.post("/users", json={**body, "password": "un-autre-mot-de-passe"})
    assert taken.status_code == 409 and "déjà utilisé" in taken.json()["detail"]
    for wrong, says in (
        ({"roles": ["chef"]}, "valeur inconnue"),
        ({"departements": ["99"]}, "format invalide"),
        ({"roles": ["gestionnaire"]}, "au moins une structure"),
        ({"password": "court"}, "texte trop court"),
        ({"password": None}, "un mot de passe ou une identité OIDC"),
        ({"mot_de_passe": "x"}, "champ inconnu"),
    ):
        r = await admin.post("/users", json=new_account(**wrong))
        assert r.status_code == 422, wrong
        assert r.json()["detail"].startswith("Saisie invalide")
        assert says in str(r.json()["erreurs"]), (wrong, r.json())
    unknown = await admin.patch("/users/2147483000", json={"roles": ["referent"]})
    assert unknown.status_code == 404 and unknown.json() == {"detail": "Compte inconnu."}
    coordinator = login(settings, engine, ["coordinateur"], ["75"])
    for method, path in (("GET", "/users"), ("POST", "/users"), ("PATCH", "/users/1")):
        r = await admin.request(method, path, json=new_account(), headers=coordinator)
        assert r.status_code == 403 and "Accès refusé" in r.json()["detail"], path


async def test_changing_rights_revokes_tokens_and_takes_effect(admin, engine) -> None:
    created = ok(await admin.post("/users", json=new_account()), 201)
    bearer = await token_of(admin, created["username"])
    url = f"/users/{created['id']}"
    same = ok(await admin.patch(url, json={"display_name": "Camille M."}))
    assert same["display_name"] == "Camille M."
    assert (await admin.get("/auth/me", headers=bearer)).status_code == 200  # no rights change
    change = {"roles": ["gestionnaire"], "structures": ["CHRS Les Amandiers"]}
    changed = ok(await admin.patch(url, json=change))
    assert changed["roles"] == ["gestionnaire"] and changed["structures"] == ["CHRS Les Amandiers"]
    assert (await admin.get("/auth/me", headers=bearer)).status_code == 401
    me = ok(await admin.get("/auth/me", headers=await token_of(admin, created["username"])))
    assert me["roles"] == ["gestionnaire"] and "in_depth_evaluation" not in me["permissions"]
    moved = ok(await admin.patch(url, json={"departements": ["93"]}))
    assert moved["departements"] == ["93"]
    null = await admin.patch(url, json={"roles": None})
    assert null.status_code == 422
    entries = audited(engine, created["id"])
    assert [e.fields for e in entries[1:]] == [
        ["display_name"],
        ["roles", "structures"],
        ["departements"],
    ]


async def test_disabling_and_resetting_a_password(admin, engine) -> None:
    created = ok(await admin.post("/users", json=new_account()), 201)
    url = f"/users/{created['id']}"
    bearer = await token_of(admin, created["username"])
    reset = await admin.post(f"{url}/password", json={"password": "nouveau-mot-de-passe"})
    assert reset.status_code == 204
    assert (await admin.get("/auth/me", headers=bearer)).status_code == 401
    old = {"username": created["username"], "password": PASSWORD}
    assert (await admin.post("/auth/token", data=old)).status_code == 401
    bearer = await token_of(admin, created["username"], "nouveau-mot-de-passe")
    short = await admin.post(f"{url}/password", json={"password": "court"})
    assert short.status_code == 422
    missing = await admin.post("/users/2147483000/password", json={"password": "x" * 20})
    assert missing.status_code == 404
    disabled = ok(await admin.patch(url, json={"active": False}))
    assert disabled["active"] is False
    assert (await admin.get("/auth/me", headers=bearer)).status_code == 401
    again = {"username": created["username"], "password": "nouveau-mot-de-passe"}
    assert (await admin.post("/auth/token", data=again)).status_code == 401
    purposes = [e.purpose for e in audited(engine, created["id"])]
    assert "réinitialisation du mot de passe" in purposes
    assert "désactivation du compte" in purposes
