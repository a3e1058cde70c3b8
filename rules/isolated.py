"""The policy book in a child process, so that durable_rules — native code — can never take the
worker down. A crash, an abort or a hang there kills only the child: it is started again and
the (pure) request tried once more; a second failure is a clear `EngineUnavailable`.

One child serves the whole worker, one request at a time (the engine serialises calls anyway).
It is started with `spawn` (the worker runs threads; forking it would copy held locks).
"""

import multiprocessing
import os
import resource
import signal
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from models.decisions import DeadlineDurations, Evaluation
from rules.document import PolicyInvalid

if TYPE_CHECKING:  # the SQL models stay out of the child unless a protocol is asked for
    from models.offer import StructureKind
    from models.protocol import ProtocolTerms
    from rules.book import PolicyBook

log = structlog.get_logger()
REQUEST_TIMEOUT_SECONDS = 10.0  # an evaluation takes well under a millisecond
# Fault injection for tests only: evaluating this département's rules crashes the child.
CRASH_DEPARTEMENT = "SIAO_TEST_ENGINE_CRASH_DEPARTEMENT"
_CONTEXT = multiprocessing.get_context("spawn")


class EngineUnavailable(RuntimeError):
    """The rules engine crashed or hung twice in a row on the same request."""


def _serve(conn: Connection, policies_dir: Path, accepted_dir: Path | None) -> None:
    """The child's loop: answer (method, args) until the parent closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent; EOF ends us
    from rules.book import PolicyBook
    from rules.engine import rules_engine

    book = PolicyBook(policies_dir, accepted_dir, rules_engine())
    crash_on = os.environ.get(CRASH_DEPARTEMENT)
    while True:
        try:
            method, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if method == "crash" or (method == "evaluate" and args[0] == crash_on):
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file for a drill
                os.kill(os.getpid(), signal.SIGSEGV)  # what a native fault looks like
            if method == "hang":  # tests only: what a stuck native call looks like
                time.sleep(3600)
            if method == "evaluate":
                reply: tuple[str, Any] = ("ok", book.evaluate(*args))
            elif method == "deadlines":
                reply = ("ok", book.policy(*args).deadlines)
            elif method == "protocol":
                reply = ("ok", book.policy(args[0]).terms(args[1]))
            else:
                reply = ("error", f"unknown method {method}")
        except PolicyInvalid as exc:  # an exception's pickle loses `issues`: send them
            reply = ("invalid", exc.issues)
        except Exception as exc:  # reported, never personal data: the type and the message
            reply = ("error", f"{type(exc).__name__}: {exc}")
        conn.send(reply)


class Policies(Protocol):
    """What the pathway's activities need of the policies in force."""

    def evaluate(self, departement: str, facts: dict[str, Any]) -> Evaluation: ...

    def deadlines(self, departement: str) -> DeadlineDurations: ...

    def protocol(self, departement: str, kind: "StructureKind") -> "ProtocolTerms": ...


class InProcessPolicies:
    """A PolicyBook used directly (command-line tools; tests of the book itself)."""

    def __init__(self, book: "PolicyBook") -> None:
        self.book = book

    def evaluate(self, departement: str, facts: dict[str, Any]) -> Evaluation:
        return self.book.evaluate(departement, facts)

    def deadlines(self, departement: str) -> DeadlineDurations:
        return self.book.policy(departement).deadlines

    def protocol(self, departement: str, kind: "StructureKind") -> "ProtocolTerms":
        return self.book.policy(departement).terms(kind)


class IsolatedPolicies:
    """`evaluate`, `deadlines` and `protocol` of a PolicyBook living in a child process."""

    def __init__(
        self,
        policies_dir: Path,
        accepted_dir: Path | None,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        self.policies_dir, self.accepted_dir, self.timeout = policies_dir, accepted_dir, timeout
        self._lock = threading.Lock()
        self._child: BaseProcess | None = None
        self._conn: Connection | None = None
        self.restarts = 0

    def evaluate(self, departement: str, facts: dict[str, Any]) -> Evaluation:
        return self._call("evaluate", (departement, facts))

    def deadlines(self, departement: str) -> DeadlineDurations:
        return self._call("deadlines", (departement,))

    def protocol(self, departement: str, kind: "StructureKind") -> "ProtocolTerms":
        """The orientation protocol terms of a `kind` structure in this département."""
        return self._call("protocol", (departement, kind))

    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def _call(self, method: str, args: tuple[Any, ...]) -> Any:
        with self._lock:
            for attempt in (1, 2):
                try:
                    kind, value = self._roundtrip(method, args)
                    break
                except (EOFError, OSError, TimeoutError) as exc:
                    code = self._stop()
                    self.restarts += 1
                    log.error(
                        "rules_engine_crashed",
                        attempt=attempt,
                        exitcode=code,
                        reason=type(exc).__name__,
                    )
            else:
                raise EngineUnavailable(
                    "le moteur de règles s'est arrêté deux fois de suite sur cette évaluation"
                )
        if kind == "invalid":
            raise PolicyInvalid(value)
        if kind == "error":
            raise RuntimeError(value)
        return value

    def _roundtrip(self, method: str, args: tuple[Any, ...]) -> tuple[str, Any]:
        if self._child is None or not self._child.is_alive() or self._conn is None:
            self._start()
        assert self._conn is not None
        self._conn.send((method, args))
        if not self._conn.poll(self.timeout):
            raise TimeoutError
        return self._conn.recv()

    def _start(self) -> None:
        self._stop()
        parent, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(
            target=_serve,
            args=(child, self.policies_dir, self.accepted_dir),
            name="siao-rules-engine",
            daemon=True,
        )
        process.start()
        child.close()
        self._child, self._conn = process, parent

    def _stop(self) -> int | None:
        """End the child (if any); its exit code (negative: the signal that killed it)."""
        child, conn, self._child, self._conn = self._child, self._conn, None, None
        if conn is not None:
            conn.close()
        if child is None:
            return None
        child.join(timeout=1)
        if child.is_alive():
            child.kill()
            child.join(timeout=5)
        return child.exitcode

    def close(self) -> None:
        with self._lock:
            self._stop()


_SHARED: dict[tuple[Path, Path | None], IsolatedPolicies] = {}
_SHARED_LOCK = threading.Lock()


def shared_policies(policies_dir: Path, accepted_dir: Path | None) -> IsolatedPolicies:
    """One child per process and policy directory (workers built again share it)."""
    with _SHARED_LOCK:
        key = (policies_dir, accepted_dir)
        if key not in _SHARED:
            _SHARED[key] = IsolatedPolicies(policies_dir, accepted_dir)
        return _SHARED[key]
