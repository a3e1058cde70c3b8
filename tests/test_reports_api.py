"""The annual report through the real API (issue 12, « Done when »): a coordinator gets the
year's report for their département — numbers, definitions, targets, gaps, charts,
drill-downs — as JSON, CSV and a page that renders in headless Chromium (Debian's package) with
every chart's table beneath and nothing loaded from elsewhere. The Alpes-de-Haute-Provence (04)
hold this test's households."""

import re
from urllib.parse import urlsplit

import pytest

from cli.main import main as siao
from core import db
from core import settings as core_settings
from tests.conftest import CHROMIUM, LOCAL_HOSTS, as_account, chromium_or_skip, login
from tests.report_fixtures import YEAR, seed

DEP = "04"
QUERY: dict[str, str | int] = {"departement": DEP, "year": YEAR}


@pytest.fixture(scope="module")
def seeded(engine):
    return seed(engine, DEP)


async def test_the_coordinator_gets_numbers_definitions_targets_and_drilldowns(
    http, settings, engine, seeded
):
    async with as_account(http, login(settings, engine, ["coordinateur"], [DEP])) as c04:
        answer = await c04.get("/reports/activity", params=QUERY)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        found = {v["code"]: v for v in report["indicators"]}
        flash = found["flash_dans_72h"]
        assert flash["value"] == 20.0 and flash["status"] == "proposition v1"
        assert flash["target"] == 90 and flash["gap"] == -70.0  # the national CPO target
        assert "72 h" in flash["formula"] and flash["universe"] and flash["sources"]
        assert report["quality"]["departement"] == DEP

        csv = await c04.get("/reports/activity", params={**QUERY, "format": "csv"})
        assert csv.headers["content-type"].startswith("text/csv")
        assert "04;2025;flash_dans_72h;" in csv.text

        behind = await c04.get("/reports/indicators/demandes_non_pourvues/households", params=QUERY)
        assert [b["household_id"] for b in behind.json()] == [seeded["h5"]]

        elsewhere = await c04.get("/reports/activity", params={"departement": "75", "year": YEAR})
        assert elsewhere.status_code == 403 and "pas le vôtre" in elsewhere.json()["detail"]
        future = await c04.get("/reports/activity", params={"departement": DEP, "year": 2099})
        assert future.status_code == 422 and "à venir" in future.json()["detail"]
    async with as_account(http, login(settings, engine, ["referent"], [DEP])) as referent:
        refused = await referent.get("/reports/activity", params=QUERY)
        assert refused.status_code == 403


def test_siao_report_activity_writes_a_page_that_carries_its_style(
    tmp_path, monkeypatch, settings, seeded
) -> None:
    monkeypatch.setenv("SIAO_ENVIRONMENT", "development")
    monkeypatch.setenv("SIAO_DATABASE_URL", settings.database_url)
    core_settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    out = tmp_path / "rapport.html"
    code = siao(
        ["report", "activity", "--departement", DEP, "--year", str(YEAR), "--output", str(out)]
    )
    db.get_engine().dispose()
    db.get_engine.cache_clear()
    core_settings.get_settings.cache_clear()
    page = out.read_text()
    assert code == 0 and "<style>" in page and "Rapport d&#x27;activité 2025 — SIAO 04" in page


async def test_the_page_renders_in_chromium_every_chart_with_its_table(
    served, settings, engine, seeded
):
    chromium_or_skip()
    from playwright.async_api import Route, async_playwright

    headers = login(settings, engine, ["coordinateur"], [DEP])
    blocked: list[str] = []
    problems: list[str] = []

    async def only_the_api(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = await browser.new_context(extra_http_headers=headers)
            await context.route("**/*", only_the_api)
            page = await context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            await page.goto(f"{served}/reports/activity.html?departement={DEP}&year={YEAR}")
            await page.locator("h1").wait_for(timeout=20_000)
            assert "Rapport d'activité 2025" in await page.locator("h1").inner_text()
            figures = page.locator("figure")
            assert await figures.count() >= 4
            for i in range(await figures.count()):
                figure = figures.nth(i)
                assert await figure.locator("svg").count() == 1
                assert await figure.locator("table").count() == 1  # its data, beneath
                box = await figure.locator("svg").bounding_box()
                assert box is not None and box["height"] > 0  # drawn, not blank
            # the style sheet applied (tables collapse their borders): no inline style needed
            collapse = await page.locator("table").first.evaluate(
                "t => getComputedStyle(t).borderCollapse"
            )
            assert collapse == "collapse"
            text = await page.content()
            assert re.search(r"<td>évaluations flash faites dans les 72 h</td><td[^>]*>20<", text)
        finally:
            await browser.close()
    assert blocked == [] and problems == []


async def test_a_recognised_household_names_its_closed_earlier_pathway(http, worked, engine):
    from sqlmodel import Session

    from api import examples
    from models.records import Household

    earlier = await http.post("/households", json=examples.first_contact())
    assert earlier.status_code == 201, earlier.text
    before = earlier.json()["household_id"]
    body = {**examples.first_contact(), "previous_household_id": before}
    still_open = await http.post("/households", json=body)
    assert still_open.status_code == 409 and "parcours ouvert" in still_open.json()["detail"]
    unknown = {**body, "previous_household_id": "00000000-0000-0000-0000-000000000000"}
    assert (await http.post("/households", json=unknown)).status_code == 404
    closed = await http.post(f"/households/{before}/exit", json=examples.exit_())
    assert closed.status_code == 200, closed.text
    back = await http.post("/households", json=body)
    assert back.status_code == 201, back.text
    with Session(engine) as s:
        household = s.get(Household, back.json()["household_id"])
        assert household is not None and household.previous_household_id == before
