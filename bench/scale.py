"""Bench: the project at scale: 1,000 then 10,000 open pathways, and a mass wake-up.

    .venv/bin/python bench/scale.py [--pathways 1000,10000] [--wakeup 5000] [--cache 1000]
                                    [--spread 240]

Everything runs as `make up` runs it, on one embedded dev server (SQLite file, WAL), started as
bench/pathway.py starts it (project side only): the worker (worker.py, its sticky cache sized by
SIAO_WORKER_MAX_CACHED_WORKFLOWS = --cache) and the API (uvicorn) in their own processes, the
clients here, logged in through POST /auth/token with three real accounts, as the roles are
split (api/permissions.py): a first-line worker (veille sociale: first contacts, flash
evaluations, lists), a referent (in-depth evaluations) and a commission member.

Opening: `--concurrency` clients open pathways through the API, up to each point of
`--pathways` in turn, in every département of `--departements`, single people, couples and
families, each left at a stage of a fixed cycle: 40 % reported, 25 % after the flash evaluation,
20 % after the in-depth one, 15 % after the commission's recommendation (what the example bodies
allow without further setup). At each point: `--samples` timed flash evaluations on reported
households (they move on: the stages drift by that much) and as many timed pages of
GET /households?departement=…&stage=…, by `--sample-clients` clients; the RSS of the worker
(VmRSS of worker.py and its children: the rules engine, the resource tracker) and of the API;
the size of the Temporal database (file + WAL) per open pathway, and of the app database.

Mass wake-up (`--wakeup N`, 0 skips it): N more first contacts (no children, so the national
72 h flash deadline applies everywhere), met 72 h before one instant T0, chosen so that they are
all open by then (their number at the last opening rate, plus `--margin` seconds); each answer
must show its flash deadline due at T0. From T0, the app database is read (read-only) until each
has its `deadline_missed` timeline event (written with its alerts by record_missed_deadline);
the wake-up time is the last one's recorded_at minus T0 (target: 5 minutes; each pathway does
its deadline work at its own offset within `--spread` seconds, as SIAO_DEADLINE_WAKEUP_SPREAD_
SECONDS sets it for `make up`). Meanwhile
`--sample-clients` caseworkers each act once a second (a flash evaluation on a reported
household; a first contact once none is left) and list once: their p99 (target: 2 s). A request
of theirs that fails (a 503: the pathway did not confirm the action in time) is timed until its
answer and counted, and the wake-up goes on to its end: a failure there is a figure too.

Exit status: 0 when every operation succeeded (targets met or not: it is a report), 1 as soon
as one failed (any unexpected status, any exception), with the first errors; 1 also, after the
whole report, when a caseworker's request failed during the wake-up.
"""

import argparse
import asyncio
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # first, always: bench/ (sys.path[0]) holds a rules.py

import httpx  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from bench._common import (  # noqa: E402
    Errors,
    Result,
    Service,
    leave,
    measure,
    run_bench,
    tree_mib,
)
from bench.pathway import BIN, project_env, start_api  # noqa: E402
from bench.scale_load import STAGES, Op, Traffic, log_in  # noqa: E402
from bench.scale_report import Point, Wakeup, file_bytes, missed, summary  # noqa: E402
from core import clock  # noqa: E402
from core.db import migrate  # noqa: E402
from core.dev_server import DEV_SERVER_FLAGS  # noqa: E402
from core.ports import free_port  # noqa: E402
from models.pathway import DEFAULT_WAKEUP_SPREAD_SECONDS  # noqa: E402
from workflows import search_attributes as sa  # noqa: E402

WAKEUP_WAIT = 900.0  # seconds after T0 before giving up on the missing alerts


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path, traffic: Traffic) -> None:
        self.args, self.workdir, self.traffic = args, workdir, traffic
        self.errors = Errors()  # fail fast: the first failed operation stops the clients
        self.wake_errors = Errors()  # the caseworkers' failures during the wake-up: counted
        self.services: list[Service] = []

    def check(self) -> None:
        for service in self.services:
            service.check()

    async def timed(self, op: Op, total: int, clients: int, where: str) -> Result:
        timeout, errors = self.args.timeout, self.errors
        elapsed, latencies = await measure(op, total, clients, timeout, errors, where)
        return Result(where, elapsed, latencies)

    async def point(self, opened: int, target: int) -> Point | None:
        """Open pathways up to `target`, then measure."""
        self.check()
        args, t = self.args, self.traffic
        elapsed, _ = await measure(
            lambda n: t.open(opened + n),
            target - opened,
            args.concurrency,
            args.timeout * 4,  # up to four requests
            self.errors,
            f"opening pathways {opened + 1}-{target}",
        )
        if self.errors.seen:
            return None
        action = await self.timed(t.flash_sample, args.samples, args.sample_clients, "action")
        listing = await self.timed(t.list_sample, args.samples, args.sample_clients, "list")
        if self.errors.seen:
            return None
        worker, api = self.services
        return Point(
            pathways=target,
            rate=(target - opened) / elapsed,
            action=action,
            listing=listing,
            worker_mib=tree_mib(worker.pid),
            worker_peak_mib=tree_mib(worker.pid, "VmHWM"),
            api_mib=tree_mib(api.pid),
            temporal_bytes=file_bytes(self.workdir / "temporal.db"),
            app_bytes=file_bytes(self.workdir / "siao-bench.db"),
        )

    async def wakeup(self, rate: float) -> Wakeup | None:
        args, n = self.args, self.args.wakeup
        lead = n / rate + args.margin  # the pathways' rate: a first contact alone is faster
        due = (clock.now() + timedelta(seconds=lead + 1)).replace(microsecond=0)
        due_mono = time.monotonic() + (due - clock.now()).total_seconds()
        print(f"\nmass wake-up: opening {n} first contacts due at {due:%H:%M:%S} UTC", flush=True)
        ids: list[str] = []
        done_at: list[float] = []
        op = self.traffic.wakeup_op(due, ids, done_at)
        opened = await self.timed(op, n, args.concurrency, "opening the wake-up's households")
        if self.errors.seen:
            return None
        await asyncio.sleep(max(due_mono - time.monotonic(), 0.0))
        stop = asyncio.Event()
        load = asyncio.create_task(
            self.traffic.caseworkers(args.sample_clients, stop, args.timeout, self.wake_errors)
        )
        wanted, recorded, alerted = set(ids), list[datetime](), 0
        while not self.errors.seen and time.monotonic() - due_mono < WAKEUP_WAIT:
            self.check()
            recorded, alerted = await asyncio.to_thread(
                missed, self.workdir / "siao-bench.db", wanted
            )
            if len(recorded) == n:
                break
            await asyncio.sleep(1.0)
        waited = time.monotonic() - due_mono
        stop.set()
        actions, lists, firsts = await load
        worker = self.services[0]
        return Wakeup(
            households=n,
            due=due,
            opened_in=opened.elapsed,
            late=sum(1 for at in done_at if at > due_mono),
            recorded=recorded,
            alerted=alerted,
            waited=waited,
            actions=Result("actions", waited, actions),
            lists=Result("lists", waited, lists),
            first_contacts=firsts,
            failed=len(self.wake_errors.seen),
            clients=args.sample_clients,
            worker_mib=tree_mib(worker.pid),
            worker_peak_mib=tree_mib(worker.pid, "VmHWM"),
        )


async def run(args: argparse.Namespace, workdir: Path) -> int:
    db_url = f"sqlite:///{workdir / 'siao-bench.db'}"
    migrate(db_url)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_database_filename=str(workdir / "temporal.db"),
        search_attributes=sa.ALL,
        dev_server_extra_args=DEV_SERVER_FLAGS,
    )
    address = env.client.service_client.config.target_host
    penv = project_env(workdir, db_url, address)
    penv["SIAO_WORKER_MAX_CACHED_WORKFLOWS"] = str(args.cache)
    penv["SIAO_DEADLINE_WAKEUP_SPREAD_SECONDS"] = str(args.spread)  # read by the API at a start
    port = free_port()
    penv.update(SIAO_API_HOST="127.0.0.1", SIAO_API_PORT=str(port))
    limits = httpx.Limits(max_connections=max(args.concurrency, args.sample_clients) * 2)
    points: list[Point] = []
    wake: Wakeup | None = None
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=args.timeout, trust_env=False
    ) as http:
        bench = Bench(args, workdir, Traffic(http, {}, args.departements))
        try:
            for name, cmd in (
                ("worker", [str(ROOT / "worker.py")]),
                ("API", ["-m", "core.api_server"]),
            ):
                bench.services.append(Service(name, [sys.executable, *cmd], ROOT, penv, workdir))
            await start_api(http, bench.services, timeout=90)
            bench.traffic.headers = await log_in(http, db_url, args.departements)
            print(
                f"sticky cache {args.cache} workflows (SIAO_WORKER_MAX_CACHED_WORKFLOWS), "
                f"wake-ups spread over {args.spread} s (SIAO_DEADLINE_WAKEUP_SPREAD_SECONDS), "
                f"{args.concurrency} clients opening, {args.samples} timed requests of each kind "
                f"by {args.sample_clients} clients, départements {','.join(args.departements)}, "
                f"stages {'/'.join(STAGES)} at 40/25/20/15 %",
                flush=True,
            )
            opened = 0
            for target in args.pathways:
                point = await bench.point(opened, target)
                if point is None:
                    break
                points.append(point)
                print(point.report(target - opened), flush=True)
                opened = target
            if args.wakeup and not bench.errors.seen:
                wake = await bench.wakeup(points[-1].rate)
                if wake is not None and not bench.errors.seen:
                    print(wake.report(), flush=True)
        finally:
            for service in reversed(bench.services):  # API first, then the worker
                service.stop()
            await env.shutdown()
    if bench.errors.seen:
        print(f"\nFAILED: {bench.errors.report()}", file=sys.stderr)
        for tail in filter(None, (service.tail() for service in bench.services)):
            print(tail, file=sys.stderr)
        return 1
    print(summary(points, args.cache))
    if wake is not None:
        print("\n".join(wake.verdicts()))
    if bench.wake_errors.seen:  # reported, and yet failed operations
        print(f"\nFAILED during the wake-up: {bench.wake_errors.report()}", file=sys.stderr)
        return 1
    return 0


def levels(text: str) -> list[int]:
    found = [int(n) for n in text.split(",") if n.strip()]
    if not found or min(found) < 1 or found != sorted(set(found)):
        raise argparse.ArgumentTypeError("a comma-separated list of growing positive integers")
    return found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pathways", type=levels, default=[1000, 10000], help="e.g. 1000,10000")
    parser.add_argument("--wakeup", type=int, default=5000, help="deadlines due at T0 (0: skip)")
    parser.add_argument("--cache", type=int, default=1000, help="the worker's sticky cache size")
    parser.add_argument(
        "--spread",
        type=int,
        default=DEFAULT_WAKEUP_SPREAD_SECONDS,
        help="seconds over which the pathways' deadline wake-ups are spread (0: none)",
    )
    parser.add_argument("--concurrency", type=int, default=20, help="clients opening pathways")
    parser.add_argument("--samples", type=int, default=200, help="timed requests of each kind")
    parser.add_argument("--sample-clients", type=int, default=4, help="clients timed at once")
    parser.add_argument(
        "--departements", type=lambda s: s.split(","), default=["75", "93", "13", "69", "59"]
    )
    parser.add_argument("--margin", type=float, default=30.0, help="seconds before T0, spare")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds before a request fails"
    )
    parser.add_argument("--workdir", type=Path, help="keep databases and logs here (default: tmp)")
    args = parser.parse_args(argv)
    if min(args.concurrency, args.samples, args.sample_clients, args.cache) < 1:
        parser.error("--concurrency, --samples, --sample-clients and --cache must be >= 1")
    if min(args.wakeup, args.margin, args.spread) < 0 or args.timeout <= 0:
        parser.error("--wakeup, --margin and --spread must be >= 0, --timeout > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="siao-scale-")


if __name__ == "__main__":
    leave(main())
