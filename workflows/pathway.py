"""PathwayWorkflow: one household's pathway from the street to housing, open for months.

Caseworkers move it with the `act` update (validated against the transition table); durable
timers watch the policy deadlines. History holds ids, codes and dates only.
"""

import asyncio
from datetime import timedelta
from typing import NoReturn

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError

# Workflow code of its own (loaded in the sandbox, as this module is); constants.
from workflows.pathway_deadlines import DeadlineWork
from workflows.pathway_patches import ONE_CALL_PATCH
from workflows.pathway_steps import ActionInSteps

with workflow.unsafe.imports_passed_through():
    from models.failures import Failure
    from models.pathway import (
        PATHWAY_STATE_QUERY,
        PATHWAY_UPDATE,
        PATHWAY_WORKFLOW,
        Action,
        ActionInput,
        PathwayInput,
        PathwayState,
        PolicyFailureInput,
        Stage,
        pathway_workflow_id,
    )
    from models.recording import ActionOutcome, RecordActionInput
    from models.transitions import allowed_actions
    from models.views import ActionRefused
    from rules import planning
    from workflows import calls, presentation
    from workflows import search_attributes as sa

RECENT_SUBMISSIONS = 32  # enough for any client's retries after a continue-as-new


workflow_id = pathway_workflow_id


@workflow.defn(name=PATHWAY_WORKFLOW)
class PathwayWorkflow(DeadlineWork, ActionInSteps):
    @workflow.init
    def __init__(self, inp: PathwayInput) -> None:
        self.state = inp.state or PathwayState(
            household_id=inp.household_id, departement=inp.departement
        )
        self.started = inp.state is not None
        self.published: dict[str, object] = {}  # search attributes as last upserted
        self.history_limit = inp.history_limit
        self.wakeup_spread_seconds = inp.wakeup_spread_seconds
        self.recent = list(inp.recent_submissions)
        self.abandoned = False  # the first contact failed: nothing to keep open
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self, inp: PathwayInput) -> PathwayState:
        self._publish()
        while True:
            due = self.state.next_wakeup
            try:
                # The timer is re-armed only when the next due date moves (fewer timer events).
                await workflow.wait_condition(
                    lambda due=due: (  # type: ignore[misc]
                        self.state.next_wakeup != due
                        or self.state.stage is Stage.CLOSED
                        or self._should_continue_as_new()
                        or self.abandoned
                    ),
                    timeout=max(self._wake_at(due) - workflow.now(), timedelta(seconds=1))
                    if due
                    else None,
                    timeout_summary=presentation.timer_summary(self.state) if due else None,
                )
            except TimeoutError:
                await self._deadlines_due()
            if self.state.stage is Stage.CLOSED or self.abandoned:
                await workflow.wait_condition(workflow.all_handlers_finished)
                return self.state
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    PathwayInput(
                        household_id=self.state.household_id,
                        departement=self.state.departement,
                        state=self.state,
                        history_limit=self.history_limit,
                        recent_submissions=self.recent,
                        wakeup_spread_seconds=self.wakeup_spread_seconds,
                    )
                )

    @workflow.query(name=PATHWAY_STATE_QUERY)
    def state_query(self) -> PathwayState:
        return self.state

    @workflow.update(name=PATHWAY_UPDATE)
    async def act(self, inp: ActionInput) -> PathwayState:
        async with self.lock:
            if inp.submission_id is not None and inp.submission_id in self.recent:
                return self.state  # applied already, in an earlier run of this pathway
            self._check(inp)  # again: another action may have moved the stage meanwhile
            try:
                await self._apply(inp)
            except ApplicationError:
                self.abandoned = not self.started
                raise
            return self.state

    @act.validator
    def validate_act(self, inp: ActionInput) -> None:
        if inp.submission_id is None or inp.submission_id not in self.recent:
            self._check(inp)

    def _check(self, inp: ActionInput) -> None:
        reason = planning.refusal(self.state, inp, self.started)
        if reason is not None:
            self._refuse(Failure.ACTION_NOT_ALLOWED, reason)

    def _refuse(self, failure: Failure, reason: str) -> NoReturn:
        """Refuse the action, nothing changed: the API answers 409 with this ActionRefused."""
        refused = ActionRefused(
            detail=f"Action refusée : {reason}.",
            stage=self.state.stage,
            allowed_actions=self._allowed(),
        )
        raise ApplicationError(
            refused.detail,
            refused.model_dump(mode="json"),
            type=failure.value,
            non_retryable=True,
        )

    def _allowed(self) -> list[Action]:
        stage = self.state.stage if self.started else None  # None: only the first contact
        return allowed_actions(stage, planning.guard_facts(self.state))

    async def _apply(self, inp: ActionInput) -> None:
        """Plan the action, write it, then (only then) make it the pathway's state: in one local
        activity; runs that began before it replay their two calls (workflows/pathway_steps)."""
        if not workflow.patched(ONE_CALL_PATCH):
            await self._apply_in_steps(inp)
            return
        result = await calls.record(
            RecordActionInput(
                workflow_id=workflow.info().workflow_id,
                state=self.state,
                started=self.started,
                action=inp,
                now=workflow.now(),
            )
        )
        if result.outcome is ActionOutcome.REFUSED_BY_POLICY:
            self._refuse(Failure.REFUSED_BY_POLICY, result.reason or "")
        if result.outcome is ActionOutcome.POLICY_UNAVAILABLE or result.state is None:
            await self._refuse_for_policy(inp, result.reason or "")
        self._advance(result.state, inp)

    def _advance(self, new: PathwayState, inp: ActionInput) -> None:
        """The action is written: its state becomes the pathway's."""
        self.state, self.started = new, True
        if inp.submission_id is not None:
            self.recent = [*self.recent, inp.submission_id][-RECENT_SUBMISSIONS:]
        self._publish()

    async def _refuse_for_policy(self, inp: ActionInput, reason: str) -> NoReturn:
        """No usable policy: the action is refused, nothing changes, the coordinator is told."""
        dep = self.state.departement
        await calls.alert_policy_failure(
            PolicyFailureInput(
                household_id=self.state.household_id,
                departement=dep,
                action=inp.action,
                reason=reason,
            )
        )
        raise ApplicationError(
            f"Les règles du département {dep} ne peuvent pas être appliquées pour le moment ; "
            "rien n'a changé et la coordination est alertée. Réessayez plus tard.",
            {"stage": self.state.stage.value if self.started else None},
            type=Failure.POLICY_UNAVAILABLE.value,
            non_retryable=True,
        )

    def _publish(self) -> None:
        """Make the state visible: allowed actions, search attributes, current details."""
        self.state.allowed_actions = self._allowed()
        if not self.started:
            return
        values: dict[SearchAttributeKey, object] = {
            sa.DEPARTEMENT: self.state.departement,
            sa.STAGE: self.state.stage.value,
            sa.OVERDUE: self.state.overdue,
            sa.NEXT_DEADLINE: self.state.next_deadline,
            sa.REFERENT_STRUCTURE: self.state.referent_structure,
        }
        changed = [k for k, v in values.items() if self.published.get(k.name, ...) != v]
        if changed:  # an upsert is a history event: send only what moved
            workflow.upsert_search_attributes(
                [
                    k.value_set(values[k]) if values[k] is not None else k.value_unset()
                    for k in changed
                ]
            )
            self.published.update({k.name: values[k] for k in changed})
        workflow.set_current_details(presentation.current_details(self.state))

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return self.started and (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > self.history_limit
        )
