"""Input bounds (issue 8, item 16): a request-size limit in French, every text and list of every
request body bounded, no year or date to come, and an unknown field refused by name."""

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from api.main import create_app
from api.perimeter import BODY_LIMIT
from core import clock
from models.schemas import FirstContactCreate
from tests import factories
from tests.conftest import login, new_id

THIS_YEAR = clock.today_paris().year
# Bodies of others' protocols. Temporal's Payload: its other fields go to the proto parser,
# which refuses those the proto does not have (tested in test_codec_binding). The OAuth2 password
# form (RFC 6749, sent by Swagger UI and the login page): held by the request-size limit.
FOREIGN_PROTOCOL = {"PayloadJson", "Body_token_auth_token_post"}
UNBOUNDED_REPEAT = re.compile(r"(?<!\\)[*+]|\{\d+,\}")


@pytest.fixture
async def api(settings, engine) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, with no Temporal behind it: a refused body never reaches the handler (a
    body that did would fail on this stand-in)."""

    async def no_temporal() -> Any:
        return object()

    app = create_app(settings, engine, no_temporal)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://siao.test",
        headers=login(settings, engine, ["coordinateur"], ["75"]),
    ) as client:
        yield client


def erreurs(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("Saisie invalide")
    return list(response.json()["erreurs"])


async def test_a_body_over_the_limit_is_413_in_french_declared_or_chunked(api):
    big = factories.in_depth()
    big["roadmap"] = ["x" * 1_000_000] * 50  # what was stored before: 50 × 1 MB
    r = await api.post(f"/households/{new_id()}/in-depth-evaluation", json=big)
    assert r.status_code == 413
    assert (
        r.json()["detail"] == "Requête trop volumineuse : 256 Kio au plus. Rien n'a été enregistré."
    )

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked transfer
        yield b'{"departement": "75", "members": [{"nickname": "'
        for _ in range(40):
            yield b"y" * 8192
        yield b'"}]}'

    r = await api.post(
        "/households", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and "trop volumineuse" in r.json()["detail"]
    assert r.headers["x-content-type-options"] == "nosniff"  # the security headers too

    async def under_the_limit() -> AsyncIterator[bytes]:  # chunked and small: read as usual
        yield b'{"departement": "75", "contact_channel": "maraude", '
        yield b'"members": []}'

    r = await api.post(
        "/households", content=under_the_limit(), headers={"content-type": "application/json"}
    )
    assert erreurs(r) == [{"champ": "members", "message": "au moins 1 élément(s)"}]
    assert BODY_LIMIT == 256 * 1024


async def test_texts_and_lists_are_bounded(api):
    path = f"/households/{new_id()}/in-depth-evaluation"
    many = {**factories.in_depth(), "roadmap": ["appeler la CAF"] * 31}
    assert erreurs(await api.post(path, json=many)) == [
        {"champ": "roadmap", "message": "au plus 30 élément(s)"}
    ]
    long_item = {**factories.in_depth(), "roadmap": ["x" * 301]}
    assert erreurs(await api.post(path, json=long_item)) == [
        {"champ": "roadmap.0", "message": "texte trop long (300 caractères au plus)"}
    ]
    repeated = {**factories.flash(), "immediate_needs": ["soins"] * 40}
    r = await api.post(f"/households/{new_id()}/flash-evaluation", json=repeated)
    assert erreurs(r)[0]["champ"] == "immediate_needs"
    r = await api.post("/households", json=factories.first_contact(departement="7" * 50))
    assert erreurs(r)[0]["champ"] == "departement"
    assert bounded_pattern("^(75|93)$") and not bounded_pattern("^[a-z]+$")


async def test_no_birth_year_or_date_to_come(api):
    for year in (2090, THIS_YEAR + 1):
        body = factories.first_contact()
        body["members"][0]["birth_year"] = year
        assert erreurs(await api.post("/households", json=body)) == [
            {"champ": "members.0.birth_year", "message": f"l'année {year} est dans le futur"}
        ]
    tomorrow = (clock.today_paris() + timedelta(days=2)).isoformat()
    r = await api.post("/households", json=factories.first_contact(wandering_since=tomorrow))
    assert "« wandering_since » ne peut pas être dans le futur" in erreurs(r)[0]["message"]
    r = await api.patch(
        f"/households/{new_id()}/persons/1", json={"birth_year": 2090, "reason": "erreur"}
    )
    assert erreurs(r) == [{"champ": "birth_year", "message": "l'année 2090 est dans le futur"}]

    born_this_year = factories.first_contact()
    born_this_year["members"][0]["birth_year"] = THIS_YEAR
    assert FirstContactCreate.model_validate(born_this_year).members[0].birth_year == THIS_YEAR


async def test_unknown_fields_are_refused_by_name(api, settings, engine):
    typo = {**factories.first_contact(), "referent_wroker": "Mme Martin"}
    assert erreurs(await api.post("/households", json=typo)) == [
        {
            "champ": "referent_wroker",
            "message": "champ inconnu « referent_wroker » : vérifiez son nom "
            "(rien n'a été enregistré)",
        }
    ]
    nested = factories.first_contact()
    nested["members"][0]["surnom"] = "Jo"
    assert erreurs(await api.post("/households", json=nested))[0]["champ"] == "members.0.surnom"
    # The household's id is the server's: a body naming one is refused like any unknown field.
    named = {**factories.first_contact(), "id": new_id()}
    assert erreurs(await api.post("/households", json=named))[0]["champ"] == "id"
    review = {**factories.review(), "note": "faute de frappe pour notes"}
    r = await api.post(f"/households/{new_id()}/review", json=review)
    assert erreurs(r)[0]["champ"] == "note"
    editor = login(settings, engine, ["redacteur"], ["75"])
    r = await api.post("/policies/75/validate", json={"yaml": "x: 1", "yml": "x"}, headers=editor)
    assert erreurs(r)[0]["champ"] == "yml"
    with pytest.raises(ValidationError):
        FirstContactCreate.model_validate({**factories.first_contact(), "id": new_id()})


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ref = schema.get("$ref")
    if ref is None:
        return "", schema
    name = ref.rsplit("/", 1)[-1]
    return name, spec["components"]["schemas"][name]


def bounded_pattern(pattern: str) -> bool:
    """Anchored at both ends, with no unbounded repetition: a bound on the length."""
    return (
        pattern.startswith("^") and pattern.endswith("$") and not UNBOUNDED_REPEAT.search(pattern)
    )


def unbounded(spec: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]) -> list:
    """Every text without a length bound, list or map without a size bound, object open to
    unknown fields, reachable from a request body."""
    name, schema = _resolve(spec, schema)
    if name:
        if name in seen or name in FOREIGN_PROTOCOL:
            return []
        seen.add(name)
        where = name
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += unbounded(spec, option, where, seen)
    kind = schema.get("type")
    if kind == "string" and not (
        {"maxLength", "enum", "const"} & set(schema)
        or bounded_pattern(schema.get("pattern", ""))
        or schema.get("format") in ("date", "date-time")
    ):
        found.append(f"{where}: texte sans longueur maximale")
    if kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: liste sans taille maximale")
        found += unbounded(spec, schema.get("items", {}), where, seen)
    extra = schema.get("additionalProperties")
    if "properties" in schema and extra is not False:
        found.append(f"{where}: champs inconnus acceptés")
    if kind == "object" and "properties" not in schema:  # a map: its size and its entries
        if "maxProperties" not in schema:
            found.append(f"{where}: dictionnaire sans taille maximale")
        keys = schema.get("propertyNames", {"type": "string"})
        found += unbounded(spec, keys, f"{where} (clés)", seen)
        found += unbounded(spec, extra if isinstance(extra, dict) else {}, f"{where}.*", seen)
    for field, sub in schema.get("properties", {}).items():
        found += unbounded(spec, sub, f"{where}.{field}", seen)
    return found


def test_every_request_body_in_the_spec_is_bounded(settings, engine) -> None:
    """Walks the published spec: a new body with an unbounded text or list, or one that drops
    unknown fields, fails here."""
    spec = create_app(settings, engine).openapi()
    found: list[str] = []
    bodies = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                bodies += 1
                found += [
                    f"{method.upper()} {path} — {problem}"
                    for problem in unbounded(spec, media["schema"], "corps", set())
                ]
    assert bodies >= 15
    assert found == []
