"""The documentation and the supervisors' login work without internet, and nothing third-party
runs on them (issue 8, item 19): Swagger UI's files are served by the API, every answer carries
a Content-Security-Policy and the usual security headers (HSTS outside development), and a
login page sets the codec's session cookie. Checked in headless Chromium (Debian's package)
with every request to anywhere but the API cut."""

import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from api.accounts import create_user
from api.main import create_app
from core.codec import new_key_entry
from core.settings import Settings
from tests.conftest import CHROMIUM, chromium_or_skip, new_id

# The wrong password's answer, which Chromium reports on its console like any error status.
EXPECTED_401 = "Failed to load resource: the server responded with a status of 401"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture
async def api(settings, engine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://siao.test"
    ) as client:
        yield client


def production(settings: Settings) -> Settings:
    secrets = {"secret_key": "s" * 48, "encryption_keys": new_key_entry("k1")}
    if "audit_key" in Settings.model_fields:
        secrets["audit_key"] = "a" * 48
    return settings.model_copy(update={"environment": "production", **secrets})


async def test_the_docs_page_loads_only_the_apis_own_files(api):
    page = await api.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "http://" not in page.text and "https://" not in page.text
    assert "<script>" not in page.text  # no inline script: the policy forbids them
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("docs-assets/") for s in sources)
    for source in sources:
        asset = await api.get(f"/{source}")
        assert asset.status_code == 200, source
        assert asset.headers["cache-control"] == "max-age=3600"
    bundle = await api.get("/docs-assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert len(bundle.content) > 500_000  # Swagger UI itself, not a loader from a CDN
    assert (await api.get("/docs-assets/..%2Fdocs.py")).status_code == 404
    assert (await api.get("/docs-assets/inconnu.js")).json() == {"detail": "Ressource inconnue."}
    login = await api.get("/login")
    assert login.status_code == 200 and "docs-assets/login.js" in login.text
    assert "http://" not in login.text and "<script>" not in login.text


async def test_every_answer_carries_the_security_headers(api, settings, engine):
    answers = [
        await api.get("/docs"),
        await api.get("/health"),
        await api.get("/households"),  # 401
        await api.get("/nulle-part"),  # 404
        await api.post("/households", content=b"x" * 300_000),  # 413
    ]
    assert [a.status_code for a in answers][2:] == [401, 404, 413]
    for answer in answers:
        headers = answer.headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in headers  # development: plain http
    assert answers[1].headers["cache-control"] == "no-store"  # answers are not kept

    app = create_app(production(settings), engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://siao.test"
    ) as prod:
        for path in ("/health", "/docs", "/nulle-part"):
            hsts = (await prod.get(path)).headers["strict-transport-security"]
            assert hsts.startswith("max-age=") and int(hsts[8:].split(";")[0]) >= 31_536_000


async def test_docs_and_login_work_in_chromium_with_the_network_cut(served, engine):
    chromium_or_skip()
    from playwright.async_api import Route, async_playwright

    name, password = f"superviseur-{new_id()[:8]}", "mot-de-passe-très-long"
    create_user(engine, name, password, ["coordinateur"], ["75"])
    blocked: list[str] = []
    problems: list[str] = []

    async def only_the_api(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:  # what a network without internet does to it
            blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = await browser.new_context()
            await context.route("**/*", only_the_api)
            page = await context.new_page()
            page.on(
                "console",
                lambda m: (
                    problems.append(m.text)
                    if m.type == "error" and not m.text.startswith(EXPECTED_401)
                    else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(str(e)))

            await page.goto(f"{served}/docs")
            title = page.locator(".swagger-ui .info .title")
            await title.wait_for(timeout=20_000)
            assert "SIAO — parcours" in await title.inner_text()
            assert await page.locator(".opblock").count() > 20  # the operations are listed
            # « Authorize » (OAuth2 password flow) logs in from the page itself.
            await page.click("button.authorize")
            await page.fill("#oauth_username", name)
            await page.fill("#oauth_password", password)
            await page.click(".auth-btn-wrapper button.authorize")
            logout = page.locator(".auth-btn-wrapper button", has_text="Logout")
            await logout.wait_for(timeout=10_000)  # authorized: a bearer token for the calls
            await page.click(".auth-btn-wrapper button.btn-done")

            await page.goto(f"{served}/login")
            await page.fill("#username", name)
            await page.fill("#password", "pas le bon")
            await page.click("button[type=submit]")
            await page.locator("#status.error").wait_for(timeout=10_000)
            assert "incorrect" in await page.locator("#status").inner_text()

            await page.fill("#username", name)
            await page.fill("#password", password)
            await page.click("button[type=submit]")
            await page.locator("#status.ok", has_text="Connecté(e)").wait_for(timeout=10_000)
            assert await page.input_value("#password") == ""  # not left in the form
            cookies = {c["name"]: c for c in await context.cookies()}
            assert cookies["siao_session"]["httpOnly"]
        finally:
            await browser.close()
    assert blocked == []  # nothing asked for outside the API
    assert problems == []  # no script error, no Content-Security-Policy violation
