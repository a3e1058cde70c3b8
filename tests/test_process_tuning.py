"""The worker and the API run on uvloop with their heap settled (core/process.py), as started
for real: worker.py against a dev server, the API through uvicorn's factory."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.process import GEN0_THRESHOLD

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_a_settled_heap_is_frozen_and_collected_less_often():
    out = run_python(
        "import gc; from core.process import settle_heap; before = gc.get_threshold(); "
        "settle_heap(); print(gc.get_freeze_count(), *gc.get_threshold(), *before[1:])"
    )
    frozen, gen0, gen1, gen2, default1, default2 = map(int, out.split())
    assert frozen > 10_000  # the imported modules' objects at least
    assert gen0 == GEN0_THRESHOLD > 700
    assert (gen1, gen2) == (default1, default2)  # only the young generation changes


def test_the_api_served_by_uvicorn_settles_its_heap(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAO_")}
    env |= {"SIAO_ENVIRONMENT": "development", "SIAO_DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    out = run_python(
        "import gc; from api.main import app_factory; app_factory(); "
        "print(gc.get_freeze_count(), gc.get_threshold()[0])",
        env,
    )
    frozen, gen0 = map(int, out.split())
    assert frozen > 100_000 and gen0 == GEN0_THRESHOLD  # FastAPI, pydantic, SQLAlchemy, SDK


@pytest.mark.devserver
async def test_the_worker_runs_on_uvloop(dev_env, queue_settings, db_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAO_")}
    env |= {
        "SIAO_ENVIRONMENT": "development",
        "SIAO_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "SIAO_TEMPORAL_TASK_QUEUE": queue_settings.temporal_task_queue,
        "SIAO_DATABASE_URL": db_url,
        "SIAO_POLICIES_ACCEPTED_DIR": str(tmp_path / "accepted"),
        "SIAO_LOG_FORMAT": "json",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as out:
        worker = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "worker.py"), cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        started = None
        for _ in range(600):
            lines = [line for line in log_path.read_text().splitlines() if line.startswith("{")]
            started = next(
                (e for e in map(json.loads, lines) if e.get("event") == "worker_started"), None
            )
            if started is not None or worker.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert started is not None, log_path.read_text()[-2000:]
        assert started["event_loop"] == "uvloop"
    finally:
        worker.kill()
        await worker.wait()
