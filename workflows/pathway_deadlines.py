"""What a pathway does when its timer fires: deadlines missed (the rules choose whom to alert,
R-EVAL-5), escalations of those still late, and deadlines whose expiry is an action (the end of
the follow-up window). A part of PathwayWorkflow, kept apart to keep each file readable."""

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.decisions import Effects, Evaluation
    from models.pathway import (
        ActionInput,
        Deadline,
        MissedDeadlineInput,
        PathwayState,
        PurgeInput,
        add_duration,
    )
    from models.transitions import ON_EXPIRY
    from rules import planning
    from rules.vocabulary import Event
    from workflows import calls
    from workflows.pathway_patches import PURGE_PATCH, RULES_PATCH, SPREAD_PATCH

RULES_RETRY_LATER = timedelta(days=1)  # a missed deadline's rules, asked again if they failed


class DeadlineWork:
    """Mixed into PathwayWorkflow, which provides the state, the lock, `_apply` and `_publish`."""

    state: PathwayState
    lock: asyncio.Lock
    wakeup_spread_seconds: int
    _offset: timedelta | None = None  # this pathway's wake-up offset, asked once

    def _wake_at(self, due: datetime) -> datetime:
        """When the timer for `due` fires: at the pathway's offset after it (a mass wake-up
        drains, actions go on), or at `due` itself for runs begun before the spread."""
        if self._offset is None:
            spread = workflow.patched(SPREAD_PATCH)
            wid = workflow.info().workflow_id
            self._offset = (
                planning.wakeup_offset(wid, self.wakeup_spread_seconds) if spread else timedelta(0)
            )
        return due + self._offset

    async def _apply(self, inp: ActionInput) -> None:
        raise NotImplementedError

    def _publish(self) -> None:
        raise NotImplementedError

    async def _deadlines_due(self) -> None:
        async with self.lock:
            now = workflow.now()
            for deadline in [d for d in self.state.deadlines if not d.missed and d.due_at <= now]:
                if deadline.kind in ON_EXPIRY:
                    await self._expired(deadline, now)
                    return
                deadline.missed = True
                await self._missed(deadline, now)
            for deadline in self.state.deadlines:  # still late after the escalation delay
                if deadline.missed and deadline.escalate_at and deadline.escalate_at <= now:
                    deadline.escalation_level += 1
                    await self._missed(deadline, now)
            self._publish()

    async def _expired(self, deadline: Deadline, now: datetime) -> None:
        """A deadline whose expiry is an action of the table (the end of the follow-up window)."""
        expiry = ON_EXPIRY[deadline.kind]
        try:
            await self._apply(planning.expiry_action(expiry, now))
        except ApplicationError:  # refused (policy, database): it runs out again tomorrow
            deadline.due_at = now + RULES_RETRY_LATER
            self._publish()
            return
        if expiry.purge and workflow.patched(PURGE_PATCH):
            await calls.purge(PurgeInput(household_id=self.state.household_id))

    async def _missed(self, deadline: Deadline, now: datetime) -> None:
        """Ask the rules whom to alert (R-EVAL-5), record it, and when to ask again."""
        evaluation: Evaluation | None = None
        effects: Effects | None = None
        failure: str | None = None
        if workflow.patched(RULES_PATCH):
            facts = planning.rule_facts(self.state, Event.DEADLINE_MISSED, now, deadline)
            outcome = await calls.evaluate(self.state.departement, facts)
            if isinstance(outcome, Evaluation):
                evaluation = outcome
                effects = planning.apply_decisions(self.state, evaluation)
                try:
                    deadline.escalate_at = (
                        add_duration(now, evaluation.deadlines.escalation)
                        if effects.escalations
                        else None
                    )
                except planning.PLANNING_ERRORS:
                    failure = "délai d'escalade incalculable"
                    deadline.escalate_at = now + RULES_RETRY_LATER
            else:  # the lead referent is alerted anyway; the rules are asked again tomorrow
                failure, deadline.escalate_at = outcome, now + RULES_RETRY_LATER
        await calls.record_missed(
            MissedDeadlineInput(
                household_id=self.state.household_id,
                workflow_id=workflow.info().workflow_id,
                kind=deadline.kind,
                due_at=deadline.due_at,
                policy_version=deadline.policy_version,
                stage=self.state.stage,
                next_deadline=self.state.next_deadline,
                escalation_level=deadline.escalation_level,
                evaluation=evaluation,
                effects=effects,
                policy_failure=failure,
            )
        )
