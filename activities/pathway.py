"""Activities of the pathway workflow. Dependencies are injected so tests use a real test DB."""

import asyncio
import hashlib
from dataclasses import dataclass

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio import activity
from temporalio.service import RPCError, RPCStatusCode

from activities import erasure
from activities.decisions import decision_detail, policy_failure_alert, record_decisions
from activities.recording import policy_failures, write_action
from activities.scrub import scrub
from core import clock
from core.db import session_scope
from models.decisions import DeadlineDurations, EvaluateInput, Evaluation
from models.pathway import (
    ApplyActionInput,
    LoadDeadlinesInput,
    MissedDeadlineInput,
    PolicyFailureInput,
    PurgeInput,
)
from models.records import (
    Alert,
    AlertKind,
    Household,
    TimelineEvent,
    TimelineKind,
)
from rules.isolated import Policies

log = structlog.get_logger()


@dataclass
class PathwayActivities:
    engine: Engine
    policies: Policies

    @activity.defn(name="apply_action")
    def apply_action(self, inp: ApplyActionInput) -> bool:
        """Write an accepted action once (pathways that recorded their actions in two calls,
        before `record_action` did it in one; see activities/recording.py)."""
        return write_action(self.engine, inp)

    @activity.defn(name="load_deadlines")
    def load_deadlines(self, inp: LoadDeadlinesInput) -> DeadlineDurations:
        """The durations of the policy in force (the last accepted one if the file broke)."""
        with policy_failures(inp.departement):
            return self.policies.deadlines(inp.departement)

    @activity.defn(name="evaluate_policy")
    def evaluate_policy(self, inp: EvaluateInput) -> Evaluation:
        """The département's rules on one event's facts, in the rules engine's own process
        (the engine runs here, never in a workflow). A broken file is refused by the book: the
        last accepted version decides. Failures are bounded by the workflow's retry policy."""
        with policy_failures(inp.departement):
            return self.policies.evaluate(inp.departement, inp.facts)

    @activity.defn(name="record_policy_failure")
    def record_policy_failure(self, inp: PolicyFailureInput) -> None:
        """An action refused for want of usable rules: the coordinator hears of it."""
        log.error(
            "policy_unavailable",
            departement=inp.departement,
            household_id=inp.household_id,
            action=inp.action,
            reason=inp.reason,
        )
        with session_scope(self.engine) as session:
            if session.get(Household, inp.household_id) is None:
                return  # a first contact: no household row yet; the log line is the alert
            session.add(
                policy_failure_alert(inp.household_id, inp.departement, inp.reason, clock.now())
            )

    @activity.defn(name="purge_personal_data")
    async def purge_personal_data(self, inp: PurgeInput) -> None:
        """The post-housing window is over: erase the personal data (audited in the same
        transaction), keep the anonymous trace, then delete every Temporal run of the pathway
        like DELETE /households/{id} does, this one last (it is terminated and deleted)."""
        touched = await asyncio.to_thread(
            erasure.erase_rows,
            self.engine,
            inp.household_id,
            "system",
            "fin de la fenêtre de suivi post-logement (purge automatique)",
        )
        log.info("personal_data_purged", household_id=inp.household_id, erased=bool(touched))
        info = activity.info()
        try:
            if info.workflow_id:
                wid, run_id = info.workflow_id, info.workflow_run_id
                await erasure.delete_runs(activity.client(), wid, run_id)
        except RPCError as exc:
            if exc.status is not RPCStatusCode.UNIMPLEMENTED:  # a test server without delete
                raise
        finally:  # and no copy left in the database files (SQLite may wait for a reader)
            if touched:
                await asyncio.to_thread(scrub, self.engine, touched)

    @activity.defn(name="record_missed_deadline")
    def record_missed_deadline(self, inp: MissedDeadlineInput) -> None:
        """Record a missed deadline (or a further escalation) and the alerts the rules chose.
        Idempotent: one timeline event per deadline, kind and escalation level."""
        with session_scope(self.engine) as session:
            household = session.get(Household, inp.household_id)
            if household is None:
                return
            # One event per deadline and escalation level; hashed to fit the id column.
            raw = f"{inp.household_id}:{inp.kind.value}@{inp.due_at.isoformat()}"
            raw += f"#{inp.escalation_level}"
            marker = f"deadline:{hashlib.sha256(raw.encode()).hexdigest()[:48]}"
            if session.exec(
                select(TimelineEvent).where(
                    TimelineEvent.household_id == inp.household_id,
                    TimelineEvent.submission_id == marker,
                )
            ).first():
                return  # already recorded (a retried activity)
            if inp.evaluation is None:  # before the rules, or rules unavailable: the referent
                session.add(
                    Alert(
                        household_id=inp.household_id,
                        kind=AlertKind.of(inp.kind),
                        recipient_structure=household.referent_structure,
                        due_at=inp.due_at,
                        policy_version=inp.policy_version,
                    )
                )
            record_decisions(
                session,
                household,
                inp.evaluation,
                {},
                kind=AlertKind.of(inp.kind),
                due_at=inp.due_at,
                effects=inp.effects,
            )
            if inp.policy_failure:
                session.add(
                    policy_failure_alert(
                        inp.household_id, household.departement, inp.policy_failure, inp.due_at
                    )
                )
            household.overdue = True
            household.next_deadline = inp.next_deadline
            household.updated_at = clock.now()
            session.add(household)
            session.add(
                TimelineEvent(
                    household_id=inp.household_id,
                    departement=household.departement,
                    workflow_id=inp.workflow_id,
                    action=TimelineKind.DEADLINE_MISSED
                    if inp.escalation_level == 0
                    else TimelineKind.ESCALATION,
                    actor="system",
                    occurred_at=inp.due_at,
                    stage_before=inp.stage,
                    stage_after=inp.stage,
                    submission_id=marker,
                    detail={
                        "kind": inp.kind.value,
                        "policy_version": inp.policy_version,
                        "escalation_level": inp.escalation_level,
                        **decision_detail(inp.evaluation),
                    },
                )
            )
        log.info(
            "deadline_missed",
            household_id=inp.household_id,
            kind=inp.kind,
            escalation_level=inp.escalation_level,
        )
