"""How a pathway recorded an action before one local activity did it all (ONE_CALL_PATCH):
the rules asked in one call, the planning done here, the records written in a second call. Kept,
unchanged, for the runs that began before: they replay as they ran (tests/histories v1–v5). A
part of PathwayWorkflow, kept apart to keep each file readable."""

from typing import NoReturn

from temporalio import workflow

from workflows.pathway_patches import (
    EXACTLY_ONCE_PATCH,
    RULES_PATCH,
    SOLICITATION_PATCH,
    TIME_FACTS_PATCH,
)

with workflow.unsafe.imports_passed_through():
    from models.decisions import DeadlineDurations, Effects, Evaluation
    from models.failures import Failure
    from models.pathway import ActionInput, PathwayState
    from models.transitions import FROM_FACTS, next_stage
    from rules import planning
    from rules.vocabulary import RuleFacts
    from workflows import calls


class ActionInSteps:
    """Mixed into PathwayWorkflow, which provides the state, the refusals and `_advance`."""

    state: PathwayState
    started: bool

    def _refuse(self, failure: Failure, reason: str) -> NoReturn:
        raise NotImplementedError

    async def _refuse_for_policy(self, inp: ActionInput, reason: str) -> NoReturn:
        raise NotImplementedError

    def _advance(self, new: PathwayState, inp: ActionInput) -> None:
        raise NotImplementedError

    async def _apply_in_steps(self, inp: ActionInput) -> None:
        """Plan the action, write it, then (only then) make it the pathway's state."""
        state = self.state
        before = state.stage if self.started else None
        after = next_stage(before, inp.action)
        changed = inp.accompaniment_intensity not in (None, state.accompaniment_intensity)
        kept, to_arm = planning.deadline_plan(state.deadlines, inp.action, before, after, changed)
        if to_arm & FROM_FACTS and not workflow.patched(TIME_FACTS_PATCH):
            to_arm -= FROM_FACTS  # a pathway begun before them replays as it ran
        new = planning.after_action(state, inp, before, after)
        evaluation: Evaluation | None = None
        facts: RuleFacts | None = None
        effects: Effects | None = None
        failure: str | None = None
        durations: DeadlineDurations | str | None = None
        if workflow.patched(RULES_PATCH):  # pathways started before the rules engine skip it
            facts = planning.rule_facts(new, planning.EVENT_OF[inp.action], workflow.now())
            outcome = await calls.evaluate(state.departement, facts)
            if isinstance(outcome, Evaluation):
                evaluation, durations = outcome, outcome.deadlines
                effects = planning.apply_decisions(new, evaluation)
                refused = planning.policy_refusal(inp, effects)
                if refused is not None and workflow.patched(SOLICITATION_PATCH):
                    self._refuse(Failure.REFUSED_BY_POLICY, refused)
            else:  # applied with the last accepted policy's deadlines, without its decisions
                failure, durations = outcome, await calls.deadlines(state.departement)
        elif to_arm:
            durations = await calls.deadlines(state.departement)
        if isinstance(durations, str):
            await self._refuse_for_policy(inp, failure or durations)
            return
        try:
            armed = planning.arm(
                to_arm,
                durations,
                new.accompaniment_intensity,
                inp.occurred_at,
                effects.deadlines if effects else {},
                new.facts,
            )
        except planning.PLANNING_ERRORS as exc:  # e.g. a duration too long for the calendar
            await self._refuse_for_policy(inp, f"échéance incalculable ({type(exc).__name__})")
            return
        new.deadlines = kept + armed
        applied = await calls.apply(
            planning.to_record(
                state,
                inp,
                new,
                workflow.info().workflow_id,
                before,
                evaluation=evaluation,
                effects=effects,
                facts=facts,
                failure=failure,
            )
        )
        # `applied` is False when the records were already written: by this very update before
        # a crash (so advance), never by another one (those are answered from `recent`).
        if applied or not self.started or workflow.patched(EXACTLY_ONCE_PATCH):
            self._advance(new, inp)
