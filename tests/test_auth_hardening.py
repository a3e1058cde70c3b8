"""Safe defaults and logging in (issue 8, items 11, 13, 14): production unless told otherwise, no
short secret, throttled logins with backoff, the same work for unknown names, bounded hashing,
tokens revoked by logout and password change, the session cookie valid for /codec only."""

import asyncio
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlmodel import Session, select

import core.security
from api.accounts import create_user
from api.main import create_app
from core import clock
from core.codec import new_key_entry
from core.settings import Settings, get_settings
from models.users import User

# Only names that existed before these changes are imported at the top: run against the code
# before them, every test fails on its assertion, not on an import.
PASSWORD = "un-mot-de-passe-assez-long"
DEV_SECRET = "dev-secret-not-for-production-change-me"  # public: it is in the source
ACCOUNT_FREE, ADDRESS_FREE, FIRST_LOCK = 5, 20, 30  # api.throttle's rules


def client(app: Any, address: str | None = None) -> httpx.AsyncClient:
    """A client from its own address: throttling counts per address, tests must not share."""
    peer = (address or f"10.8.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}", 4321)
    transport = httpx.ASGITransport(app=app, client=peer)
    return httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30)


def account(engine, roles=("coordinateur",), active: bool = True) -> User:
    user = create_user(engine, f"agent-{uuid.uuid4().hex[:10]}", PASSWORD, list(roles), ["75"])
    if not active:
        with Session(engine) as session:
            row = session.get(User, user.id)
            assert row is not None
            row.active = False
            session.add(row)
            session.commit()
    return user


def form(user: User | str, password: str = PASSWORD) -> dict[str, str]:
    return {"username": user if isinstance(user, str) else user.username, "password": password}


# Item 11: the unsafe default.


def test_settings_default_to_production_and_refuse_short_secrets(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("SIAO_ENVIRONMENT", raising=False)
    monkeypatch.delenv("SIAO_SECRET_KEY", raising=False)
    assert Settings().environment == "production"
    with pytest.raises(RuntimeError, match="SIAO_SECRET_KEY"):
        create_app(Settings(encryption_keys=new_key_entry("k1")))
    for short in ("x" * 31, "é" * 15, DEV_SECRET):
        with pytest.raises(ValidationError, match="32 octets"):
            Settings(secret_key=short)
    assert len(Settings(secret_key="é" * 16).secret_key) == 16  # 32 bytes in UTF-8
    assert Settings(environment="development", secret_key="court").secret_key == "court"


async def test_outside_development_a_token_signed_with_the_public_secret_is_refused(
    engine, monkeypatch
) -> None:
    monkeypatch.delenv("SIAO_SECRET_KEY", raising=False)
    user = account(engine)
    now = clock.now()
    claims = {"sub": str(user.id), "ver": 0, "iss": "siao-local", "iat": now}
    forged = jwt.encode({**claims, "exp": now + timedelta(days=3650)}, DEV_SECRET, "HS256")
    # No secret outside development: no code path falls back to the public one.
    with pytest.raises(core.security.TokenInvalid):
        core.security.decode_token(Settings(environment="production"), forged)
    settings = Settings(
        environment="production",
        secret_key="s" * 48,
        audit_key="a" * 48,
        encryption_keys=new_key_entry("k1"),
    )
    async with client(create_app(settings, engine)) as http:
        r = await http.get("/auth/me", headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401
        token = (await http.post("/auth/token", data=form(user))).json()["access_token"]
        r = await http.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200


def test_the_embedded_stack_says_development_unless_told(monkeypatch, tmp_path) -> None:
    from core.settings import development_unless_set

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SIAO_ENVIRONMENT", raising=False)
    development_unless_set()  # what `make up` and `make demo` call first
    assert get_settings().environment == "development"
    monkeypatch.setenv("SIAO_ENVIRONMENT", "production")
    development_unless_set()  # an explicit choice stands
    get_settings.cache_clear()
    assert get_settings().environment == "production"
    get_settings.cache_clear()


# Item 13: throttling, constant work, bounded hashing, revocation.


async def test_an_account_is_locked_with_backoff_after_five_failures(settings, engine) -> None:
    user, other = account(engine), account(engine)
    async with client(create_app(settings, engine)) as http:
        for _ in range(ACCOUNT_FREE):
            wrong = await http.post("/auth/token", data=form(user, "mauvais"))
            assert wrong.status_code == 401
        locked = await http.post("/auth/token", data=form(user))  # the right password
        assert locked.status_code == 429, locked.text
        assert "Trop de tentatives" in locked.json()["detail"]
        assert 0 < int(locked.headers["Retry-After"]) <= FIRST_LOCK
        # Another account from the same address still logs in; the name is stored as a digest.
        assert (await http.post("/auth/token", data=form(other))).status_code == 200
        with Session(engine) as session:
            keys = list(session.execute(text("SELECT key FROM loginthrottle")).scalars())
        assert all(user.username not in key and len(key) == 64 for key in keys)
        # The lock expires: one more failure locks twice as long (backoff)...
        _expire_locks(engine)
        assert (await http.post("/auth/token", data=form(user, "faux"))).status_code == 401
        again = await http.post("/auth/token", data=form(user))
        assert int(again.headers["Retry-After"]) > FIRST_LOCK
        # ...and the right password after the lock forgets the account's failures.
        _expire_locks(engine)
        assert (await http.post("/auth/token", data=form(user))).status_code == 200
        assert (await http.post("/auth/token", data=form(user, "x"))).status_code == 401


def _expire_locks(engine) -> None:
    from models.users import LoginThrottle

    with Session(engine) as session:
        for row in session.exec(select(LoginThrottle)):
            row.locked_until = clock.now() - timedelta(seconds=1)
            session.add(row)
        session.commit()


async def test_an_address_is_locked_after_twenty_failures(settings, engine) -> None:
    user = account(engine)
    app = create_app(settings, engine)
    async with client(app, "10.9.9.9") as http:
        for n in range(ADDRESS_FREE):  # unknown names: throttled all the same
            assert (await http.post("/auth/token", data=form(f"inconnu-{n}"))).status_code == 401
        assert (await http.post("/auth/token", data=form(user))).status_code == 429
    async with client(app, "10.9.9.10") as http:
        assert (await http.post("/auth/token", data=form(user))).status_code == 200


class SpyHasher:
    """The real hasher, counting verifications and how many run at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.real, self.delay = core.security.PasswordHasher(), delay
        self.calls, self.running, self.most = 0, 0, 0
        self.lock = threading.Lock()

    def verify(self, hashed: str, password: str) -> bool:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.delay)
            return self.real.verify(hashed, password)
        finally:
            with self.lock:
                self.running -= 1

    def hash(self, password: str) -> str:
        return self.real.hash(password)


async def test_unknown_names_cost_the_same_work_as_known_ones(
    settings, engine, monkeypatch
) -> None:
    spy = SpyHasher()
    monkeypatch.setattr(core.security, "_hasher", spy)
    known, disabled = account(engine), account(engine, active=False)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    async with client(create_app(settings, engine)) as http:
        for name in (known.username, disabled.username, "personne-de-ce-nom"):
            before = spy.calls
            r = await http.post("/auth/token", data=form(name, "mauvais-mot-de-passe"))
            assert r.status_code == 401 and "incorrect" in r.json()["detail"]
            assert spy.calls == before + 1, name  # one argon2 verification, whoever it is
        for _ in range(3):
            for kind, name in (("known", known.username), ("unknown", f"x-{uuid.uuid4().hex}")):
                start = time.perf_counter()
                await http.post("/auth/token", data=form(name, "mauvais"))
                timings[kind].append(time.perf_counter() - start)
    assert min(timings["unknown"]) > 0.3 * min(timings["known"]), timings


async def test_at_most_four_passwords_are_hashed_at_once(settings, engine, monkeypatch) -> None:
    spy = SpyHasher(delay=0.2)
    monkeypatch.setattr(core.security, "_hasher", spy)
    crowd = [account(engine) for _ in range(12)]
    async with client(create_app(settings, engine)) as http:
        answers = await asyncio.gather(
            *(http.post("/auth/token", data=form(user, "faux")) for user in crowd)
        )
    assert {a.status_code for a in answers} == {401}
    assert spy.calls == 12 and spy.most <= 4, spy.most


async def test_logout_and_a_password_change_revoke_the_tokens(settings, engine) -> None:
    user = account(engine)
    async with client(create_app(settings, engine)) as http:
        first = (await http.post("/auth/token", data=form(user))).json()["access_token"]
        second = (await http.post("/auth/token", data=form(user))).json()["access_token"]
        bearer = {"Authorization": f"Bearer {first}"}
        assert (await http.get("/auth/me", headers=bearer)).status_code == 200
        out = await http.post("/auth/logout", headers=bearer)
        assert out.status_code == 204
        assert "siao_session=" in out.headers["set-cookie"]  # the cookie is dropped too
        for token in (first, second):  # every token issued before
            r = await http.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401 and "reconnectez-vous" in r.json()["detail"]
        third = (await http.post("/auth/token", data=form(user))).json()["access_token"]
        bearer = {"Authorization": f"Bearer {third}"}
        change = {"current_password": "pas le bon", "new_password": "nouveau-mot-de-passe-long"}
        wrong = await http.post("/auth/password", json=change, headers=bearer)
        assert wrong.status_code == 422 and wrong.json()["erreurs"][0]["champ"] == (
            "current_password"
        )
        changed = await http.post(
            "/auth/password", json={**change, "current_password": PASSWORD}, headers=bearer
        )
        assert changed.status_code == 200, changed.text
        assert (await http.get("/auth/me", headers=bearer)).status_code == 401
        fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
        assert (await http.get("/auth/me", headers=fresh)).status_code == 200
        assert (await http.post("/auth/token", data=form(user))).status_code == 401
        new = form(user, "nouveau-mot-de-passe-long")
        assert (await http.post("/auth/token", data=new)).status_code == 200


# Item 14: the session cookie.


async def test_the_session_cookie_authenticates_the_codec_only(settings, engine) -> None:
    user = account(engine)
    async with client(create_app(settings, engine)) as http:
        answer = await http.post("/auth/token", data=form(user))
        cookie = answer.headers["set-cookie"]
        assert "Path=/codec" in cookie and "HttpOnly" in cookie
        session = {"Cookie": f"siao_session={answer.json()['access_token']}"}
        for path in ("/auth/me", "/households", "/statistics", "/audit/verify"):
            r = await http.get(path, headers=session)
            assert r.status_code == 401, path
        decoded = await http.post("/codec/decode", json={"payloads": []}, headers=session)
        assert decoded.status_code == 200
