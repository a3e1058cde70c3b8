"""bench/scale.py's figures: the memory of the processes (/proc), the database files, the mass
wake-up's missed deadlines (read-only in the app's database), and the printed report."""

import contextlib
import math
import sqlite3
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench._common import Result

KIB, MIB = 1024, 1024 * 1024
TARGET_WORKER_MIB = 1024  # worker RSS < 1 GB at the last point
TARGET_WAKEUP_S = 300  # every missed deadline recorded within 5 minutes of T0
TARGET_P99_MS = 2000  # actions answered meanwhile with p99 <= 2 s


def file_bytes(path: Path) -> int:
    """A SQLite database with its write-ahead log."""
    return sum(p.stat().st_size for p in (path, path.with_name(f"{path.name}-wal")) if p.exists())


def missed(db: Path, ids: set[str]) -> tuple[list[datetime], int]:
    """When each of `ids` had its missed deadline recorded (its `deadline_missed` timeline
    event, written with its alerts by record_missed_deadline), and how many have an alert."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        events = conn.execute(
            "SELECT household_id, recorded_at FROM timelineevent WHERE action = 'deadline_missed'"
        ).fetchall()
        alerted = conn.execute("SELECT DISTINCT household_id FROM alert").fetchall()
    times = [datetime.fromisoformat(at) for hid, at in events if hid in ids]
    return [t if t.tzinfo else t.replace(tzinfo=UTC) for t in times], sum(
        1 for (hid,) in alerted if hid in ids
    )


@dataclass
class Point:
    pathways: int
    rate: float  # pathways opened per second since the previous point
    action: Result
    listing: Result
    worker_mib: float  # worker.py and its children, current
    worker_peak_mib: float
    api_mib: float
    temporal_bytes: int
    app_bytes: int

    def report(self, opened: int) -> str:
        per = self.temporal_bytes / self.pathways / KIB
        return "\n".join(
            [
                f"\n== {self.pathways} open pathways (+{opened} at {self.rate:.1f} pathways/s) ==",
                timed("action (flash evaluation)", self.action),
                timed("GET /households?departement&stage", self.listing),
                f"worker RSS {self.worker_mib:.0f} MiB (worker.py and its children; peak "
                f"{self.worker_peak_mib:.0f} MiB), API RSS {self.api_mib:.0f} MiB",
                f"Temporal database {self.temporal_bytes / MIB:.1f} MiB (file + WAL), {per:.1f} "
                f"KiB per open pathway; app database {self.app_bytes / MIB:.1f} MiB",
            ]
        )


def timed(label: str, r: Result) -> str:
    p50, p99 = r.pct(0.5), r.pct(0.99)
    return f"{label:<36}{len(r.latencies):>6} timed  p50 {p50:>8.1f} ms  p99 {p99:>8.1f} ms"


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


ROWS: list[tuple[str, Callable[[Point], float], str]] = [
    ("open pathways", lambda p: p.pathways, ".0f"),
    ("opening rate, pathways/s", lambda p: p.rate, ".1f"),
    ("action p50 ms", lambda p: p.action.pct(0.5), ".1f"),
    ("action p99 ms", lambda p: p.action.pct(0.99), ".1f"),
    ("list p50 ms", lambda p: p.listing.pct(0.5), ".1f"),
    ("list p99 ms", lambda p: p.listing.pct(0.99), ".1f"),
    ("worker RSS MiB", lambda p: p.worker_mib, ".0f"),
    ("API RSS MiB", lambda p: p.api_mib, ".0f"),
    ("Temporal db MiB", lambda p: p.temporal_bytes / MIB, ".1f"),
    ("Temporal KiB/pathway", lambda p: p.temporal_bytes / p.pathways / KIB, ".2f"),
    ("app db MiB", lambda p: p.app_bytes / MIB, ".1f"),
    ("app KiB/pathway", lambda p: p.app_bytes / p.pathways / KIB, ".2f"),
]


def summary(points: list[Point], cache: int) -> str:
    first, last = points[0], points[-1]
    lines = [f"\nsummary (growth = {last.pathways} vs {first.pathways} open pathways)"]
    lines.append(f"{'figure':<26}" + "".join(f"{p.pathways:>11}" for p in points) + "     growth")
    for label, of, fmt in ROWS:
        growth = of(last) / of(first) if of(first) and not math.isnan(of(first)) else math.nan
        values = "".join(f"{of(p):>11{fmt}}" for p in points)
        lines.append(f"{label:<26}{values}{growth:>11.2f}")
    lines.append(
        f"worker RSS at {last.pathways} open pathways: {last.worker_mib:.0f} MiB (target < "
        f"{TARGET_WORKER_MIB} MiB, sticky cache {cache} workflows: "
        f"{met(last.worker_mib < TARGET_WORKER_MIB)})"
    )
    if len(points) > 1:
        added = (last.temporal_bytes - first.temporal_bytes) / (last.pathways - first.pathways)
        lines.append(f"Temporal database: {added / KIB:.2f} KiB per pathway added between them")
    return "\n".join(lines)


@dataclass
class Wakeup:
    households: int
    due: datetime
    opened_in: float  # seconds to open them
    late: int  # opened after their deadline had passed
    recorded: list[datetime]  # when each missed deadline was recorded
    alerted: int  # households of the wake-up with an alert
    waited: float  # seconds from T0 to the end of the wait
    actions: Result
    lists: Result
    first_contacts: int  # actions that were first contacts (no reported household left)
    failed: int  # actions and lists that failed (timed until their answer all the same)
    clients: int
    worker_mib: float
    worker_peak_mib: float

    def verdicts(self) -> list[str]:
        """The two targets: every alert within 5 minutes, actions meanwhile p99 <= 2 s."""
        n, done = self.households, len(self.recorded)
        after = sorted((t - self.due).total_seconds() for t in self.recorded)
        if done == n:
            took = after[-1]
            alerts = (
                f"every missed deadline recorded {took:.1f} s after T0 (first {after[0]:.1f} s, "
                f"median {statistics.median(after):.1f} s)"
            )
        else:
            took = math.inf
            alerts = f"only {done}/{n} missed deadlines recorded after {self.waited:.0f} s"
        p99 = self.actions.pct(0.99)
        return [
            f"wake-up: {alerts}; {self.alerted} of them with an alert (target: all within "
            f"{TARGET_WAKEUP_S} s: {met(took <= TARGET_WAKEUP_S)})",
            f"during the wake-up: {self.clients} caseworkers, {len(self.actions.latencies)} "
            f"actions ({self.first_contacts} first contacts, the others flash evaluations; "
            f"{self.failed} requests failed) p50 "
            f"{self.actions.pct(0.5):.1f} ms p99 {p99:.1f} ms (target p99 <= {TARGET_P99_MS} ms: "
            f"{met(p99 <= TARGET_P99_MS)})",
        ]

    def report(self) -> str:
        n = self.households
        return "\n".join(
            [
                f"\n== mass wake-up: {n} flash deadlines due at {self.due:%H:%M:%S} UTC (T0) ==",
                f"opened in {self.opened_in:.1f} s ({n / self.opened_in:.1f}/s), {self.late} of "
                "them after T0",
                *self.verdicts(),
                timed("GET /households during the wake-up", self.lists),
                f"worker RSS after the wake-up {self.worker_mib:.0f} MiB (peak "
                f"{self.worker_peak_mib:.0f} MiB)",
            ]
        )
