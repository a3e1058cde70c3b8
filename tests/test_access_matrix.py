"""Every route × every role × own or other département: allowed, refused, or not found — and
nothing leaks through lists, counts or errors."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.main import create_app
from api.permissions import MATRIX, Permission
from models.users import Role
from tests import factories
from tests.conftest import login, ok, running_worker

HID = "{hid}"
P = Permission
# (method, path, permission, body): every route of the API must be here (checked below).
ROUTES: list[tuple[str, str, Permission, dict[str, Any] | None]] = [
    ("POST", "/households", P.REPORT, {}),
    ("POST", f"/households/{HID}/flash-evaluation", P.FLASH, {}),
    ("POST", f"/households/{HID}/in-depth-evaluation", P.IN_DEPTH, {}),
    ("POST", f"/households/{HID}/commission-decision", P.COMMISSION, {}),
    ("POST", f"/households/{HID}/orientation", P.ORIENTATION, {}),
    ("POST", f"/households/{HID}/orientation/response", P.ORIENTATION_RESPONSE, {}),
    ("POST", f"/households/{HID}/admission", P.ADMISSION, {}),
    ("POST", f"/households/{HID}/housing", P.HOUSING, {}),
    ("POST", f"/households/{HID}/review", P.REVIEW, {}),
    ("POST", f"/households/{HID}/follow-up", P.REVIEW, {}),
    ("POST", f"/households/{HID}/landlord-solicitation", P.SOLICITATION, {}),
    ("POST", f"/households/{HID}/exit", P.EXIT, {}),
    ("GET", f"/households/{HID}/pathway", P.READ, None),
    ("GET", "/households", P.LIST, None),
    ("GET", f"/households/{HID}", P.READ, None),
    ("GET", f"/households/{HID}/access-report", P.RIGHTS, None),
    ("GET", f"/households/{HID}/export", P.RIGHTS, None),
    ("PATCH", f"/households/{HID}/persons/1", P.RIGHTS, {}),
    ("DELETE", "/households/00000000-0000-0000-0000-000000000000", P.RIGHTS, None),
    ("GET", f"/audit?household_id={HID}", P.AUDIT, None),
    ("GET", "/audit/verify", P.AUDIT, None),
    ("GET", "/policies", P.POLICY_READ, None),
    ("POST", "/policies/75/validate", P.POLICY_EDIT, {}),
    ("POST", "/policies/75/dry-run", P.POLICY_EDIT, {}),
    ("PUT", "/policies/75", P.POLICY_EDIT, {}),
    ("POST", "/codec/encode", P.CODEC, {"payloads": []}),
    ("POST", "/codec/decode", P.CODEC, {"payloads": []}),
    ("GET", "/statistics", P.STATISTICS, None),
]
PUBLIC = {("GET", "/health"), ("POST", "/auth/token"), ("GET", "/auth/me")}


def test_every_route_declares_its_permission() -> None:
    declared = {(m, p.split("?")[0].replace(HID, "{household_id}")) for m, p, *_ in ROUTES}
    # The published spec lists every operation (included routers are not plain APIRoutes).
    operations = [
        (method.upper(), path)
        for path, item in create_app().openapi()["paths"].items()
        for method in item
    ]
    assert len(operations) > 25
    for method, path in operations:
        concrete = path.replace("{person_id}", "1").replace("{departement}", "75")
        if concrete == "/households/{household_id}" and method == "DELETE":
            continue  # listed with a literal id
        assert (method, concrete) in declared | PUBLIC, f"{method} {path}: which permission?"


@pytest.fixture(scope="module")
async def household(dev_env, settings, engine) -> AsyncIterator[str]:
    """One household of 75, oriented to the « CHRS Les Amandiers » structure."""
    queue = settings.model_copy(update={"temporal_task_queue": "siao-matrix"})

    async def connect():
        return dev_env.client

    app = create_app(queue, engine, connect)
    headers = login(settings, engine, ["coordinateur"], ["75"])
    async with (
        running_worker(dev_env.client, queue, engine, "siao-matrix"),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers, timeout=30
        ) as http,
    ):
        hid = ok(await http.post("/households", json=factories.first_contact("75")), 201)[
            "household_id"
        ]
        for path, data in [
            ("flash-evaluation", factories.flash()),
            ("in-depth-evaluation", factories.in_depth()),
            ("commission-decision", factories.commission("hebergement", "chrs")),
            ("orientation", factories.orientation()),
        ]:
            ok(await http.post(f"/households/{hid}/{path}", json=data))
        yield hid  # the worker keeps running: reading a pathway queries its workflow


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
async def test_matrix(role, household, dev_env, settings, engine) -> None:
    async def connect():
        return dev_env.client

    app = create_app(
        settings.model_copy(update={"temporal_task_queue": "siao-matrix"}), engine, connect
    )
    structures = ["CHRS Les Amandiers"]
    for deps, own in ((["75"], True), (["93"], False)):
        headers = login(settings, engine, [role.value], deps, structures)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers, timeout=30
        ) as http:
            for method, path, permission, body in ROUTES:
                url = path.replace(HID, household)
                r = await http.request(method, url, json=body)
                where = f"{role.value} ({'même' if own else 'autre'} département) {method} {path}"
                if permission not in MATRIX[role]:
                    assert r.status_code == 403, where
                    assert "Accès refusé" in r.json()["detail"]
                    continue
                assert r.status_code not in (401, 403) or (
                    not own and path.startswith("/policies/")
                ), where
                if method == "GET" and HID in path:
                    assert (r.status_code == 200) == own, f"{where}: {r.status_code}"
                    if not own:
                        assert r.json() == {"detail": "Ménage inconnu."}, where
            if P.LIST in MATRIX[role]:
                page = ok(await http.get("/households", params={"departement": "75"}))
                assert (page["total"] > 0) == own  # not even a count across the line


async def test_structure_manager_reaches_only_households_oriented_to_its_structures(
    household, dev_env, settings, engine
) -> None:
    app = create_app(settings, engine)
    for structures, visible in ((["CHRS Les Amandiers"], True), (["Autre CHRS"], False)):
        headers = login(settings, engine, ["gestionnaire"], ["75"], structures)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers
        ) as http:
            r = await http.get(f"/households/{household}")
            assert (r.status_code == 200) == visible
            if visible:  # and without health, administrative status or violence details
                detail = r.json()
                assert detail["sensitive_hidden"] is True
                (evaluation,) = detail["records"]["in_depth_evaluations"]
                assert evaluation["administrative_situation"] == "masqué (besoin d'en connaître)"


async def test_unauthenticated_and_forged_tokens_are_refused(settings, engine) -> None:
    app = create_app(settings, engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as h:
        assert (await h.get("/households")).status_code == 401
        forged = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.AAAA"}
        r = await h.get("/households", headers=forged)
        assert r.status_code == 401 and "Jeton invalide" in r.json()["detail"]
