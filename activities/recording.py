"""Recording an action: the planning, the département's rules and the write, in one local
activity (`record_action`), so that an action costs the pathway one call, one activation and one
marker rather than two. The write alone (`write_action`) is also what `apply_action` does for
pathways that recorded their actions in two calls.

The planning runs here, in the activity, not in the workflow: its result is recorded in the
history, so a replay reads it back and a later change of the planning never breaks an old run.
"""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import structlog
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import rows
from activities.decisions import decision_detail, policy_failure_alert, record_decisions
from activities.writers import WRITERS
from core import clock
from core.db import session_scope
from models.decisions import DeadlineDurations, Evaluation
from models.failures import Failure
from models.pathway import Action, ApplyActionInput
from models.recording import ActionOutcome, RecordActionInput, RecordActionResult
from models.records import Alert, AlertKind, TimelineEvent, TimelineKind
from models.transitions import next_stage
from rules import planning
from rules.document import PolicyInvalid
from rules.isolated import EngineUnavailable, Policies
from rules.vocabulary import RuleFacts

log = structlog.get_logger()
# Fault injection for tests only: the worker process exits right after this action's commit.
CRASH_AFTER_COMMIT = "SIAO_TEST_CRASH_AFTER_COMMIT"
# The rules are pure and fast: a second try after a pause, then the last accepted deadlines
# (the engine's own wrapper already restarts a crashed child and tries once more).
EVALUATION_TRIES = 2
EVALUATION_PAUSE_SECONDS = 0.5


def write_action(engine: Engine, inp: ApplyActionInput) -> bool:
    """Write an accepted action once: records, read model, timeline — one transaction.

    Returns False when the submission was already applied: by this same update, before a
    crash kept the workflow from recording it (the workflow then advances all the same).
    """
    bound = log.bind(household_id=inp.household_id, workflow_id=inp.workflow_id)
    with session_scope(engine) as session:
        payload: dict = {}
        if inp.submission_id is not None:
            try:
                claimed = rows.claim_submission(
                    session, inp.submission_id, inp.household_id, inp.action
                )
            except rows.SubmissionMismatch as exc:  # never someone else's entry under this id
                raise ApplicationError(
                    "saisie introuvable, ou d'un autre ménage ou d'une autre action",
                    type=Failure.SUBMISSION_MISSING.value,
                    non_retryable=True,
                ) from exc
            if claimed is None:
                bound.info("action_already_applied", action=inp.action)
                return False
            payload = claimed
        try:
            WRITERS[inp.action](session, inp, payload)
        except ValidationError as exc:  # a bad stored entry will not heal by retrying
            raise ApplicationError(
                "saisie invalide", type=Failure.SUBMISSION_INVALID.value, non_retryable=True
            ) from exc
        try:
            household, read = rows.read_household(session, inp.household_id)
        except LookupError as exc:
            raise ApplicationError(
                "ménage introuvable", type=Failure.HOUSEHOLD_MISSING.value, non_retryable=True
            ) from exc
        household.stage = inp.stage_after
        household.overdue = inp.overdue
        household.next_deadline = inp.next_deadline
        household.updated_at = clock.now()
        if inp.referent_structure:
            household.referent_structure = inp.referent_structure
        if inp.action is Action.EXIT:
            household.exit_situation = inp.exit_situation
            household.closed_at = inp.occurred_at
        record_decisions(
            session,
            household,
            inp.evaluation,
            inp.facts,
            kind=AlertKind.RULE,
            due_at=inp.occurred_at,
            effects=inp.effects,
        )
        rows.save_household(session, household, read)
        _resolve_alerts(session, inp)
        if inp.policy_failure:
            session.add(
                policy_failure_alert(
                    inp.household_id, household.departement, inp.policy_failure, clock.now()
                )
            )
        rows.insert(
            session,
            rows.build(
                TimelineEvent,
                household_id=inp.household_id,
                departement=household.departement,
                workflow_id=inp.workflow_id,
                action=TimelineKind.of(inp.action),
                actor=inp.actor,
                occurred_at=inp.occurred_at,
                stage_before=inp.stage_before,
                stage_after=inp.stage_after,
                submission_id=inp.submission_id,
                detail={
                    **({"resolved": [k.value for k in inp.resolved]} if inp.resolved else {}),
                    **decision_detail(inp.evaluation),
                },
            ),
        )
    bound.info("action_applied", action=inp.action, stage=inp.stage_after)
    if os.environ.get(CRASH_AFTER_COMMIT) == inp.action.value:
        os._exit(70)  # tests only: the commit is done, the workflow task is not
    return True


def _resolve_alerts(session: Session, inp: ApplyActionInput) -> None:
    if not inp.resolved:
        return
    open_alerts = session.exec(
        select(Alert).where(
            Alert.household_id == inp.household_id,
            col(Alert.kind).in_([k.value for k in inp.resolved]),
            col(Alert.resolved_at).is_(None),
        )
    )
    for alert in open_alerts:
        alert.resolved_at = inp.occurred_at
        session.add(alert)


@contextmanager
def policy_failures(departement: str) -> Iterator[None]:
    """A policy that cannot be had, as the workflow's bounded calls expect it (no personal data:
    the département, the error's type and words)."""
    try:
        yield
    except PolicyInvalid as exc:
        # The file is wrong, not the network: retrying will not help until staff fix it.
        raise ApplicationError(
            "aucune politique valide pour ce département",
            type=Failure.POLICY_INVALID.value,
            non_retryable=True,
        ) from exc
    except (EngineUnavailable, RuntimeError) as exc:
        log.error("policy_evaluation_failed", departement=departement, error=str(exc))
        raise ApplicationError(str(exc)[:200], type=Failure.POLICY_EVALUATION_FAILED.value) from exc


@dataclass
class RecordingActivities:
    engine: Engine
    policies: Policies

    @activity.defn(name="record_action")
    def record_action(self, inp: RecordActionInput) -> RecordActionResult:
        """Plan the action, ask the rules, write it: the new state, or why nothing was written.

        What the workflow did in steps before (workflows/pathway_steps.py), in the same order:
        a refusal by the rules or a policy that cannot be had writes nothing; rules that cannot
        be evaluated leave the last accepted deadlines in force and alert the coordinator."""
        state, act = inp.state, inp.action
        before = state.stage if inp.started else None
        after = next_stage(before, act.action)
        changed = act.accompaniment_intensity not in (None, state.accompaniment_intensity)
        kept, to_arm = planning.deadline_plan(state.deadlines, act.action, before, after, changed)
        new = planning.after_action(state, act, before, after)
        facts = planning.rule_facts(new, planning.EVENT_OF[act.action], inp.now)
        outcome = self._evaluate(state.departement, facts)
        evaluation, effects, failure = None, None, None
        durations: DeadlineDurations | str
        if isinstance(outcome, Evaluation):
            evaluation, durations = outcome, outcome.deadlines
            effects = planning.apply_decisions(new, evaluation)
            refused = planning.policy_refusal(act, effects)
            if refused is not None:
                return RecordActionResult(outcome=ActionOutcome.REFUSED_BY_POLICY, reason=refused)
        else:  # applied with the last accepted policy's deadlines, without its decisions
            failure, durations = outcome, self._last_deadlines(state.departement)
        if isinstance(durations, str):
            return _unavailable(failure or durations)
        try:
            armed = planning.arm(
                to_arm,
                durations,
                new.accompaniment_intensity,
                act.occurred_at,
                effects.deadlines if effects else {},
                new.facts,
            )
        except planning.PLANNING_ERRORS as exc:  # e.g. a duration too long for the calendar
            return _unavailable(f"échéance incalculable ({type(exc).__name__})")
        new.deadlines = kept + armed
        record = planning.to_record(
            state,
            act,
            new,
            inp.workflow_id,
            before,
            evaluation=evaluation,
            effects=effects,
            facts=facts,
            failure=failure,
        )
        applied = write_action(self.engine, record)
        return RecordActionResult(outcome=ActionOutcome.RECORDED, state=new, applied=applied)

    def _evaluate(self, departement: str, facts: RuleFacts) -> Evaluation | str:
        """The rules' decision, or why they could not be evaluated (bounded: a file that is
        wrong is not tried again, an engine that fails twice is given up)."""
        reason = ""
        for attempt in range(EVALUATION_TRIES):
            try:
                with policy_failures(departement):
                    return self.policies.evaluate(departement, facts.model_dump(mode="json"))
            except ApplicationError as exc:
                reason = exc.message
                if exc.non_retryable:
                    break
            if attempt + 1 < EVALUATION_TRIES:
                time.sleep(EVALUATION_PAUSE_SECONDS)
        return reason

    def _last_deadlines(self, departement: str) -> DeadlineDurations | str:
        """The durations in force (the last accepted policy), or why there are none."""
        try:
            with policy_failures(departement):
                return self.policies.deadlines(departement)
        except ApplicationError as exc:
            return exc.message


def _unavailable(reason: str) -> RecordActionResult:
    return RecordActionResult(outcome=ActionOutcome.POLICY_UNAVAILABLE, reason=reason[:250])
