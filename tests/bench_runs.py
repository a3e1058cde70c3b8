"""Running a bench script as its smoke test does: in its own process group (if it hangs, the
group — worker, API, dev server — goes with it), its files under the test's temporary directory."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script: str, args: list[str], tmp_path: Path, timeout: float) -> str:
    """The bench's stdout, once it exited 0 (else the test fails with both outputs' tails)."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path), "SIAO_ENVIRONMENT": "development"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"bench/{script} hung\n{out[-3000:]}\n{err[-3000:]}")
    assert proc.returncode == 0, f"{out[-3000:]}\n{err[-3000:]}"
    return out
