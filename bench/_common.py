"""Helpers of the benches (pathway, scale, chaos): timed client loops, processes and their CPU,
free ports, the entry point and the way out."""

import argparse
import asyncio
import contextlib
import logging
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from core.ports import free_port

TICKS = os.sysconf("SC_CLK_TCK")


class Failed(Exception):
    """An endpoint answered with a status other than the expected one."""


@dataclass
class Errors:
    """Every failed operation, in order; the first one stops all clients (fail fast)."""

    seen: list[str] = field(default_factory=list)

    def add(self, where: str, exc: BaseException) -> None:
        self.seen.append(f"{where}: {type(exc).__name__}: {exc or 'no answer in time'}"[:600])

    def report(self, first: int = 5) -> str:
        lines = [f"{len(self.seen)} operation(s) failed; the first:"]
        lines += [f"  {e}" for e in self.seen[:first]]
        return "\n".join(lines)


@dataclass
class Result:
    side: str
    elapsed: float
    latencies: list[float]  # seconds, sorted
    cpu_ms: dict[str, float] = field(default_factory=dict)  # process -> CPU ms per operation

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        """The p-quantile latency in ms (nearest rank)."""
        if not self.latencies:
            return math.nan
        rank = max(1, math.ceil(p * len(self.latencies)))
        return self.latencies[rank - 1] * 1000


async def measure(
    op: Callable[[int], Awaitable[None]],
    total: int,
    clients: int,
    timeout: float,
    errors: Errors,
    where: str,
) -> tuple[float, list[float]]:
    """`clients` loops share one counter, so exactly `total` operations run (unless one fails:
    then the others stop). Returns the elapsed seconds and the sorted latencies."""
    counter = iter(range(total))
    latencies: list[float] = []

    async def client_loop() -> None:
        for i in counter:
            if errors.seen:
                return
            started = time.perf_counter()
            try:
                await asyncio.wait_for(op(i), timeout)
            except Exception as exc:
                errors.add(where, exc)
                return
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(clients)))
    return time.perf_counter() - started, sorted(latencies)


async def wait_until(what: str, ready: Callable[[], bool], seconds: float) -> None:
    """Ask `ready` (in a thread; it may raise to give up) until it says yes, for `seconds`."""
    deadline = time.monotonic() + seconds
    while not await asyncio.to_thread(ready):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready within {seconds:.0f} s")
        await asyncio.sleep(0.3)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (all its threads), from /proc (Linux)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def tree(pid: int) -> list[int]:
    """A process and its descendants (the worker: its rules engine, the resource tracker)."""
    return [pid] + [p for child in children(pid) for p in tree(child)]


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a live process and of its descendants: the worker's rules-engine child counts as
    the worker's (it runs the evaluations the worker would run itself)."""
    return sum(cpu_seconds(p) for p in tree(pid))


def child_pids(parent: int, name: str) -> list[int]:
    """Live children of `parent` whose command name is `name`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == parent and comm == name:
            found.append(int(entry.name))
    return found


def command_of(pid: int) -> str | None:
    """A live process's command line, arguments joined by spaces (None once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return None


def children(parent: int) -> dict[int, str]:
    """Live children of `parent` and their command lines (scanned in /proc, Linux)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent:
            cmdline = command_of(int(entry.name))
            if cmdline:
                found[int(entry.name)] = cmdline
    return found


def kill_process(pid: int, sig: int) -> None:
    """Signal a process that may have just ended on its own."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def status_mib(pid: int, key: str) -> float:
    """VmRSS (current) or VmHWM (peak) of a live process; 0 once it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def tree_mib(pid: int, key: str = "VmRSS") -> float:
    """The memory of a process and of its descendants (shared pages counted in each)."""
    return sum(status_mib(p, key) for p in tree(pid))


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the peak resident memory of a live process."""
    return status_mib(pid, "VmHWM")


def stack_env(workdir: Path, api_port: int) -> dict[str, str]:
    """The environment of a `make up` stack (python -m cli.up) with all its files in `workdir`, on
    free ports: the caller's, without its SIAO_* settings (nothing points at var/)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAO_")}
    return env | {
        "PYTHONUNBUFFERED": "1",
        "SIAO_ENVIRONMENT": "development",
        "SIAO_VAR_DIR": str(workdir / "var"),
        "SIAO_DATABASE_URL": f"sqlite:///{workdir / 'siao.db'}",
        "SIAO_POLICIES_ACCEPTED_DIR": str(workdir / "policies-accepted"),
        "SIAO_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "SIAO_TEMPORAL_UI_PORT": str(free_port()),
        "SIAO_API_PORT": str(api_port),
    }


class Service:
    """A process of the stack, its output in a log file of the work directory."""

    def __init__(self, name: str, cmd: list[str], cwd: Path, env: dict[str, str], logs: Path):
        self.name, self.log = name, logs / f"{name.replace(' ', '-')}.log"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def check(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} stopped (code {self.proc.returncode})\n{self.tail()}")

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join([f"-- {self.name}, last lines of its log:"] + text if text else [])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


Run = Callable[[argparse.Namespace, Path], Coroutine[object, object, int]]


def run_bench(run: Run, args: argparse.Namespace, prefix: str) -> int:
    """A bench's main: its report alone on stdout (the project's own logs go nowhere), its files
    in `--workdir` or a temporary directory, a failure at start-up printed and exit code 1."""
    with open(os.devnull, "w") as devnull:
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(devnull))
        logging.getLogger("httpx").setLevel(logging.WARNING)  # the bench client's request log
        try:
            if args.workdir:
                args.workdir.mkdir(parents=True, exist_ok=True)
                return asyncio.run(run(args, args.workdir.resolve()))
            with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
                return asyncio.run(run(args, Path(tmp)))
        except (Failed, RuntimeError) as exc:  # at start-up: a process stopped, login refused
            print(f"\nFAILED: {exc}", file=sys.stderr)
            return 1


def leave(code: int) -> None:
    """Once the report is out, leave without interpreter finalisation: the Temporal SDK's Rust
    runtime may still call into Python then (« Fatal Python error: PyGILState_Release »)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
