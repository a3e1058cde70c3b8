"""The chaos proof's hand (bench/chaos.py): it finds the `make up` stack's worker and API among
the supervisor's children (/proc) and kills them on time — the worker with SIGKILL once it has
worked its while, the API with SIGTERM and SIGKILL in turn."""

import asyncio
import contextlib
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench._common import children, kill_process


@dataclass
class Chaos:
    """Finds the devstack's worker and API among its children (/proc) and kills them on time."""

    devstack: int
    worker_log: Path
    kill_every: float
    api_every: float
    max_kills: float = float("inf")
    worker_kills: int = 0
    api_kills: Counter[str] = field(default_factory=Counter)
    first: dict[int, float] = field(default_factory=dict)  # when each process was first seen
    logged: dict[int, int] = field(default_factory=dict)  # worker: start lines logged by then
    ready: dict[int, float] = field(default_factory=dict)  # worker: when it logged its start
    seen: dict[int, str] = field(default_factory=dict)  # every process of the stack, its cmdline
    killed: set[int] = field(default_factory=set)  # may still be exiting (SIGTERM: finishing)
    starts: int = 0  # « worker_started » lines in the worker's log, read up to `read` bytes
    read: int = 0

    def count(self, what: str) -> int:
        return sum(what in cmd for cmd in self.seen.values())

    def started(self) -> int:
        with self.worker_log.open("rb") as log:
            log.seek(self.read)
            text = log.read()
        text = text[: text.rfind(b"\n") + 1]  # whole lines only
        self.read, self.starts = self.read + len(text), self.starts + text.count(b"worker_started")
        return self.starts

    def tick(self, kill: bool = True) -> dict[int, str]:
        now, kids, started = time.monotonic(), children(self.devstack), self.started()
        for pid, cmd in kids.items():
            first = self.first.setdefault(pid, now)
            self.seen[pid] = cmd  # its latest: the API's `core.api_server` execs into uvicorn
            self.seen.update(children(pid))  # the worker's rules engine, its resource tracker
            if "worker.py" in cmd:
                logged = self.logged.setdefault(pid, started if self.logged else 0)
                if pid not in self.ready and (started > logged or now - first > 10):
                    self.ready[pid] = now
                due = now - self.ready.get(pid, now) >= self.kill_every
                if kill and due and self.worker_kills < self.max_kills:
                    kill_process(pid, signal.SIGKILL)
                    self.worker_kills, self.ready[pid] = self.worker_kills + 1, float("inf")
                    self.killed.add(pid)
            elif kill and "uvicorn" in cmd and now - first >= self.api_every:
                sig = signal.SIGKILL if sum(self.api_kills.values()) % 2 else signal.SIGTERM
                kill_process(pid, sig)  # SIGTERM: it finishes its requests first
                self.killed.add(pid)
                self.api_kills[sig.name], self.first[pid] = self.api_kills[sig.name] + 1, 1e12
        return kids

    def struck(self) -> bool:
        return self.worker_kills > 0 and sum(self.api_kills.values()) > 0

    def up(self) -> bool:
        """A worker that logged its start, and an API process: new ones, not those killed and
        still on their way out."""
        kids = {p: c for p, c in self.tick(kill=False).items() if p not in self.killed}
        worker = any(p in self.ready for p, c in kids.items() if "worker.py" in c)
        return worker and any("uvicorn" in c for c in kids.values())

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.tick)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
