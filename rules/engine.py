"""The only door to durable_rules. One engine per process, calls serialised.

durable_rules' Host starts background dispatcher threads and is not safe across threads; here
the dispatcher is disabled, every call holds one lock, and every evaluation deletes its state
(a ruleset keeps at most 1,024 live states).

The crash this module works around (found in durable_rules 2.0.28's C engine): a fact that no
rule handles leaves its state node half-built, and the next `delete_state` (or retract) on that
state frees memory it does not own — a segfault or `free(): invalid pointer` at once or a few
calls later. National-only départements hit it on their first contact (no rule for
`reported`). So no fact is ever unhandled here: every ruleset carries one catch-all rule that
every fact satisfies, and its firing is dropped from the result. An empty policy is such a
ruleset too, so there is one code path for all.
"""

import itertools
import threading
from collections.abc import Callable
from typing import Any

from durable import engine as durable


class _QuietHost(durable.Host):
    def _run(self) -> None:  # no background dispatcher threads: we evaluate synchronously
        pass


# Every fact carries this marker and every ruleset a rule on it (see the module's docstring).
HANDLED_MARK = "__siao_fact__"
HANDLED_RULE = "__siao_handled__"
_CATCH_ALL = {"all": [{"m": {"$ex": {HANDLED_MARK: 1}}}]}


class RulesEngine:
    def __init__(self) -> None:
        self._host = _QuietHost()
        self._lock = threading.Lock()
        self._fired: list[str] = []
        self._sids = itertools.count()
        self._by_key: dict[str, str] = {}  # policy key → its active ruleset name

    def _collector(self, rule_id: str) -> Callable[[Any], None]:
        def run(c: Any) -> None:  # one parameter: durable_rules treats two as asynchronous
            if rule_id != HANDLED_RULE:
                self._fired.append(rule_id)

        return run

    def load(self, key: str, name: str, spec: dict[str, dict[str, Any]]) -> None:
        """Register `name` (once) as the active ruleset of `key`; drop the version it replaces."""
        with self._lock:
            if self._by_key.get(key) == name:
                return
            if name not in self._host._ruleset_directory:
                full = {**spec, HANDLED_RULE: _CATCH_ALL}
                rules = {rid: {**rule, "run": self._collector(rid)} for rid, rule in full.items()}
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
            raise KeyError(f"ruleset {name} is not loaded")
        fired: list[list[str]] = []
        with self._lock:
            for fact in facts:
                # One fact per state: a batch assert stops at the first fact no rule handles.
                sid = f"e{next(self._sids)}"
                self._fired.clear()
                try:
                    self._host.assert_fact(name, {**fact, HANDLED_MARK: 1, "sid": sid})
                except durable.MessageNotHandledException as exc:  # the catch-all makes it moot
                    raise RuntimeError("fact not handled despite the catch-all rule") from exc
                self._host.delete_state(name, sid)
                # An `any` fires once per true branch in durable_rules: a rule decides once.
                fired.append(list(dict.fromkeys(self._fired)))
        return fired

    def loaded(self) -> dict[str, str]:
        with self._lock:
            return dict(self._by_key)


_ENGINE: RulesEngine | None = None
_ENGINE_LOCK = threading.Lock()


def rules_engine() -> RulesEngine:
    """The process's one engine (durable_rules keeps global native state)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = RulesEngine()
        return _ENGINE
