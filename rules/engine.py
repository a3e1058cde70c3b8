"""The only door to durable_rules. One engine per process, calls serialised.

durable_rules' Host starts background dispatcher threads and is not safe across threads; here
the dispatcher is disabled, every call holds one lock, and every evaluation deletes its state
(a ruleset keeps at most 1,024 live states).
"""

import itertools
import threading
from collections.abc import Callable
from typing import Any

from durable import engine as durable


class _QuietHost(durable.Host):
    def _run(self) -> None:  # no background dispatcher threads: we evaluate synchronously
        pass


class RulesEngine:
    def __init__(self) -> None:
        self._host = _QuietHost()
        self._lock = threading.Lock()
        self._fired: list[str] = []
        self._sids = itertools.count()
        self._by_key: dict[str, str] = {}  # policy key → its active ruleset name

    def _collector(self, rule_id: str) -> Callable[[Any], None]:
        def run(c: Any) -> None:  # one parameter: durable_rules treats two as asynchronous
            self._fired.append(rule_id)

        return run

    def load(self, key: str, name: str, spec: dict[str, dict[str, Any]]) -> None:
        """Register `name` (once) as the active ruleset of `key`; drop the version it replaces."""
        with self._lock:
            if self._by_key.get(key) == name:
                return
            if name not in self._host._ruleset_directory and spec:
                rules = {rid: {**rule, "run": self._collector(rid)} for rid, rule in spec.items()}
                self._host.register_rulesets({name: rules})
            old = self._by_key.get(key)
            self._by_key[key] = name
            if old and old not in self._by_key.values():
                self._unregister(old)

    def _unregister(self, name: str) -> None:
        ruleset = self._host._ruleset_directory.pop(name, None)
        if ruleset is not None:
            self._host._ruleset_list.remove(ruleset)
            # The native ruleset is not freed: durable_rules_engine.delete_ruleset corrupts the
            # heap (seen here); a policy version is a few KiB and versions change rarely.

    def evaluate(self, name: str, facts: list[dict[str, Any]]) -> list[list[str]]:
        """Fire every matching rule on each fact; return the rule ids fired, per fact, in order."""
        if name not in self._host._ruleset_directory:
            return [[] for _ in facts]  # a policy without rules decides nothing
        fired: list[list[str]] = []
        with self._lock:
            for fact in facts:
                # One fact per state: a batch assert stops at the first fact no rule handles.
                sid = f"e{next(self._sids)}"
                self._fired.clear()
                try:
                    self._host.assert_fact(name, {**fact, "sid": sid})
                except durable.MessageNotHandledException:
                    pass  # no rule matched
                finally:
                    self._host.delete_state(name, sid)
                # An `any` fires once per true branch in durable_rules: a rule decides once.
                fired.append(list(dict.fromkeys(self._fired)))
        return fired

    def loaded(self) -> dict[str, str]:
        with self._lock:
            return dict(self._by_key)


_ENGINE: RulesEngine | None = None
_ENGINE_LOCK = threading.Lock()


def get_engine() -> RulesEngine:
    """The process's one engine (durable_rules keeps global native state)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = RulesEngine()
        return _ENGINE
