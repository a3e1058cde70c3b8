"""A small process supervisor for `make up`: restart what may restart, stop everything in order.

A `Supervised` child that exits on its own is restarted after `backoff(failures)` seconds (1, 2,
4 … capped at 30), the count starting again once it has run `stable_after` seconds. A `critical`
child (the Temporal dev server) is not restarted: its death is reported and `watch()` returns 1,
since the others cannot work without it. Only `request_stop()` (Ctrl-C, SIGTERM) ends `watch()`
with 0; `stop_all()` then stops the children in reverse start order (API, worker, Temporal).
"""

import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO


def backoff(failures: int, base: float = 1.0, cap: float = 30.0) -> float:
    """Seconds to wait before the restart that follows the `failures`-th exit in a row."""
    return min(cap, base * 2 ** max(0, failures - 1))


def describe_exit(returncode: int) -> str:
    """« code 1 », « signal 11, SIGSEGV »: a Popen return code in words."""
    if returncode >= 0:
        return f"code {returncode}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"
    return f"signal {-returncode}, {name}"


def shown(path: Path) -> str:
    """A path as the console shows it: relative to the current directory when under it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def seconds(value: float) -> str:
    """« 2 s », « 0,5 s »: a duration the French way."""
    return f"{value:g}".replace(".", ",") + " s"


@dataclass(frozen=True)
class Supervised:
    """One child process: how to start it, how to stop it, whether it may be restarted."""

    name: str  # with its article, as the console says it: « le worker », « l'API »
    cmd: list[str]
    log: Path | None = None  # stdout and stderr appended there (else inherited)
    critical: bool = False  # its death stops everything (non-zero exit) instead of a restart
    feminine: bool = False  # « l'API s'est arrêtée »
    stop_signal: int = signal.SIGINT
    stop_timeout: float = 20.0  # then SIGKILL

    @property
    def stopped(self) -> str:
        return "arrêtée" if self.feminine else "arrêté"

    @property
    def title(self) -> str:
        return self.name[:1].upper() + self.name[1:]


@dataclass
class Child:
    spec: Supervised
    proc: subprocess.Popen[bytes]
    started_at: float
    failures: int = 0  # exits in a row, each after less than `stable_after` seconds
    restart_at: float | None = None  # dead, waiting for its backoff
    pids: list[int] = field(default_factory=list)  # every pid it had, oldest first


class Supervisor:
    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        base: float = 1.0,
        cap: float = 30.0,
        stable_after: float = 60.0,
        poll: float = 0.2,
        out: TextIO | None = None,
    ) -> None:
        self.env = dict(env) if env is not None else None
        self.base, self.cap, self.stable_after, self.poll = base, cap, stable_after, poll
        self.out = out
        self.children: list[Child] = []  # in start order
        self.stop_requested = False
        self.phase = "starting"  # then "watching", then "stopping"

    def say(self, line: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {line}", file=self.out or sys.stdout, flush=True)

    def _spawn(self, spec: Supervised) -> subprocess.Popen[bytes]:
        if spec.log is None:
            return subprocess.Popen(spec.cmd, env=self.env, start_new_session=True)
        with spec.log.open("ab") as log:  # the child keeps its own copy of the descriptor
            # A session of its own: the terminal's Ctrl-C reaches only us, we decide the order.
            return subprocess.Popen(
                spec.cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def start(self, spec: Supervised) -> subprocess.Popen[bytes]:
        """Start a child (in start order: the first started is the last stopped)."""
        proc = self._spawn(spec)
        self.children.append(Child(spec, proc, time.monotonic(), pids=[proc.pid]))
        return proc

    def request_stop(self) -> None:
        self.stop_requested = True

    def handle_signal(self, signum: int, frame: object) -> None:
        """SIGINT/SIGTERM handler: ends `watch()`; interrupts the start-up (KeyboardInterrupt)."""
        self.request_stop()
        if self.phase == "starting":
            raise KeyboardInterrupt

    def _exited(self, child: Child, returncode: int, now: float) -> bool:
        """Report an exit and plan the restart; True when it was critical (stop everything)."""
        spec = child.spec
        where = f" — journal : {shown(spec.log)}" if spec.log else ""
        if spec.critical:
            self.say(
                f"{spec.title} s'est {spec.stopped} ({describe_exit(returncode)}){where}. "
                f"Sans {'elle' if spec.feminine else 'lui'}, les autres processus ne peuvent pas "
                "fonctionner : arrêt de tout."
            )
            return True
        if now - child.started_at >= self.stable_after:
            child.failures = 0  # it had run stably: this is a first failure again
        child.failures += 1
        delay = backoff(child.failures, self.base, self.cap)
        child.restart_at = now + delay
        self.say(
            f"{spec.name} s'est {spec.stopped} ({describe_exit(returncode)}) ; "
            f"redémarrage dans {seconds(delay)}{where}"
        )
        return False

    def _restart(self, child: Child, now: float) -> None:
        child.proc = self._spawn(child.spec)
        child.started_at, child.restart_at = now, None
        child.pids.append(child.proc.pid)
        self.say(f"{child.spec.name} redémarre (pid {child.proc.pid}).")

    def watch(self) -> int:
        """Until a stop request (0) or the death of a critical child (1)."""
        self.phase = "watching"
        try:
            while not self.stop_requested:
                now = time.monotonic()
                for child in self.children:
                    if child.restart_at is not None:
                        if now >= child.restart_at:
                            self._restart(child, now)
                        continue
                    returncode = child.proc.poll()
                    if returncode is not None and self._exited(child, returncode, now):
                        return 1
                time.sleep(self.poll)
            return 0
        finally:
            self.phase = "stopping"

    def stop_all(self) -> None:
        """Stop the running children, last started first, each before the next."""
        self.phase = "stopping"
        for child in reversed(self.children):
            proc, spec = child.proc, child.spec
            if proc.poll() is not None:
                continue
            proc.send_signal(spec.stop_signal)
            try:
                proc.wait(timeout=spec.stop_timeout)
            except subprocess.TimeoutExpired:
                self.say(
                    f"{spec.name} ne s'est pas {spec.stopped} après {seconds(spec.stop_timeout)} : "
                    "arrêt forcé (SIGKILL)."
                )
                proc.kill()
                proc.wait()
