"""OIDC identity (issue 8, item 12): accounts bound to the provider's (issuer, sub), never to a
name; issuer and audience mandatory; the key set cached, fetched again for an unknown `kid`, and
never on the event loop. Against a key set served by the test itself, on 127.0.0.1."""

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError
from sqlmodel import Session

from api.accounts import create_user
from api.main import create_app
from core import clock
from core.settings import Settings
from models.users import User

ISSUER, AUDIENCE = "https://idp.siao.test/realms/siao", "siao-api"


class Provider:
    """An OIDC provider's key set over HTTP: its keys, how often it was fetched, its delay."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0
        self.delay = 0.0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.fetches += 1
                time.sleep(provider.delay)
                body = json.dumps({"keys": provider.jwks()}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "jwks") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{path}"

    def add_key(self) -> str:
        kid = uuid.uuid4().hex[:8]
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return kid

    def jwks(self) -> list[dict[str, Any]]:
        found = []
        for kid, key in self.keys.items():
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            found.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return found

    def token(self, kid: str, sub: str, **claims: Any) -> str:
        now = clock.now()
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now}
        body |= {"exp": now + timedelta(minutes=5), **claims}
        key = self.keys.get(kid) or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def provider() -> Iterator[Provider]:
    running = Provider()
    yield running
    running.server.shutdown()
    running.server.server_close()


def oidc_settings(settings: Settings, url: str) -> Settings:
    update = {"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE, "oidc_jwks_url": url}
    return settings.model_copy(update={**update, "oidc_jwks_cooldown_seconds": 0})


def bound_account(engine, sub: str) -> User:
    """An account bound to (ISSUER, sub), as /users or the CLI binds it."""
    user = create_user(engine, f"oidc-{uuid.uuid4().hex[:8]}", None, ["coordinateur"], ["75"])
    with Session(engine) as session:
        row = session.get(User, user.id)
        assert row is not None
        row.oidc_issuer, row.oidc_subject = ISSUER, sub
        session.add(row)
        session.commit()
    return user


async def me(app: Any, token: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        return await http.get("/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_issuer_and_audience_are_mandatory_with_oidc() -> None:
    jwks = "https://idp.siao.test/certs"
    partials: list[dict[str, Any]] = [
        {"oidc_jwks_url": jwks},
        {"oidc_jwks_url": jwks, "oidc_issuer": ISSUER},
        {"oidc_jwks_url": jwks, "oidc_audience": AUDIENCE},
        {"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE},
    ]
    for partial in partials:
        with pytest.raises(ValidationError, match="OIDC incomplet"):
            Settings(environment="development", **partial)


async def test_accounts_are_bound_to_the_issuer_and_subject(settings, engine, provider) -> None:
    kid = provider.add_key()
    app = create_app(oidc_settings(settings, provider.url()), engine)
    # A name is not an identity: another subject calling itself by an existing account's name.
    admin = create_user(engine, f"admin-{uuid.uuid4().hex[:6]}", None, ["admin"], [])
    impostor = provider.token(kid, "autre-sujet", preferred_username=admin.username)
    assert (await me(app, impostor)).status_code == 401
    named = provider.token(kid, admin.username)  # even as `sub`: only a bound account counts
    assert (await me(app, named)).status_code == 401
    sub = f"f3b1-{uuid.uuid4().hex}"
    user = bound_account(engine, sub)
    answer = await me(app, provider.token(kid, sub, preferred_username="quelqu-un-d-autre"))
    assert answer.status_code == 200 and answer.json()["username"] == user.username
    # The same subject from another issuer, or for another audience, is someone else.
    assert (await me(app, provider.token(kid, sub, iss="https://ailleurs.test"))).status_code == 401
    assert (await me(app, provider.token(kid, sub, aud="autre-api"))).status_code == 401
    forged = provider.token("inconnue", sub)  # signed by a key the provider never published
    assert (await me(app, forged)).status_code == 401


async def test_keys_are_cached_and_refetched_for_an_unknown_kid(settings, engine, provider):
    first = provider.add_key()
    app = create_app(oidc_settings(settings, provider.url("cache")), engine)
    sub = f"sub-{uuid.uuid4().hex}"
    bound_account(engine, sub)
    for _ in range(3):
        assert (await me(app, provider.token(first, sub))).status_code == 200
    assert provider.fetches == 1
    rotated = provider.add_key()  # the provider rotates: a kid the cache does not know
    assert (await me(app, provider.token(rotated, sub))).status_code == 200
    assert provider.fetches == 2
    assert (await me(app, provider.token(first, sub))).status_code == 200
    assert provider.fetches == 2


async def test_a_slow_provider_does_not_block_the_event_loop(settings, engine, provider):
    kid = provider.add_key()
    provider.delay = 1.0
    app = create_app(oidc_settings(settings, provider.url("slow")), engine)
    sub = f"sub-{uuid.uuid4().hex}"
    bound_account(engine, sub)
    start = time.monotonic()
    answers = await asyncio.gather(*(me(app, provider.token(kid, sub)) for _ in range(3)))
    elapsed = time.monotonic() - start
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert elapsed < 2.5, elapsed  # in parallel, off the loop: not 3 × 1 s one after the other
    before = provider.fetches
    assert (await me(app, provider.token(kid, sub))).status_code == 200
    assert provider.fetches == before  # then from the cache
