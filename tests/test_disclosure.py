"""Reads are audited: every route whose answer holds personal data declares it (api/disclosure.py)
and is audited by what it declares. The OpenAPI spec tells which answers hold a household, a
pathway or an audit trail; the routes tell what they declare. (The access matrix checks, call by
call, that an answer holding a household's data wrote an audit row.)"""

import uuid
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlmodel import Session, col, select

from api.accounts import create_user
from api.disclosure import Access, AuditedBy, Disclosed, Disclosure, declarations
from api.errors import ApiError
from api.main import create_app
from core.security import create_token
from models.audit import AuditEvent

# Schemas that carry a household, a pathway or who read them.
PERSONAL = {
    "PathwayView",
    "FirstContactResult",
    "HouseholdDetail",
    "HouseholdPage",
    "HouseholdSummary",
    "AuditEntry",
    "DryRunView",
}
# Answers the spec cannot type (free-form JSON) but that hold personal data by nature.
BY_NATURE = {
    ("GET", "/households/{household_id}/export"),
    ("PATCH", "/households/{household_id}/persons/{person_id}"),
    ("POST", "/codec/decode"),
    ("GET", "/ofii-lists/{departement}/{month}.csv"),  # a CSV file of people
}


def _refs(schema: Any, components: dict[str, Any], seen: set[str]) -> set[str]:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                _refs(components.get(name, {}), components, seen)
        for value in schema.values():
            _refs(value, components, seen)
    elif isinstance(schema, list):
        for value in schema:
            _refs(value, components, seen)
    return seen


def _answers(operation: dict[str, Any]) -> list[Any]:
    return [
        content.get("schema", {})
        for status, response in operation.get("responses", {}).items()
        if str(status).startswith("2")
        for content in response.get("content", {}).values()
    ]


def test_every_route_returning_personal_data_declares_and_audits_it() -> None:
    app = create_app()
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    routes = {
        (method, context.path): context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
    }
    personal_routes = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            key = (method.upper(), path)
            refs = _refs(_answers(operation), components, set())
            if not (refs & PERSONAL or key in BY_NATURE):
                continue
            personal_routes.append(key)
            declared = declarations(routes[key].dependant)
            assert declared, f"{key} returns personal data ({refs & PERSONAL}) but declares none"
            for declaration in declared:  # audited: by the declaration, the write or the route
                assert declaration.audited_by in AuditedBy
    # Reads, the export, the audit trail, the dry-run and every action's answer are among them.
    assert ("GET", "/households/{household_id}/pathway") in personal_routes
    assert ("POST", "/policies/{departement}/dry-run") in personal_routes
    assert len(personal_routes) >= 20


def _rows(engine: Any, actor: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent).where(AuditEvent.actor == actor).order_by(col(AuditEvent.seq))
            )
        )


Read = Annotated[
    Disclosed, Depends(Disclosure(Access.READ, "essai", "vérifier l'audit"), scope="function")
]


@pytest.fixture
def probe(settings, engine) -> FastAPI:
    app = create_app(settings, engine)

    @app.get("/essai/{outcome}")
    async def essai(outcome: str, disclosed: Read) -> dict[str, str]:
        if outcome == "refus":
            raise ApiError(404, "Ménage inconnu.")
        if outcome == "nomme":
            disclosed.household(None, ["champ"], "75")
        if outcome == "tot":
            disclosed.write()  # the answer lists its own read: written once, not twice
        return {"ok": outcome}

    return app


async def test_a_read_is_audited_once_answered_and_a_refusal_is_not(probe, settings, engine):
    user = create_user(engine, f"agent-{uuid.uuid4().hex[:10]}", None, ["coordinateur"], ["75"])
    assert user.id is not None
    token = create_token(settings, user.id, user.username)
    actor = f"agent-{user.id}"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=probe),
        base_url="http://t",
        headers={"Authorization": f"Bearer {token}"},
    ) as http:
        written = []
        for outcome in ("refus", "muet", "nomme", "tot"):
            before = len(_rows(engine, actor))
            r = await http.get(f"/essai/{outcome}")
            assert r.status_code == (404 if outcome == "refus" else 200)
            written.append(len(_rows(engine, actor)) - before)
    assert written == [0, 1, 1, 1]  # refused: nothing; named or not, early or not: one row
    rows = _rows(engine, actor)
    assert {(e.action, e.record, e.purpose) for e in rows} == {
        ("lecture", "essai", "vérifier l'audit")
    }
    assert [e.fields for e in rows] == [[], ["champ"], []]
