"""Outreach coverage (issue 12, item 8; R-COORD-1) through the real API: teams and centres with
their zones (INSEE communes of their département) and hours; a household met in a commune no
active team covers is a white zone, one met in a covered commune is not; small counts are
masked; the HTML page draws its chart on the server and gives its table beneath."""

import re
import uuid
from typing import Any

import pytest

from api import examples
from api.svg_bars import bar_chart
from tests.conftest import as_account, login, ok

pytestmark = pytest.mark.devserver

# Communes of 93 no other test uses — Stains, Tremblay-en-France (covered); Montreuil, Bondy —
# nor the API's example (93066, 93001), from which schemathesis creates teams.
COVERED, ALSO_COVERED, BUSY, QUIET = "93070", "93071", "93048", "93010"
ELSEWHERE = ["93005", "93006"]  # Aulnay-sous-Bois, Bagnolet: the first test's team


def _team(**overrides) -> dict:
    body = {
        "departement": "93",
        "name": f"Maraude de nuit {uuid.uuid4().hex[:6]}",
        "kind": "maraude",
        "operator": "Association Aurore",
        "communes": [COVERED, ALSO_COVERED],
        "hours": [{"days": ["lundi", "vendredi"], "opens": "20:00", "closes": "02:00"}],
        "evaluation_capacity": 40,
    }
    return body | overrides


async def _meet(http, commune: str | None, people: int = 1) -> str:
    body = examples.first_contact("93", commune=commune)
    first = body["members"][0]
    body["members"] += [
        {**first, "nickname": f"P{i}", "relationship": "enfant"} for i in range(1, people)
    ]
    return ok(await http.post("/households", json=body), 201)["household_id"]


def _zones(reports: Any) -> dict[str, tuple]:
    [report] = [r for r in reports if r["departement"] == "93"]
    return {z["commune"]: (z["households"], z["people"]) for z in report["white_zones"]}


async def test_teams_have_zones_and_hours_checked_in_french(http, settings, engine):
    team = ok(await http.post("/coverage/teams", json=_team(communes=ELSEWHERE[::-1])), 201)
    assert team["communes"] == ELSEWHERE and team["active"] is True
    assert team["hours"] == [{"days": ["lundi", "vendredi"], "opens": "20:00", "closes": "02:00"}]
    listed = ok(await http.get("/coverage/teams", params={"departement": "93"}))
    assert team["id"] in [t["id"] for t in listed]

    for bad, field, message in (
        ({"communes": ["75056"]}, "corps", "communes hors du département 93 : 75056"),
        ({"communes": ["9306"]}, "communes.0", "format invalide"),
        ({"communes": ["20004"]}, "communes.0", "format invalide"),  # Corsica is 2A/2B
        ({"communes": []}, "communes", "au moins 1 élément(s)"),
        (
            {"hours": [{"days": ["lundi"], "opens": "20:00", "closes": "20:00"}]},
            "hours.0",
            "un créneau ne peut pas finir à l'heure où il commence",
        ),
        (
            {"hours": [{"days": ["lundi"], "opens": "25:00", "closes": "02:00"}]},
            "hours.0.opens",
            "format invalide",
        ),
        ({"kind": "patrouille"}, "kind", "valeur inconnue"),
    ):
        r = await http.post("/coverage/teams", json=_team(**bad))
        assert r.status_code == 422, (bad, r.text)
        [error] = r.json()["erreurs"]
        assert error["champ"] == field and error["message"].startswith(message), (bad, error)
    same = await http.post("/coverage/teams", json=_team(name=team["name"]))
    assert same.status_code == 409 and "déjà une équipe" in same.json()["detail"]

    moved = ok(await http.put(f"/coverage/teams/{team['id']}", json=_team(communes=[QUIET])))
    assert moved["communes"] == [QUIET] and moved["id"] == team["id"]
    # Another département's team is not found; an observer reads but does not manage.
    other = login(settings, engine, ["coordinateur"], ["75"])
    paris = _team(departement="75", communes=["75056"])
    observer = login(settings, engine, ["observateur"], ["93"])
    async with as_account(http, other) as coordinator, as_account(http, observer) as state:
        assert (
            await coordinator.put(f"/coverage/teams/{team['id']}", json=paris)
        ).status_code == 404
        assert (await coordinator.post("/coverage/teams", json=_team())).status_code == 403
        assert (await state.post("/coverage/teams", json=_team())).status_code == 403
        assert team["id"] in [t["id"] for t in ok(await state.get("/coverage/teams"))]
    r = await http.put(f"/coverage/teams/{team['id']}", json=paris)  # 75 and 93 for `http`
    assert r.status_code == 422 and "ne change pas de département" in r.text
    back = _team(name=team["name"], communes=ELSEWHERE, hours=[])
    assert ok(await http.put(f"/coverage/teams/{team['id']}", json=back))["hours"] == []


async def test_white_zones_are_where_people_are_met_and_no_team_goes(
    http, worked, settings, engine
):
    [before] = ok(await http.get("/coverage/white-zones", params={"departement": "93"}))
    team = ok(await http.post("/coverage/teams", json=_team()), 201)  # 40 evaluations a week
    undeclared = _team(evaluation_capacity=None, communes=ELSEWHERE)  # not where BUSY is
    ok(await http.post("/coverage/teams", json=undeclared), 201)
    await _meet(http, COVERED)
    for _ in range(5):
        await _meet(http, BUSY)  # 5 households, 5 people: shown as they are
    await _meet(http, QUIET, people=3)  # 1 household, 3 people: « < 5 »
    await _meet(http, None)  # no commune given: counted apart
    r = await http.post("/households", json=examples.first_contact("93", commune="75056"))
    assert r.status_code == 422
    assert r.json()["erreurs"][0]["message"] == "la commune 75056 n'est pas dans le département 93"

    reports = ok(await http.get("/coverage/white-zones", params={"departement": "93"}))
    zones = _zones(reports)
    assert zones[BUSY] == (5, 5) and zones[QUIET] == ("< 5", "< 5")
    assert COVERED not in zones and ALSO_COVERED not in zones
    order = [c for c in zones if c in (BUSY, QUIET)]
    assert order == [BUSY, QUIET]  # the largest first, masked ones last
    [report] = reports
    assert report["households_without_commune"] != 0 and report["teams_active"] >= 1
    # What the teams say they can evaluate, beside how many households were met (R-COORD-1).
    capacity = before["weekly_evaluation_capacity"]
    assert report["weekly_evaluation_capacity"] == capacity + 40
    assert report["teams_without_capacity"] == before["teams_without_capacity"] + 1
    assert report["households_met"] >= 8  # BUSY 5, QUIET, COVERED, no commune (others' too)
    # Outside the period: nothing; a stopped team covers nothing and evaluates nothing.
    later = {"departement": "93", "from": "2099-01-01"}
    [empty] = ok(await http.get("/coverage/white-zones", params=later))
    assert empty["white_zones"] == [] and empty["households_met"] == 0
    ok(await http.put(f"/coverage/teams/{team['id']}", json=_team(name=team["name"], active=False)))
    [report] = ok(await http.get("/coverage/white-zones", params={"departement": "93"}))
    assert _zones([report])[COVERED] == ("< 5", "< 5")
    assert report["weekly_evaluation_capacity"] == capacity

    # The State observer reads the same anonymous figures, as a page: its chart, its table.
    async with as_account(http, login(settings, engine, ["observateur"], ["93"])) as state:
        page = await state.get("/coverage/white-zones.html", params={"departement": "93"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert html.count("<svg") == 1 and "<table>" in html
        assert html.index("<svg") < html.index("<table>")  # the data beneath the chart
        assert f'<th scope="row">{BUSY}</th><td>5</td><td>5</td>' in html
        assert f'<th scope="row">{QUIET}</th><td>&lt; 5</td><td>&lt; 5</td>' in html
        assert f"Capacité d'évaluation déclarée par les équipes en activité : {capacity} " in html
        assert "<script" not in html and "http" not in html.replace("http://www.w3.org", "")
        assert (await state.get("/households")).status_code == 403  # figures only
        reports = ok(await state.get("/coverage/white-zones"))
        assert [r["departement"] for r in reports] == ["93"]
    async with as_account(http, login(settings, engine, ["ecoutant_115"], ["93"])) as handler:
        assert (await handler.get("/coverage/white-zones")).status_code == 403


def test_a_masked_count_is_drawn_to_the_threshold_never_to_its_value():
    svg = bar_chart("Zones blanches", [("93048", 10), ("93010", "< 5")], 5, "essai")
    widths = [int(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="(\d+)"', svg)]
    assert widths[1] * 2 == widths[0]  # « < 5 » drawn as 5 out of 10, whatever it hides
    assert 'stroke-dasharray="4 3"' in svg and "&lt; 5" in svg
    assert "<title" in svg and "<desc" in svg  # read by screen readers
