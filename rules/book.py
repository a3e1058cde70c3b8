"""The policies in force: one per département (its file over the national one), compiled,
checked, and swapped without a restart when a file changes — only if the new file passes."""

import itertools
import os
import threading
from pathlib import Path
from typing import Any

import structlog
from pydantic import ValidationError

from models.decisions import DeadlineDurations, Evaluation, decision
from rules.checks import coverage_issues, run_cases, static_issues
from rules.compiler import definition, engine_fact, ruleset_name
from rules.deadlines import Deadlines, days, deadline_issues, merge
from rules.document import Issue, PolicyInvalid, located, parse_document
from rules.engine import RulesEngine
from rules.policy import Policy, complete_facts
from rules.policy_text import decode
from rules.protocols import protocol_issues

NATIONAL = "_national"
_BOOKS = itertools.count()
log = structlog.get_logger()


class PolicyBook:
    def __init__(self, policies_dir: Path, accepted_dir: Path | None, engine: RulesEngine) -> None:
        self.policies_dir, self.accepted_dir, self.engine = policies_dir, accepted_dir, engine
        self._lock = threading.RLock()
        self._active: dict[str, tuple[tuple[bytes | None, bytes | None], Policy]] = {}
        self.refused: dict[str, list[Issue]] = {}
        self._refused_texts: dict[str, tuple[bytes | None, bytes | None]] = {}
        self._stamps: dict[str, tuple[Any, ...]] = {}  # files' stat when last read
        # Each book has its own engine slots: two books in one process never unload each
        # other's rulesets (the API and a worker, or tests).
        self._slot = f"book{next(_BOOKS)}"

    # -- building -------------------------------------------------------------------------
    def build(
        self,
        departement: str,
        national_text: str | bytes,
        local_text: str | bytes | None,
        key: str,
    ) -> Policy:
        """Decode, parse, merge, compile under `key`, run every case; raise PolicyInvalid — and
        nothing else — if anything fails. `key` is the engine slot: the département itself only
        once the policy passed. An empty département text is no file."""
        file = f"{departement}.yaml" if local_text else f"{NATIONAL}.yaml"
        try:
            national = decode(f"{NATIONAL}.yaml", national_text)
            local = decode(f"{departement}.yaml", local_text) if local_text else None
            return self._build(departement, national, local, key)
        except PolicyInvalid:
            raise
        except Exception as exc:  # a bug or a limit hit: still a refusal, never a crash
            error = type(exc).__name__  # the type only: no content of the file in the logs
            log.error("policy_build_failed", departement=departement, key=key, error=error)
            raise PolicyInvalid([Issue(file, None, "", f"erreur inattendue : {error}")]) from exc

    def _build(
        self, departement: str, national_text: str, local_text: str | None, key: str
    ) -> Policy:
        national = parse_document(f"{NATIONAL}.yaml", national_text)
        local = parse_document(f"{departement}.yaml", local_text) if local_text else None
        issues: list[Issue] = []
        if local and local.departement != departement:
            issues.append(
                Issue(
                    local.file,
                    1,
                    "departement",
                    f"« {local.departement} » ne correspond pas au fichier",
                )
            )
        try:
            deadlines = Deadlines.model_validate(
                merge(national.deadlines, local.deadlines if local else {})
            )
        except ValidationError as exc:
            file, text = (local.file, local_text) if local else (national.file, national_text)
            raise PolicyInvalid(issues + deadline_issues(file, text or "", exc)) from exc
        for doc, text in ((national, national_text), (local, local_text)):
            if doc is not None:
                issues += protocol_issues(
                    doc.file, text or "", doc.protocols, doc.refusal_consequences
                )
        rules = {r.id: r for r in national.rules}
        rules.update({r.id: r for r in (local.rules if local else ())})
        policy_id, version = (
            (departement, f"{local.version}+national-{national.version}")
            if local
            else (NATIONAL, national.version)
        )
        merged_spec = definition(tuple(rules.values()))
        name = ruleset_name(departement, version, merged_spec)
        self.engine.load(f"{self._slot}:{key}:{departement}", name, merged_spec)
        national_spec = definition(national.rules)
        national_name = ruleset_name(NATIONAL, national.version, national_spec)
        self.engine.load(f"{self._slot}:{key}:{NATIONAL}", national_name, national_spec)
        abnormal = days(deadlines.abnormal_stay)

        def evaluate_with(ruleset: str) -> Any:
            return lambda facts: self.engine.evaluate(
                ruleset, [engine_fact(complete_facts(facts, abnormal))]
            )[0]

        results = run_cases(
            national.file,
            national.cases,
            {r.id: r for r in national.rules},
            evaluate_with(national_name),
        )
        issues += coverage_issues(national.file, national.rules, results)
        issues += static_issues(national.file, national.rules)
        if local:
            local_results = run_cases(local.file, local.cases, rules, evaluate_with(name))
            issues += coverage_issues(local.file, local.rules, local_results)
            issues += static_issues(local.file, local.rules)
            results += local_results
        issues += [
            Issue(
                r.file,
                None,
                f"cases.{r.case.name}",
                f"cas en échec : attendu {sorted(map(str, r.case.expect))}, "
                f"obtenu {sorted(map(str, r.got))}",
            )
            for r in results
            if not r.passed
        ]
        if issues:
            texts = {national.file: national_text, **({local.file: local_text} if local else {})}
            raise PolicyInvalid(located(issues, texts))  # type: ignore[arg-type]
        durations = DeadlineDurations(
            policy_id=policy_id, policy_version=version, **deadlines.model_dump()
        )
        return Policy(
            departement, policy_id, version, durations, rules, name, national, local, tuple(results)
        )

    # -- the active policy ----------------------------------------------------------------
    def _texts(self, departement: str) -> tuple[bytes | None, bytes | None]:
        national, local = (
            self.policies_dir / f"{NATIONAL}.yaml",
            self.policies_dir / f"{departement}.yaml",
        )
        return (
            national.read_bytes() if national.exists() else None,
            local.read_bytes() if local.exists() else None,
        )

    def _stamp(self, departement: str) -> tuple[Any, ...]:
        """Cheap change detection: an edit or an atomic replace changes size, mtime or inode."""
        stamps: list[tuple[int, int, int] | None] = []
        for name in (NATIONAL, departement):
            try:
                st = os.stat(self.policies_dir / f"{name}.yaml")
                stamps.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except FileNotFoundError:
                stamps.append(None)
        return tuple(stamps)

    def unchanged(self, departement: str) -> Policy | None:
        """The policy in force when its files are untouched since last read (two `stat`s, no
        reading); None when they may have changed or another thread is reading them: then ask
        `policy`, which may read and check them (blocking)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            current = self._active.get(departement)
            if current and self._stamps.get(departement) == self._stamp(departement):
                return current[1]
            return None
        finally:
            self._lock.release()

    def policy(self, departement: str) -> Policy:
        """The policy in force; a changed file replaces it only once it passes every check."""
        with self._lock:
            current = self._active.get(departement)
            stamp = self._stamp(departement)
            if current and self._stamps.get(departement) == stamp:
                return current[1]  # files untouched since last read: no need to read them
            self._stamps[departement] = stamp
            texts = self._texts(departement)
            if current and current[0] == texts:
                return current[1]
            if self._refused_texts.get(departement) != texts:  # a change not yet judged
                try:
                    if texts[0] is None:
                        raise PolicyInvalid(
                            [Issue(f"{NATIONAL}.yaml", None, "", "fichier introuvable")]
                        )
                    policy = self.build(departement, texts[0], texts[1], "active")
                except PolicyInvalid as exc:
                    self.refused[departement] = exc.issues
                    self._refused_texts[departement] = texts
                    log.error("policy_refused", departement=departement, issues=len(exc.issues))
                else:
                    self._activate(departement, texts, policy)
                    return policy
            if current:  # the previous version stays in force
                return current[1]
            accepted = self._accepted(departement)
            if accepted is None:
                raise PolicyInvalid(self.refused[departement])
            return accepted

    def _activate(
        self, departement: str, texts: tuple[bytes | None, bytes | None], policy: Policy
    ) -> None:
        self._active[departement] = (texts, policy)
        self.refused.pop(departement, None)
        self._refused_texts.pop(departement, None)
        self.engine.load(
            f"{self._slot}:{departement}", policy.ruleset, definition(tuple(policy.rules.values()))
        )
        if self.accepted_dir is not None:  # survives a restart with a broken file on disk
            self.accepted_dir.mkdir(parents=True, exist_ok=True)
            for name, text in zip((NATIONAL, departement), texts, strict=True):
                path = self.accepted_dir / f"{departement}--{name}.yaml"
                if text is None:
                    path.unlink(missing_ok=True)
                else:
                    path.write_bytes(text)
        log.info("policy_active", departement=departement, version=policy.version)

    def _accepted(self, departement: str) -> Policy | None:
        if self.accepted_dir is None:
            return None
        paths = [self.accepted_dir / f"{departement}--{n}.yaml" for n in (NATIONAL, departement)]
        if not paths[0].exists():
            return None
        texts = tuple(p.read_bytes() if p.exists() else None for p in paths)
        assert texts[0] is not None
        policy = self.build(departement, texts[0], texts[1], "active")
        self._active[departement] = (texts, policy)  # type: ignore[assignment]
        self.engine.load(
            f"{self._slot}:{departement}", policy.ruleset, definition(tuple(policy.rules.values()))
        )
        log.warning("policy_from_accepted_copy", departement=departement, version=policy.version)
        return policy

    # -- evaluating -----------------------------------------------------------------------
    def evaluate(
        self, departement: str, facts: dict[str, Any], policy: Policy | None = None
    ) -> Evaluation:
        with self._lock:  # a policy swap must not unregister the ruleset mid-evaluation
            policy = policy or self.policy(departement)
            complete = complete_facts(facts, policy.abnormal_stay_days)
            fired = self.engine.evaluate(policy.ruleset, [engine_fact(complete)])[0]
        decisions = [
            decision(rule_id, call.name, dict(call.params))
            for rule_id in fired
            for call in policy.rules[rule_id].then
        ]
        return Evaluation(
            policy_id=policy.policy_id,
            policy_version=policy.version,
            fired=fired,
            decisions=decisions,
            deadlines=policy.deadlines,
        )
