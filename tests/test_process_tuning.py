"""The worker and the API run on uvloop with their heap settled (core/process.py), as started
for real: worker.py against a dev server, the API through uvicorn's factory."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pathway_helpers import worker_env

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


def test_a_settled_heap_is_frozen_and_its_garbage_collected_first():
    out = run_python(
        "import gc; from core.process import settle_heap; before = gc.get_threshold(); "
        "a = []; a.append(a); del a; "  # a cycle left for the collector
        "settle_heap(); print(gc.get_freeze_count(), gc.collect(), "
        "gc.get_threshold() == before)"
    )
    frozen, found_after, same_thresholds = out.split()
    assert int(frozen) > 10_000  # the imported modules' objects at least
    assert found_after == "0"  # the cycle was freed before the freeze, not frozen with it
    assert same_thresholds == "True"  # Python's own: memory bounded as before


def test_the_api_served_by_uvicorn_settles_its_heap(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAO_")}
    env |= {"SIAO_ENVIRONMENT": "development", "SIAO_DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    out = run_python(
        "import gc; from api.main import app_factory; app_factory(); print(gc.get_freeze_count())",
        env,
    )
    assert int(out) > 100_000  # FastAPI, pydantic, SQLAlchemy, the SDK: no longer scanned


@pytest.mark.devserver
async def test_the_worker_runs_on_uvloop(dev_env, queue_settings, db_url, tmp_path):
    env = worker_env(
        dev_env.client.service_client.config.target_host,
        queue_settings.temporal_task_queue,
        db_url,
        tmp_path / "accepted",
    )
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
