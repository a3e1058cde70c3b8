"""Every route × every role × own or other département, each call with a VALID body on a
household at the stage the route needs: a forbidden call is refused (403), an allowed one must
succeed. Every answer is hunted (tests/hunt.py): nothing the role may not see — a sensitive code,
a secret text, a rule that names the situation, a due date it does not meet, a name for who reads
nothing — and an answer holding a household's data comes from a route that declares it
(api/disclosure.py) and wrote an audit row."""

import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlmodel import Session, func, select

from api.accounts import create_user
from api.disclosure import AuditedBy, declarations
from api.main import create_app
from api.permissions import MATRIX, Permission
from models.audit import AuditEvent
from models.users import Role
from tests import hunt, measure_fixtures, offer_fixtures, ofii_fixtures
from tests.conftest import login, ok, running_worker
from tests.matrix_routes import (
    CREATE,
    MEMBER,
    NONE,
    PUBLIC,
    RICH,
    ROUTES,
    Route,
    commission_session,
    outreach_team,
    template,
)
from tests.pathway_helpers import eventually


def test_every_route_is_in_the_matrix() -> None:
    declared = {template(r) for r in ROUTES}
    operations = [
        (method.upper(), path)
        for path, item in create_app().openapi()["paths"].items()
        for method in item
    ]
    assert len(operations) > 25
    for operation in operations:
        assert operation in declared | PUBLIC, f"{operation}: which permission, which body?"


class Backend:
    """The app, a worker, a coordinator who prepares households, the rich one and variants."""

    def __init__(self, app: Any, engine: Any, http: httpx.AsyncClient) -> None:
        self.app, self.engine, self.http = app, engine, http
        self.rich, self.variants = "", list[str]()
        self.scanner = hunt.Scanner()
        self.routes = {
            (m, c.path): c.original_route
            for c in iter_route_contexts(app.routes)
            if isinstance(c.original_route, APIRoute)
            for m in c.methods or ()
        }

    async def household(self, stage: str, residential: str = "rue") -> str:
        created = await self.http.post("/households", json=hunt.first_contact(residential))
        hid = ok(created, 201)["household_id"]
        for path, body in hunt.STEPS[: hunt.STAGE_STEPS[stage]]:
            ok(await self.http.post(f"/households/{hid}/{path}", json=body))
        return hid

    async def pathway(self, hid: str) -> dict[str, Any]:
        return ok(await self.http.get(f"/households/{hid}/pathway"))

    def audit_rows(self) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(AuditEvent)).one()

    def declares(self, route: Route) -> list[AuditedBy]:
        return [d.audited_by for d in declarations(self.routes[template(route)].dependant)]


@pytest.fixture(scope="module")
async def backend(dev_env, settings, engine, tmp_path_factory) -> AsyncIterator[Backend]:
    policies = Path(tmp_path_factory.mktemp("policies"))
    shutil.copytree(hunt.POLICIES, policies, dirs_exist_ok=True)  # PUT writes there
    queue = settings.model_copy(
        update={"temporal_task_queue": "siao-matrix", "policies_dir": policies}
    )

    async def connect():
        return dev_env.client

    app = create_app(queue, engine, connect)
    headers = login(settings, engine, ["coordinateur"], ["75"])
    create_user(engine, MEMBER, None, ["commission"], ["75"])  # sits in the {cid} sessions
    async with (
        running_worker(dev_env.client, settings, engine, "siao-matrix"),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers, timeout=30
        ) as http,
    ):
        backend = Backend(app, engine, http)
        backend.rich = ok(await http.post("/households", json=hunt.first_contact()), 201)[
            "household_id"
        ]
        for path, body in hunt.RICH:
            ok(await http.post(f"/households/{backend.rich}/{path}", json=body))
        for kind in ("empp", "act"):  # measures whose kind reveals health
            service = measure_fixtures.service(engine, kind)
            mobilised = {"service_id": service, "intensity": "intensif"}
            ok(await http.post(f"/households/{backend.rich}/measures", json=mobilised), 201)
        for residential, steps in hunt.VARIANTS:
            hid = await backend.household("reported", residential)
            for path, body in steps:
                ok(await http.post(f"/households/{hid}/{path}", json=body))
            backend.variants.append(hid)
        full = [
            ok(await http.get(f"/households/{hid}{tail}"))
            for hid in [backend.rich, *backend.variants]
            for tail in ("", "/pathway")
        ]
        assert hunt.missing_values(full) == {"asile"}  # no rule assigns that referent
        yield backend  # the worker keeps running: reading a pathway queries its workflow


async def _target(backend: Backend, route: Route, variant: str | None) -> str | None:
    if route.stage == RICH:
        return variant or backend.rich
    if route.stage in (NONE, CREATE):
        return None
    return await backend.household(route.stage)


def _body(route: Route, hid: str | None, engine: Any) -> dict[str, Any] | str | None:
    body = route.body() if route.body else None
    if not body or isinstance(body, str):  # a CSV file goes as it is
        return body
    fill: dict[str, Any] = {"{hid}": hid}
    if "{msid}" in body.values():  # a new AVDL service of 75
        fill["{msid}"] = measure_fixtures.service(engine)
    return {k: fill.get(v, v) if isinstance(v, str) else v for k, v in body.items()}


def _sent(body: dict[str, Any] | str | None) -> dict[str, Any]:
    """A JSON body, or a CSV file as the phone system exports it."""
    if isinstance(body, str):
        return {"content": body.encode(), "headers": {"Content-Type": "text/csv"}}
    return {"json": body}


# How far a household goes in a vacancy's protocol before the route is called.
PROTOCOL = ["vacancy", "proposed", "agreed", "accepted"]


async def _vacancy(backend: Backend, step: str, hid: str | None) -> str:
    """A new vacancy of hunt.STRUCTURE (a CHRS), the household brought to `step` in it."""
    _, place = offer_fixtures.place(backend.engine, "occupied")
    http = backend.http
    ok(await http.post(f"/places/{place}/vacancy", json={}))
    vid = f"vacance-{place}-1"

    async def opened() -> None:
        assert (await http.get(f"/vacancies/{vid}")).status_code == 200

    await eventually(opened)
    reached = PROTOCOL.index(step) if hid else 0
    url = f"/vacancies/{vid}/proposals"
    if reached >= 1:
        ok(await http.post(url, json={"household_id": hid}))
    if reached >= 2:
        ok(await http.post(f"{url}/{hid}/structure-answer", json={"answer": "acceptee"}))
    if reached >= 3:
        ok(await http.post(f"{url}/{hid}/household-answer", json={"answer": "acceptee"}))
    return vid


async def _url(backend: Backend, route: Route, hid: str | None, prepare: bool = True) -> str:
    url = route.path.replace("{hid}", hid or "")
    if "{vid}" in url:  # refused or across the line: a vacancy without proposals
        url = url.replace("{vid}", await _vacancy(backend, route.place, hid if prepare else None))
    if "{cid}" in url:  # a new open session of 75
        opened = ok(await backend.http.post("/commissions", json=commission_session()), 201)
        url = url.replace("{cid}", str(opened["id"]))
    if "{pid}" in url:
        detail = ok(await backend.http.get(f"/households/{hid}"))
        url = url.replace("{pid}", str(detail["members"][0]["id"]))
    if "{sid}" in url or "{plid}" in url:
        structure, place = offer_fixtures.place(backend.engine, route.place)
        url = url.replace("{sid}", str(structure)).replace("{plid}", str(place))
    if "{mid}" in url:  # an active AVDL measure of the household
        url = url.replace("{mid}", str(measure_fixtures.measure(backend.engine, hid or "")))
    if "{month}" in url:  # a month whose OFII list of 75 exists
        url = url.replace("{month}", ofii_fixtures.matrix_month(backend.engine))
    if "{tid}" in url:  # a new outreach team of 75
        team = ok(await backend.http.post("/coverage/teams", json=outreach_team()), 201)
        url = url.replace("{tid}", str(team["id"]))
    if "{uid}" in url:
        user = create_user(backend.engine, f"cible-{uuid.uuid4().hex[:8]}", None, ["referent"], [])
        url = url.replace("{uid}", str(user.id))
    return url


def _sees_everything(role: Role, stage: str | None) -> bool:
    return role in hunt.ALWAYS_SENSITIVE or (role is Role.COMMISSION and stage in hunt.AGENDA)


async def _check(
    backend: Backend, http: httpx.AsyncClient, role: Role, route: Route, hid: str | None
) -> None:
    where = f"{role.value} {route.method} {route.path} ({hid})"
    url = await _url(backend, route, hid, prepare=route.permission in MATRIX[role])
    before = backend.audit_rows()
    r = await http.request(route.method, url, **_sent(_body(route, hid, backend.engine)))
    if route.permission not in MATRIX[role]:
        assert r.status_code == 403 and "Accès refusé" in r.json()["detail"], where
        return
    assert r.status_code in (200, 201, 204), f"{where}: {r.status_code} {r.text[:300]}"
    json_answer = "json" in r.headers.get("content-type", "")  # not a CSV file
    answer: Any = r.json() if r.content and json_answer else None
    if route.stage == CREATE:
        hid = answer["household_id"]
    text = r.text
    personal = bool(hid and hid in text) or hunt.NICKNAME in text
    if personal or AuditedBy.DISCLOSURE in backend.declares(route):  # declared, and audited
        assert backend.declares(route), f"{where}: personal data, route declares none"
        assert backend.audit_rows() > before, f"{where}: personal data returned, not audited"
    if hid is None or route.method == "DELETE":
        return
    pathway = await backend.pathway(hid)  # as the coordinator reads it now
    if _sees_everything(role, pathway["stage"]):
        return
    due = hunt.hidden_due_dates(pathway, role)
    leaks = backend.scanner.leaks(answer, due, reads=Permission.READ in MATRIX[role])
    assert not leaks, f"{where}: {leaks}"


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
async def test_matrix(role: Role, backend: Backend, settings, engine) -> None:
    structures = [hunt.STRUCTURE]
    own = login(settings, engine, [role.value], ["75"], structures)
    other = login(settings, engine, [role.value], ["93"], structures)
    transport = httpx.ASGITransport(app=backend.app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://t", headers=own, timeout=30) as h,
        httpx.AsyncClient(transport=transport, base_url="http://t", headers=other) as foreign,
    ):
        for route in ROUTES:
            if route.permission not in MATRIX[role]:  # refused before any scope check
                await _check(backend, h, role, route, backend.rich)
                continue
            variants: list[str | None] = [None]
            if "{hid}" in route.path and route.stage == RICH and role is not Role.GESTIONNAIRE:
                variants += backend.variants  # closed households (a manager hosts none)
            for variant in variants:
                await _check(backend, h, role, route, await _target(backend, route, variant))
            # Across the line: nothing found, nothing said (the rich household is in 75).
            url = await _url(backend, route, backend.rich, prepare=False)
            body = _body(route, backend.rich, backend.engine)
            r = await foreign.request(route.method, url, **_sent(body))
            if "{hid}" in route.path and route.permission in MATRIX[role]:
                assert r.status_code == 404 or r.json() == [], f"{role} 93 {route.path}"
            if r.status_code < 300 and r.content:
                assert backend.rich not in r.text and hunt.NICKNAME not in r.text, route.path
        if Permission.LIST in MATRIX[role]:
            page = ok(await foreign.get("/households", params={"departement": "75"}))
            assert page["total"] == 0  # not even a count across the line


async def test_structure_manager_reaches_only_households_oriented_to_its_structures(
    backend: Backend, settings, engine
) -> None:
    for structures, visible in (([hunt.STRUCTURE], True), (["Autre CHRS"], False)):
        headers = login(settings, engine, ["gestionnaire"], ["75"], structures)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=backend.app), base_url="http://t", headers=headers
        ) as http:
            r = await http.get(f"/households/{backend.rich}")
            assert (r.status_code == 200) == visible
            if visible:  # and without health, administrative status or violence details
                detail = r.json()
                assert detail["sensitive_hidden"] is True
                evaluation = detail["records"]["in_depth_evaluations"][0]
                assert evaluation["administrative_situation"] == "masqué (besoin d'en connaître)"


async def test_unauthenticated_and_forged_tokens_are_refused(settings, engine) -> None:
    app = create_app(settings, engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as h:
        assert (await h.get("/households")).status_code == 401
        forged = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.AAAA"}
        r = await h.get("/households", headers=forged)
        assert r.status_code == 401 and "Jeton invalide" in r.json()["detail"]
