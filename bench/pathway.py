"""Bench: the project path (HTTP -> FastAPI -> Temporal update -> activities -> SQLite) against
bare Temporal (update-with-start on a trivial workflow), on one embedded dev server.

    .venv/bin/python bench/pathway.py [--clients 20] [--operations 400] [--warmup 20]

The clients and the bare worker run in this process; the project's worker and API run in
processes of their own, as `make up` runs them. It is a report, so it always exits 0.
"""

import argparse
import asyncio
import contextlib
import logging
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio import workflow

ROOT = Path(__file__).parent.parent  # absolute: a script's __file__ is (Python >= 3.9)
# Run as a script, the project packages live one level up. The sandbox re-runs this file for
# each workflow: only the host sets the path.
if not workflow.unsafe.in_sandbox() and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# This module is re-imported inside the workflow sandbox: let it reuse the host's modules.
with workflow.unsafe.imports_passed_through():
    import httpx
    import structlog
    from temporalio.client import Client, WithStartWorkflowOperation
    from temporalio.common import WorkflowIDConflictPolicy
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    from api import examples
    from core.db import migrate
    from core.temporal import DATA_CONVERTER
    from workflows import search_attributes as sa

BIN = Path(sys.executable).parent
BARE_QUEUE = "bench-bare"
PROJECT_QUEUE = "bench-siao"
OP_TIMEOUT = 60.0  # seconds: a stuck operation fails instead of hanging the bench
TARGET_THROUGHPUT = 0.5  # project ops/s >= 0.5 x bare
TARGET_P99 = 2.0  # project p99 <= 2 x bare
SQLITE_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]


@workflow.defn(name="BenchBareWorkflow")
class BareWorkflow:
    """The least a pathway can be: a workflow that waits for one update, then ends."""

    def __init__(self) -> None:
        self.touched = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.touched)

    @workflow.update
    def touch(self, n: int) -> int:
        self.touched = True
        return n


class Failed(Exception):
    """A project endpoint answered with an unexpected status."""


class Result:
    rss: dict[str, float]

    def __init__(self, name: str, elapsed: float, latencies: list[float], errors: list[str]):
        self.rss = {}
        self.name, self.elapsed, self.errors = name, elapsed, errors
        self.latencies = sorted(latencies)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        return self.latencies[min(len(self.latencies) - 1, int(p * len(self.latencies)))] * 1000


async def measure(
    name: str, op: Callable[[int], Awaitable[None]], total: int, clients: int
) -> Result:
    """`clients` loops share one bounded counter, so exactly `total` operations run."""
    counter = iter(range(total))
    latencies: list[float] = []
    errors: list[str] = []

    async def client_loop() -> None:
        for i in counter:
            started = time.perf_counter()
            try:
                await asyncio.wait_for(op(i), OP_TIMEOUT)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:500])
            else:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(clients)))
    return Result(name, time.perf_counter() - started, latencies, errors)


async def bench_bare(client: Client, args: argparse.Namespace) -> Result:
    async def op(n: int) -> None:
        start = WithStartWorkflowOperation(
            BareWorkflow.run,
            id=f"bench-bare-{uuid.uuid4()}",
            task_queue=BARE_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        await client.execute_update_with_start_workflow(
            BareWorkflow.touch, n, start_workflow_operation=start
        )

    async with Worker(client, task_queue=BARE_QUEUE, workflows=[BareWorkflow]):
        await measure("warmup", op, args.warmup, args.clients)
        return await measure("bare Temporal", op, args.operations, args.clients)


def expect(response: httpx.Response, status: int, route: str) -> dict:
    """The body, or a failure named by route (not by id) so identical failures group."""
    if response.status_code != status:
        raise Failed(f"{route} -> {response.status_code} {response.text[:300]}")
    return response.json()


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the peak resident memory of a live process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def bench_project(client: Client, workdir: Path, args: argparse.Namespace) -> Result:
    """The embedded default as `make up` runs it: worker and API in processes of their own."""
    db_url = f"sqlite:///{workdir / 'siao-bench.db'}"
    migrate(db_url)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # loopback only; the OS picks a free port
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "SIAO_DATABASE_URL": db_url,
        "SIAO_TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "SIAO_TEMPORAL_TASK_QUEUE": PROJECT_QUEUE,
        "SIAO_LOG_LEVEL": "WARNING",
    }
    api_cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    procs = [
        subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env),
        subprocess.Popen(api_cmd, cwd=ROOT, env=env),
    ]
    try:
        limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=OP_TIMEOUT, trust_env=False
        ) as http:
            for _ in range(300):  # at most 30 s for the API to answer /health
                if any(p.poll() is not None for p in procs):
                    raise RuntimeError("the worker or the API stopped at start-up")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)

            async def op(_: int) -> None:
                first = await http.post("/households", json=examples.first_contact())
                hid = expect(first, 201, "POST /households")["household_id"]
                flash = await http.post(
                    f"/households/{hid}/flash-evaluation", json=examples.flash()
                )
                expect(flash, 200, "POST /households/{id}/flash-evaluation")

            await measure("warmup", op, args.warmup, args.clients)
            result = await measure(
                "project (first contact + flash)", op, args.operations, args.clients
            )
            result.rss = {
                name: peak_rss_mib(p.pid) for name, p in zip(("worker", "API"), procs, strict=True)
            }
            return result
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def report(bare: Result, project: Result) -> None:
    print(f"\n{'side':<34}{'ops':>6}{'errors':>8}{'ops/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for r in (bare, project):
        print(
            f"{r.name:<34}{len(r.latencies):>6}{len(r.errors):>8}{r.throughput:>10.1f}"
            f"{r.pct(0.50):>10.1f}{r.pct(0.99):>10.1f}"
        )
    tput = project.throughput / bare.throughput if bare.throughput else 0.0
    p99 = project.pct(0.99) / bare.pct(0.99) if bare.latencies else float("nan")
    print(
        f"\nthroughput ratio project/bare: {tput:.2f}  (target >= {TARGET_THROUGHPUT}) "
        f"{'PASS' if tput >= TARGET_THROUGHPUT else 'FAIL'}"
    )
    print(
        f"p99 ratio project/bare:        {p99:.2f}  (target <= {TARGET_P99}) "
        f"{'PASS' if p99 <= TARGET_P99 else 'FAIL'}"
    )
    for r in (bare, project):
        for error in sorted(set(r.errors))[:5]:  # distinct failures, so the cause is visible
            print(f"  {r.name} error x{r.errors.count(error)}: {error}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"peak RSS: bench process (clients, bare worker) {rss_mb:.0f} MiB, "
        + ", ".join(f"project {name} {mib:.0f} MiB" for name, mib in project.rss.items())
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="siao-bench-") as tmp:
        workdir = Path(tmp)
        env = await WorkflowEnvironment.start_local(
            data_converter=DATA_CONVERTER,
            dev_server_existing_path=str(BIN / "temporal"),
            dev_server_database_filename=str(workdir / "temporal.db"),  # --db-filename
            search_attributes=sa.ALL,
            dev_server_extra_args=SQLITE_PRAGMAS,
        )
        try:
            print(
                f"{args.clients} clients, {args.operations} operations per side "
                f"(+{args.warmup} warmup)",
                flush=True,
            )
            bare = await bench_bare(env.client, args)
            print(f"bare done: {bare.throughput:.1f} ops/s", flush=True)
            project = await bench_project(env.client, workdir, args)
        finally:
            await env.shutdown()
    report(bare, project)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--operations", type=int, default=400, help="measured ops per side")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured ops per side first")
    return parser.parse_args()


if __name__ == "__main__":
    cli_args = parse_args()
    # Keep the project's log rendering (a real cost per action) but out of the report.
    with open(os.devnull, "w") as devnull:
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(devnull))
        logging.getLogger("httpx").setLevel(logging.WARNING)  # the bench client's request log
        asyncio.run(main(cli_args))
