"""bench/scale.py's traffic through the real HTTP API: the accounts, the bodies, pathways opened
and moved on to later stages, the timed samples, the mass wake-up's households and the
caseworkers acting meanwhile."""

import asyncio
import contextlib
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from api import examples
from api.accounts import create_user
from bench._common import Errors, Failed
from bench.pathway import expect
from core.db import make_engine

# The accounts, as the roles are split (api/permissions.py): the first line reports, evaluates
# (flash) and lists; the referent makes the in-depth evaluation; the commission recommends.
ACCOUNTS = {
    "first_line": ("bench-veille-sociale", ["veille_sociale"]),
    "referent": ("bench-referent", ["referent"]),
    "commission": ("bench-commission", ["commission"]),
}
# The stage each pathway is left at, in a fixed shuffled cycle of 20: 40 % reported, 25 % after
# the flash evaluation, 20 % after the in-depth one, 15 % after the commission's recommendation.
SHARES = {"reported": 8, "flash_evaluated": 5, "in_depth_evaluated": 4, "commission": 3}
CYCLE = [stage for stage, n in SHARES.items() for _ in range(n)]
random.Random(0).shuffle(CYCLE)
STAGES = list(SHARES)
STEPS = [  # route, account, body; the n first steps lead to STAGES[n]
    ("flash-evaluation", "first_line", examples.flash),
    ("in-depth-evaluation", "referent", examples.in_depth),
    ("commission-decision", "commission", examples.commission),
]
FLASH_DELAY = timedelta(hours=72)  # the national flash deadline (policies/_national.yaml)
WAKEUP_PERIOD = 1.0  # each caseworker of the wake-up acts once a second, and lists once
Op = Callable[[int], Awaitable[None]]


async def log_in(
    http: httpx.AsyncClient, db_url: str, departements: list[str]
) -> dict[str, dict[str, str]]:
    """Real accounts in the bench's database, logged in through the real route: their headers."""
    engine, headers = make_engine(db_url), {}
    try:
        for key, (username, roles) in ACCOUNTS.items():
            password = secrets.token_urlsafe(16)
            create_user(engine, username, password, roles, departements, display_name="Bench")
            form = {"username": username, "password": password}
            token = expect(await http.post("/auth/token", data=form), 200, "POST /auth/token")
            headers[key] = {"Authorization": f"Bearer {token['access_token']}"}
    finally:
        engine.dispose()
    return headers


def member(nickname: str, birth_year: int, sex: str, relationship: str) -> dict[str, Any]:
    base = examples.first_contact()["members"][0]
    return (
        base
        | {"nickname": nickname, "birth_year": birth_year, "sex": sex}
        | {"relationship": relationship}
    )


def household(i: int, departement: str, children: bool, **overrides: Any) -> dict[str, Any]:
    """The i-th first contact: single people, couples, and (when `children`) families."""
    adult = member(f"Bench {i}", 1960 + i % 40, "homme" if i % 2 else "femme", "lui_meme")
    partner = member(f"Bench {i}b", 1962 + i % 38, "femme", "conjoint")
    child = member(f"Bench {i}c", 2015 + i % 8, "non_renseigne", "enfant")
    kinds = [
        ("personne_isolee", [adult]),
        ("couple_sans_enfant", [adult, partner]),
        ("famille_monoparentale", [adult, child]),
        ("couple_avec_enfants", [adult, partner, child]),
    ]
    typology, members = kinds[i % (4 if children else 2)]
    body = examples.first_contact(departement, typology=typology, members=members)
    return body | overrides


class Traffic:
    """The bench's clients: opened pathways, the reported ones kept for later flash evaluations."""

    def __init__(
        self, http: httpx.AsyncClient, headers: dict[str, dict[str, str]], deps: list[str]
    ):
        self.http, self.headers, self.deps = http, headers, deps
        self.reported: list[str] = []  # reported households no one evaluates but the samples
        self.listings = 0

    async def first_contact(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self.http.post("/households", json=body, headers=self.headers["first_line"])
        return expect(answer, 201, "POST /households")

    async def step(self, household_id: str, n: int) -> None:
        route, account, body = STEPS[n]
        answer = await self.http.post(
            f"/households/{household_id}/{route}", json=body(), headers=self.headers[account]
        )
        expect(answer, 200, f"POST /households/{{id}}/{route}")

    async def open(self, i: int) -> None:
        """The i-th pathway: first contact, then on to its stage of the cycle."""
        stage = CYCLE[i % len(CYCLE)]  # the shares hold from the first 20 pathways on
        departement = self.deps[(i + i // len(CYCLE)) % len(self.deps)]  # shifted each cycle
        hid = (await self.first_contact(household(i, departement, True)))["household_id"]
        for n in range(STAGES.index(stage)):
            await self.step(hid, n)
        if stage == "reported":
            self.reported.append(hid)

    async def flash_sample(self, _: int) -> None:
        """The timed action: a flash evaluation on a reported household (it moves on)."""
        if not self.reported:
            raise Failed("no reported household left to evaluate: open more, or fewer --samples")
        await self.step(self.reported.pop(), 0)

    async def list_sample(self, k: int) -> None:
        """The timed read: one page of GET /households filtered by département and stage."""
        params = {"departement": self.deps[k % len(self.deps)]}
        params["stage"] = STAGES[(k // len(self.deps)) % len(STAGES)]
        answer = await self.http.get(
            "/households", params=params, headers=self.headers["first_line"]
        )
        self.listings += len(expect(answer, 200, "GET /households")["items"])

    def wakeup_op(self, due: datetime, ids: list[str], done_at: list[float]) -> Op:
        """First contacts met FLASH_DELAY before `due`: their flash deadlines all fall at `due`
        (checked in each answer). No children: the 24 h rule of Paris does not apply."""
        met = (due - FLASH_DELAY).isoformat()

        async def op(i: int) -> None:
            body = household(
                5_000_000 + i, self.deps[i % len(self.deps)], False, encountered_at=met
            )
            answer = await self.first_contact(body)
            flash = [d for d in answer["pathway"].get("deadlines", []) if d["kind"] == "flash"]
            if len(flash) != 1 or datetime.fromisoformat(flash[0]["due_at"]) != due:
                raise Failed(f"flash deadline {flash} is not due at {due.isoformat()}")
            ids.append(answer["household_id"])
            done_at.append(time.monotonic())

        return op

    async def caseworkers(
        self, clients: int, stop: asyncio.Event, timeout: float, errors: Errors
    ) -> tuple[list[float], list[float], int]:
        """`clients` caseworkers, each once a second: an action (a flash evaluation, or a first
        contact once no reported household is left) then a filtered list, until `stop`. A failed
        request (a 503: not confirmed in time) goes to `errors`, timed until its answer, and the
        caseworker goes on. The latencies (actions, lists, sorted); how many were first contacts."""
        actions: list[float] = []
        lists: list[float] = []
        firsts = 0

        async def timed(work: Awaitable[Any], into: list[float], what: str) -> None:
            started = time.perf_counter()
            try:
                await asyncio.wait_for(work, timeout)
            except Exception as exc:
                errors.add(f"{what} during the wake-up", exc)
            into.append(time.perf_counter() - started)

        async def one(c: int) -> None:
            nonlocal firsts
            k = c
            while True:  # at least once each, however quick the wake-up
                started = time.perf_counter()
                if self.reported:
                    await timed(self.step(self.reported.pop(), 0), actions, "a flash evaluation")
                else:
                    firsts += 1
                    body = household(10_000_000 + k, self.deps[k % len(self.deps)], True)
                    await timed(self.first_contact(body), actions, "a first contact")
                await timed(self.list_sample(k), lists, "a list")
                k += clients
                if stop.is_set():
                    return
                pause = WAKEUP_PERIOD - (time.perf_counter() - started)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(pause, 0.0))

        await asyncio.gather(*(one(c) for c in range(clients)))
        return sorted(actions), sorted(lists), firsts
