"""Bench: the project path (HTTP -> FastAPI -> Temporal updates -> activities -> SQLite) against
bare Temporal, on one embedded dev server, at several numbers of concurrent clients.

    .venv/bin/python bench/pathway.py [--clients 1,5,20] [--ops 400] [--warmup 20] [--rounds 2]

One operation a side is the same two round trips: the project's is a caseworker's first contact
(POST /households: update-with-start) then flash evaluation (POST …/flash-evaluation: update),
logged in through POST /auth/token with a real account; the bare one is update-with-start then
one update on a trivial workflow (bench/bare.py). Every process runs as `make up` runs it: the
project's worker and API, and the bare worker, each in its own process; the clients here.
Everything it writes (app database, Temporal database, logs) is in a temporary directory.

Exit status: 0 when every operation succeeded (targets met or not: it is a report), 1 as soon
as one failed (any unexpected status, any exception), with the first errors.
"""

import argparse
import asyncio
import os
import resource
import secrets
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # first, always: bench/ (sys.path[0]) holds a rules.py

import httpx  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from api import examples  # noqa: E402
from api.accounts import create_user  # noqa: E402
from bench._common import (  # noqa: E402
    Errors,
    Failed,
    Result,
    Service,
    child_pids,
    leave,
    measure,
    peak_rss_mib,
    run_bench,
    tree_cpu_seconds,
)
from bench.bare import BareWorkflow, first_update  # noqa: E402
from bench.bare_api import ADDRESS, TASK_QUEUE  # noqa: E402
from bench.pathway_report import level_report, summary  # noqa: E402
from core.api_server import uvicorn_args  # noqa: E402
from core.db import make_engine, migrate  # noqa: E402
from core.dev_server import DEV_SERVER_FLAGS  # noqa: E402
from core.ports import free_port  # noqa: E402
from core.settings import Settings  # noqa: E402
from workflows import search_attributes as sa  # noqa: E402

BIN = Path(sys.executable).parent
BARE_QUEUE = "bench-bare"
PROJECT_QUEUE = "bench-siao"
CASEWORKER = ("bench-veille-sociale", ["veille_sociale"], ["75"])  # first line: report + flash

Op = Callable[[int], Awaitable[None]]


def expect(response: httpx.Response, status: int, route: str) -> dict:
    """The body, or a failure named by route (not by id) so identical failures read alike."""
    if response.status_code != status:
        raise Failed(f"{route} -> {response.status_code} {response.text[:300]}")
    body: dict = response.json()
    return body


def bare_op(client: Client) -> Op:
    async def op(n: int) -> None:
        wid = f"bench-bare-{uuid.uuid4()}"
        await first_update(client, BareWorkflow, wid, BARE_QUEUE)
        await client.get_workflow_handle(wid).execute_update(BareWorkflow.touch, n)

    return op


def shaped_op(http: httpx.AsyncClient) -> Op:
    """The project's shape with none of its work: two requests to bench/bare_api.py, each one
    update of ShapedWorkflow running one local activity that does nothing."""

    async def op(_: int) -> None:
        wid = expect(await http.post("/households"), 201, "POST /households (shaped)")
        act = await http.post(f"/households/{wid['household_id']}/act")
        expect(act, 200, "POST /households/{id}/act (shaped)")

    return op


def project_op(http: httpx.AsyncClient) -> Op:
    async def op(_: int) -> None:
        first = await http.post("/households", json=examples.first_contact())
        hid = expect(first, 201, "POST /households")["household_id"]
        flash = await http.post(f"/households/{hid}/flash-evaluation", json=examples.flash())
        expect(flash, 200, "POST /households/{id}/flash-evaluation")

    return op


Side = tuple[str, Op, dict[str, int]]  # name, operation, the processes whose CPU it costs


async def run_level(
    clients: int, sides: list[Side], args: argparse.Namespace, e: Errors
) -> list[Result]:
    """Warm each side up, then measure `args.ops` operations a side in `args.rounds` alternating
    chunks (bare, project, bare, project…): a load burst from elsewhere hits both sides alike."""
    for name, op, _ in sides:
        where = f"{name} @ {clients} client(s), warmup"
        await measure(op, args.warmup, clients, args.timeout, e, where)
    results = [Result(name, 0.0, []) for name, _, _ in sides]
    cpu = [dict.fromkeys(pids, 0.0) for _, _, pids in sides]
    for r in range(args.rounds):
        share = args.ops // args.rounds + (r < args.ops % args.rounds)
        for (name, op, pids), result, spent in zip(sides, results, cpu, strict=True):
            before = {proc: tree_cpu_seconds(pid) for proc, pid in pids.items()}
            elapsed, latencies = await measure(
                op, share, clients, args.timeout, e, f"{name} @ {clients} client(s)"
            )
            if e.seen:
                return []
            result.elapsed += elapsed
            result.latencies += latencies
            for proc, pid in pids.items():
                spent[proc] += tree_cpu_seconds(pid) - before[proc]
    for result, spent in zip(results, cpu, strict=True):
        result.latencies.sort()
        result.cpu_ms = {proc: s * 1000 / len(result.latencies) for proc, s in spent.items()}
    return results


def project_env(workdir: Path, db_url: str, address: str) -> dict[str, str]:
    """The caller's environment without its SIAO_* settings: nothing points at var/."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAO_")}
    env.update(
        SIAO_ENVIRONMENT="development",
        SIAO_DATABASE_URL=db_url,
        SIAO_TEMPORAL_ADDRESS=address,
        SIAO_TEMPORAL_TASK_QUEUE=PROJECT_QUEUE,
        SIAO_POLICIES_ACCEPTED_DIR=str(workdir / "policies-accepted"),
    )
    return env


def http_client(port: int, args: argparse.Namespace) -> httpx.AsyncClient:
    """The clients' connections to one API, as many as the most clients of a level."""
    limits = httpx.Limits(max_connections=max(args.clients))
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=args.timeout, trust_env=False
    )


async def start_api(
    http: httpx.AsyncClient, services: list[Service], timeout: float, path: str = "/health"
) -> None:
    """Wait for `path` to answer 200 (the project's /health: database and Temporal
    reachable), the processes still alive."""
    for _ in range(int(timeout * 10)):
        for service in services:
            service.check()
        try:
            if (await http.get(path)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the API did not answer /health within {timeout:.0f} s")


async def log_in(http: httpx.AsyncClient, db_url: str) -> None:
    """A real caseworker account in the bench's database, logged in through the real route."""
    username, roles, departements = CASEWORKER
    password = secrets.token_urlsafe(16)
    engine = make_engine(db_url)
    try:
        create_user(engine, username, password, roles, departements, display_name="Bench")
    finally:
        engine.dispose()
    form = {"username": username, "password": password}
    token = expect(await http.post("/auth/token", data=form), 200, "POST /auth/token")
    http.headers["Authorization"] = f"Bearer {token['access_token']}"


async def run(args: argparse.Namespace, workdir: Path) -> int:
    db_url = f"sqlite:///{workdir / 'siao-bench.db'}"
    migrate(db_url)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_database_filename=str(workdir / "temporal.db"),
        search_attributes=sa.ALL,
        dev_server_extra_args=DEV_SERVER_FLAGS,
    )  # the bare side's client: plain Temporal (default data converter)
    address = env.client.service_client.config.target_host
    server = child_pids(os.getpid(), "temporal")  # the dev server the SDK started for us
    temporal = {"temporal": server[0]} if len(server) == 1 else {}
    services: list[Service] = []
    errors, rows = Errors(), []
    try:
        penv, port, bare_port = project_env(workdir, db_url, address), free_port(), free_port()
        penv.update(SIAO_API_HOST="127.0.0.1", SIAO_API_PORT=str(port))
        penv.update({ADDRESS: address, TASK_QUEUE: BARE_QUEUE})  # read by the bare API alone
        # The bare front served as the API is (the same uvicorn flags), on its own port.
        bare_front = Settings(environment="development", api_host="127.0.0.1", api_port=bare_port)
        # As `make up` runs them (its log levels, uvicorn's access log), logs in the workdir.
        for name, cmd in (
            ("bare worker", ["-m", "bench.bare", address, BARE_QUEUE]),
            ("bare API", uvicorn_args(bare_front, app="bench.bare_api:app_factory")),
            ("worker", [str(ROOT / "worker.py")]),
            ("API", ["-m", "core.api_server"]),
        ):
            services.append(Service(name, [sys.executable, *cmd], ROOT, penv, workdir))
        bare_worker, bare_api, worker, api = services
        async with http_client(port, args) as http, http_client(bare_port, args) as bare_http:
            await start_api(http, services, timeout=90)
            await start_api(bare_http, services, timeout=90, path="/docs")
            await log_in(http, db_url)
            print(
                f"clients {args.clients}, {args.ops} operations a side per level in "
                f"{args.rounds} alternating rounds (+{args.warmup} warmup); CPU ms/op: worker = "
                "bench.bare (bare, shaped) or worker.py (project), API = uvicorn "
                "(bench.bare_api for shaped, api.main:app_factory for project), "
                "temporal = the dev server",
                flush=True,
            )
            for clients in args.clients:
                for service in services:
                    service.check()
                shaped_pids = {"worker": bare_worker.pid, "API": bare_api.pid, **temporal}
                sides = [
                    ("bare", bare_op(env.client), {"worker": bare_worker.pid, **temporal}),
                    ("shaped", shaped_op(bare_http), shaped_pids),
                    (
                        "project",
                        project_op(http),
                        {"worker": worker.pid, "API": api.pid, **temporal},
                    ),
                ]
                results = await run_level(clients, sides, args, errors)
                if errors.seen:
                    break
                bare, shaped, project = results
                rows.append((clients, bare, project))
                print(
                    level_report(clients, bare, project, args.ops, args.warmup, shaped),
                    flush=True,
                )
            rss = {s.name: peak_rss_mib(s.pid) for s in services}
    finally:
        for service in reversed(services):  # API first, then the workers
            service.stop()
        await env.shutdown()
    if errors.seen:
        print(f"\nFAILED: {errors.report()}", file=sys.stderr)
        for tail in filter(None, (service.tail() for service in services)):
            print(tail, file=sys.stderr)
        return 1
    print(summary(rows))
    bench_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"peak RSS: clients {bench_mib:.0f} MiB, "
        + ", ".join(f"{name} {mib:.0f} MiB" for name, mib in rss.items())
    )
    return 0


def client_levels(text: str) -> list[int]:
    levels = [int(n) for n in text.split(",") if n.strip()]
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive integers")
    return levels


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--clients", type=client_levels, default=[1, 5, 20], help="levels, e.g. 1,5,20"
    )
    parser.add_argument(
        "--ops", "--operations", type=int, default=400, help="measured ops per side and level"
    )
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured ops first, each time")
    parser.add_argument("--rounds", type=int, default=2, help="alternating chunks per level")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before an op fails")
    parser.add_argument("--workdir", type=Path, help="keep databases and logs here (default: tmp)")
    args = parser.parse_args(argv)
    if args.ops < 1 or args.rounds < 1 or args.warmup < 0 or args.timeout <= 0:
        parser.error("--ops and --rounds must be >= 1, --warmup >= 0, --timeout > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="siao-bench-")


if __name__ == "__main__":
    leave(main())
