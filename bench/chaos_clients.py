"""The chaos proof's caseworkers (bench/chaos.py): each pathway's actions in order, each with its
own Idempotency-Key, sent again with the same key and body after a 503, a lost connection or a
timeout; what was acknowledged, retried or went wrong is kept in a `Tally`."""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from api import examples
from models.pathway import Action, Stage

A, S = Action, Stage
# (path under /households/{id}, action, its body, the stage it leads to), in pathway order.
STEPS: list[tuple[str, Action, Callable[[], dict[str, Any]], Stage]] = [
    ("", A.REPORT, examples.first_contact, S.REPORTED),
    ("/flash-evaluation", A.FLASH_EVALUATION, examples.flash, S.FLASH_EVALUATED),
    ("/in-depth-evaluation", A.IN_DEPTH_EVALUATION, examples.in_depth, S.IN_DEPTH_EVALUATED),
    ("/commission-decision", A.COMMISSION_DECISION, examples.commission, S.COMMISSION),
    ("/orientation", A.ORIENTATION, examples.orientation, S.ORIENTATION_PROPOSED),
    ("/orientation/response", A.ACCEPT_ORIENTATION, examples.accepted, S.ORIENTATION_PROPOSED),
    ("/admission", A.ADMISSION, examples.placement, S.ADMITTED),
]


@dataclass
class Tally:
    # household, action, key, the stage it leads to: each acknowledged action
    acks: list[tuple[str, Action, str, str]] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    unanswered: int = 0  # connection refused or cut, timeouts: the API restarting
    anomalies: list[str] = field(default_factory=list)  # 409 after a lost answer, wrong stage
    failures: list[str] = field(default_factory=list)  # 500, other statuses, never acknowledged
    complete: int = 0
    last: float = 0.0  # when the last answer came


async def send(
    http: httpx.AsyncClient, t: Tally, url: str, what: str, body: dict, limit: float
) -> dict | None:
    """The body of a 2xx, or None (and why, in the tally). The same key and body each try."""
    started, pause, lost, last = time.monotonic(), 0.25, False, ""
    while True:
        try:
            r = await http.post(url, json=body, headers={"Idempotency-Key": what.split()[-1]})
        except httpx.TransportError as exc:
            t.unanswered, lost, last = t.unanswered + 1, True, type(exc).__name__
        else:
            t.statuses[r.status_code] += 1
            t.last, last = time.monotonic(), f"{r.status_code} {r.text[:300]}"
            if r.is_success:
                return dict(r.json())
            if r.status_code != 503:
                (t.anomalies if r.status_code == 409 and lost else t.failures).append(
                    f"POST {url} ({what}) -> {last}"
                )
                return None
            lost = True
        if time.monotonic() - started > limit:
            t.failures.append(f"POST {url} ({what}) unacknowledged after {limit:.0f} s: {last}")
            return None
        t.retries += 1
        await asyncio.sleep(pause)
        pause = min(2 * pause, 2.0)


async def pathway(http: httpx.AsyncClient, t: Tally, steps: int, limit: float) -> None:
    hid = ""
    for path, action, body, stage in STEPS[:steps]:
        key = f"chaos-{uuid.uuid4().hex}"
        url = f"/households/{hid}{path}" if hid else "/households"
        answer = await send(http, t, url, f"{action.value}, key {key}", body(), limit)
        if answer is None:
            return
        hid = hid or answer["household_id"]
        got = answer["pathway"]["stage"] if action is A.REPORT else answer["stage"]
        t.acks.append((hid, action, key, stage.value))
        if got != stage.value:
            t.anomalies.append(f"{action.value} on {hid}: answered stage {got}, not {stage}")
    t.complete += 1
