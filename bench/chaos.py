"""Chaos proof: caseworkers keep working while the worker is SIGKILLed again and again and the API
restarted; afterwards nothing acknowledged is lost or doubled and `siao check` finds nothing.

    .venv/bin/python bench/chaos.py [--pathways 300] [--clients 20] [--steps 5]
        [--kill-every 4] [--max-kills 0] [--api-every 60] [--action-timeout 120] [--workdir DIR]

`make up`'s own stack (`python -m cli.up`: its supervisor restarts what we kill) on free ports,
its files in a temporary directory. The worker is SIGKILLed once it has worked --kill-every s
(from its « worker_started » line), the API --api-every s after each start (SIGTERM, SIGKILL in
turn). A `coordinateur` logs in; each pathway is a first contact, flash, in-depth evaluation,
commission, orientation… (--steps requests), each with its own Idempotency-Key, sent again with
the same key after a 503, a lost connection or a timeout, for --action-timeout s at most. Then
`siao check --json` must exit 0 and the database hold each acknowledged action exactly once
(a timeline event per acknowledged submission, a household per acknowledged first contact, at
its last acknowledged stage). Exit 1 on any loss, duplicate, difference, 500, 409 after a lost
answer, unacknowledged action or process left behind.
"""

import argparse
import asyncio
import contextlib
import json
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # first, always: bench/ (sys.path[0]) holds a rules.py

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlmodel import col  # noqa: E402

from api.accounts import create_user  # noqa: E402
from api.idempotency import submission_id  # noqa: E402
from bench._common import (  # noqa: E402
    command_of,
    kill_process,
    stack_env,
    wait_until,
)
from bench.chaos_clients import STEPS, Tally, pathway  # noqa: E402
from bench.chaos_killer import Chaos  # noqa: E402
from core.db import make_engine  # noqa: E402
from core.ports import free_port  # noqa: E402
from models.records import Household, Submission, SubmissionStatus, TimelineEvent  # noqa: E402


async def consistency(env: dict[str, str], t: Tally, seconds: float = 300) -> dict[str, Any]:
    """`siao check --json`, again while households are too recent to compare or unreadable."""
    deadline = time.monotonic() + seconds
    while True:
        cmd = [sys.executable, "-m", "cli.main", "check", "--json"]  # `siao check --json`
        proc = await asyncio.create_subprocess_exec(
            *cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        out = (await proc.communicate())[0].decode(errors="replace")
        try:
            report: dict[str, Any] = json.loads(out[out.index("{") :])
        except ValueError:
            report = {"output": out[-2000:]}  # no report: a failure, never a pass
        report["exit_code"] = proc.returncode
        recent = report.get("recently_updated", 0)
        if not (recent or report.get("unreachable")) or time.monotonic() > deadline:
            return report
        settle = report.get("settle_seconds", 0) - (time.monotonic() - t.last) + 1
        await asyncio.sleep(max(3.0, settle) if recent else 3.0)


def verify(db_url: str, actor: str, t: Tally) -> dict[str, list[str]]:
    """Each acknowledged action in the records exactly once, each household at its stage."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        events = Counter(conn.execute(select(col(TimelineEvent.submission_id))).scalars())
        stages = {r[0]: r[1] for r in conn.execute(select(col(Household.id), col(Household.stage)))}
        pending = conn.execute(
            select(col(Submission.id)).where(col(Submission.status) != SubmissionStatus.APPLIED)
        )
        found: dict[str, list[str]] = {"pending": [f"submission {s}" for s in pending.scalars()]}
    engine.dispose()
    found |= {"missing": [], "duplicates": [], "stage": [], "extra": []}
    sids, last = set(), {}
    for hid, action, key, stage in t.acks:
        sids.add(sid := submission_id(action, key, actor))
        last[hid] = stage
        if events[sid] != 1:
            found["duplicates" if events[sid] else "missing"].append(
                f"{action.value} household {hid} key {key} submission {sid}: {events[sid]}"
            )
    wrong = [(h, s) for h, s in last.items() if stages.get(h) != s]
    found["stage"] = [f"household {h}: {stages.get(h)} in the database, not {s}" for h, s in wrong]
    found["extra"] = [f"household {h} unacknowledged" for h in stages if h not in last] + [
        f"event {s} x{n} unacknowledged" for s, n in events.items() if s not in sids
    ]
    return found


async def drive(args: argparse.Namespace, env: dict[str, str], chaos: Chaos, t: Tally) -> str:
    """Log in, then run the pathways under chaos; the account's actor id."""
    password, engine = secrets.token_urlsafe(16), make_engine(env["SIAO_DATABASE_URL"])
    user = create_user(engine, "chaos-coordination", password, ["coordinateur"], ["75"])
    engine.dispose()
    base, stop = f"http://127.0.0.1:{env['SIAO_API_PORT']}", asyncio.Event()
    timeout, limits = httpx.Timeout(45, connect=5), httpx.Limits(max_connections=args.clients)
    async with httpx.AsyncClient(
        base_url=base, timeout=timeout, limits=limits, trust_env=False
    ) as http:
        form = {"username": user.username, "password": password}
        token = (await http.post("/auth/token", data=form)).raise_for_status().json()
        http.headers["Authorization"] = f"Bearer {token['access_token']}"
        chaos_task, pathways = asyncio.create_task(chaos.run(stop)), iter(range(args.pathways))

        async def client() -> None:
            for _ in pathways:
                await pathway(http, t, args.steps, args.action_timeout)

        try:
            await asyncio.gather(*(client() for _ in range(args.clients)))
        finally:
            stop.set()
            await chaos_task
    return f"agent-{user.id}"


class StartupFailed(RuntimeError):
    """The stack stopped before it was ready (e.g. a free port taken meanwhile by another
    process): tried once more on other ports; a second failure is a failure."""


async def run(args: argparse.Namespace, workdir: Path) -> int:
    started, env, t = time.monotonic(), stack_env(workdir, free_port()), Tally()
    log, report, found = workdir / "devstack.log", {}, {}
    with log.open("ab") as out:
        devstack = subprocess.Popen(
            [sys.executable, "-m", "cli.up"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    worker_log, kills = workdir / "var" / "worker.log", args.max_kills or float("inf")
    chaos = Chaos(devstack.pid, worker_log, args.kill_every, args.api_every, kills)

    def ready() -> bool:
        if devstack.poll() is not None:
            tail = log.read_text(errors="replace")[-1500:]
            raise StartupFailed(f"devstack stopped (code {devstack.returncode}):\n{tail}")
        return "prêt" in log.read_text()

    try:
        await wait_until("the stack", ready, 180)
        print(f"stack ready in {time.monotonic() - started:.0f} s in {workdir}: {args.pathways} "
              f"pathways x {args.steps} requests, {args.clients} clients", flush=True)  # fmt: skip
        actor = await drive(args, env, chaos, t)
        # A quick machine may finish driving before the first kill: the chaos still strikes
        # once (worker and API) before the check, so a run never passes without it.
        stop = asyncio.Event()
        striking = asyncio.create_task(chaos.run(stop))
        await wait_until("a worker kill and an API restart", chaos.struck, 180)
        stop.set()
        await striking
        print(f"driven in {time.monotonic() - started:.0f} s; settling…", flush=True)
        await wait_until("worker and API back", chaos.up, 120)
        report = await consistency(env, t)
        found = await asyncio.to_thread(verify, env["SIAO_DATABASE_URL"], actor, t)
    finally:
        devstack.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            devstack.wait(90)
        left = [pid for pid, cmd in chaos.seen.items() if command_of(pid) == cmd]
        for pid in left + [devstack.pid] * (devstack.poll() is None):  # nothing left behind
            kill_process(pid, signal.SIGKILL)
    found["left behind"] = [f"process {pid}: {chaos.seen[pid][:200]}" for pid in left]
    n = {k: len(v) for k, v in found.items()}
    others = {k: len(v) for k, v in report.items() if isinstance(v, list) and k != "differences"}
    checked = report["exit_code"] == 0 and "differences" in report
    ok = checked and not (t.failures or t.anomalies or any(n.values()))
    ok = ok and chaos.worker_kills > 0 and chaos.count("uvicorn") > 1
    print(f"""
parcours / pathways: {args.pathways} ({t.complete} complets / complete)
actions acquittées / acknowledged: {len(t.acks)}; nouvelles tentatives / retries: {t.retries} \
(503: {t.statuses[503]}, sans réponse / unanswered: {t.unanswered})
worker tué / killed: {chaos.worker_kills} (redémarré / restarted {chaos.count("worker.py") - 1}); \
API redémarrée / restarted: {chaos.count("uvicorn") - 1} ({dict(chaos.api_kills)})
siao check: {len(report["differences"]) if checked else "?"} différence(s) / differences; {others} \
(code {report["exit_code"]})
base / database: {n["missing"]} manquante(s) / missing, {n["duplicates"]} doublon(s) / \
duplicates, {n["stage"]} étape(s) fausse(s) / wrong stages, {n["extra"]} en trop / extra, \
{n["pending"]} en attente / pending; {n["left behind"]} processus restant(s) / left behind
réponses / answers: {dict(sorted(t.statuses.items()))}; erreurs 500: {t.statuses[500]}; \
anomalies: {len(t.anomalies)}; échecs / failures: {len(t.failures)}
durée / elapsed: {time.monotonic() - started:.0f} s
chaos: {"OK" if ok else "ÉCHEC / FAILED"}""", flush=True)  # fmt: skip
    if not ok:  # why, on stdout right under the verdict (a CI log keeps its head and tail)
        lines = [f"worker kills: {chaos.worker_kills}"] * (chaos.worker_kills == 0)
        lines += t.failures[:10] + t.anomalies[:10]
        lines += [f"{k}: {v}" for k, vs in found.items() for v in vs[:10]]
        lines += [f"siao check: {json.dumps(report, ensure_ascii=False)[:3000]}"] * (
            not checked or bool(report.get("differences"))
        )
        print("\n".join(["raisons / reasons:", *lines, f"logs: {workdir}"]), flush=True)
    return 0 if ok else 1


def started(args: argparse.Namespace, workdir: Path) -> int:
    """The run; once more, in an emptied work directory, if the stack did not start."""
    try:
        return asyncio.run(run(args, workdir))
    except StartupFailed as exc:
        print(f"chaos: la pile n'a pas démarré, nouvel essai / retrying: {exc}", file=sys.stderr)
    for item in workdir.iterdir():
        shutil.rmtree(item) if item.is_dir() else item.unlink()
    return asyncio.run(run(args, workdir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pathways", type=int, default=300)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--steps", type=int, default=5, choices=range(2, len(STEPS) + 1))
    parser.add_argument("--kill-every", type=float, default=4.0, help="worker's working life, s")
    parser.add_argument("--max-kills", type=int, default=0, help="of the worker (0: no limit)")
    parser.add_argument("--api-every", type=float, default=60.0, help="API's life, s")
    parser.add_argument("--action-timeout", type=float, default=120.0)
    parser.add_argument("--workdir", type=Path, help="keep databases and logs here (default: tmp)")
    args = parser.parse_args(argv)
    try:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=True)
            return started(args, args.workdir.resolve())
        with tempfile.TemporaryDirectory(prefix="siao-chaos-") as tmp:
            return started(args, Path(tmp))
    except (RuntimeError, httpx.HTTPError) as exc:  # at start-up: the stack, the login
        print(f"\nchaos: ÉCHEC / FAILED: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
