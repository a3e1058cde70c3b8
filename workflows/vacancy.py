"""VacancyWorkflow (`vacance-<place>-<n>`): one vacancy's orientation protocol, from its
declaration to an admission, with the delays of its structure kind from the département's policy.

The SIAO proposes households (up to the policy's number per unit); the structure answers, then
the household; a refusal frees the place for the next candidate, an acceptance withdraws the
other proposals, the admission fills the place. Every move of a household goes through its
pathway's own update (an activity): the pathway stays the judge of what the household may do.
A wait past its delay alerts the structure's contact, then the coordinator.
"""

import asyncio
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.failures import Failure
    from models.offer import PlaceStatus
    from models.pathway import Action, add_duration
    from models.protocol import (
        HOUSING_KINDS,
        Consequence,
        ProposalStatus,
        ProtocolStep,
        ProtocolTerms,
        StallReason,
        StallRecipient,
    )
    from models.vacancy import (
        AdmitInput,
        AnswerInput,
        PathwayCallInput,
        ProposalState,
        ProposeInput,
        StallInput,
        VacancyInput,
        VacancyRecordInput,
        VacancyState,
    )
    from models.vocab_orientation import RefusedBy
    from workflows import protocol as rules
    from workflows import protocol_calls as calls
    from workflows import search_attributes as sa

P, Step = ProposalStatus, ProtocolStep


@workflow.defn(name="VacancyWorkflow")
class VacancyWorkflow:
    @workflow.init
    def __init__(self, inp: VacancyInput) -> None:
        self.inp = inp
        self.state = VacancyState(
            vacancy_id=inp.vacancy_id,
            place_id=inp.place_id,
            departement=inp.departement,
            kind=inp.kind,
        )
        self.lock = asyncio.Lock()

    @property
    def terms(self) -> ProtocolTerms:
        assert self.state.terms is not None
        return self.state.terms

    @workflow.run
    async def run(self, inp: VacancyInput) -> VacancyState:
        terms = await calls.terms(inp)
        self.state.propose_due = add_duration(inp.declared_at, terms.delays.propose)
        self.state.terms = terms  # updates wait for it (_ready)
        async with self.lock:
            await calls.record(VacancyRecordInput(vacancy=inp, step=self.state.step))
            self._publish()
        while self.state.step not in (Step.FILLED, Step.WITHDRAWN):
            due = rules.next_wakeup(self.state)
            try:
                await workflow.wait_condition(
                    lambda due=due: (  # type: ignore[misc]
                        rules.next_wakeup(self.state) != due
                        or self.state.step in (Step.FILLED, Step.WITHDRAWN)
                    ),
                    timeout=max(due - workflow.now(), timedelta(seconds=1)) if due else None,
                    timeout_summary=rules.timer_summary(self.state) if due else None,
                )
            except TimeoutError:
                await self._stalls()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    @workflow.query
    def state_query(self) -> VacancyState:
        return self.state

    # -- proposing --------------------------------------------------------------------------
    @workflow.update
    async def propose(self, inp: ProposeInput) -> VacancyState:
        await self._ready()
        async with self.lock:
            self._check_propose(inp)
            sequence = len(self.state.proposals) + 1
            await self._pathway(inp.household_id, Action.ORIENTATION, sequence, inp)
            delays = self.terms.delays
            proposal = ProposalState(
                household_id=inp.household_id,
                status=P.AWAITING_MANAGER,
                proposed_at=inp.occurred_at,
                due_at=add_duration(inp.occurred_at, delays.manager_answer),
            )
            self.state.proposals.append(proposal)
            self.state.propose_due = None
            self.state.step = Step.AWAITING_ANSWERS
            await self._record(proposal, place_to=PlaceStatus.PROPOSED)
            return self.state

    @propose.validator
    def validate_propose(self, inp: ProposeInput) -> None:
        self._check_propose(inp)

    def _check_propose(self, inp: ProposeInput) -> None:
        self._refuse_if(rules.propose_refusal(self.state, inp))

    # -- answering --------------------------------------------------------------------------
    @workflow.update
    async def answer(self, inp: AnswerInput) -> VacancyState:
        await self._ready()
        async with self.lock:
            proposal = self._check_answer(inp)
            now = inp.occurred_at
            if not inp.accepted:
                await self._refusal(proposal, inp)
            elif inp.party is RefusedBy.STRUCTURE:
                proposal.status, proposal.stall_level, proposal.escalate_at = (
                    P.AWAITING_HOUSEHOLD,
                    0,
                    None,
                )
                proposal.due_at = add_duration(now, self.terms.delays.household_answer)
                await self._record(proposal)
            else:
                sequence = self.state.proposals.index(proposal) + 1
                await self._pathway(inp.household_id, Action.ACCEPT_ORIENTATION, sequence, inp)
                proposal.status, proposal.accepted_at = P.ACCEPTED, now
                proposal.stall_level, proposal.escalate_at = 0, None
                proposal.due_at = add_duration(now, self.terms.delays.admission)
                self.state.step = Step.AWAITING_ADMISSION
                await self._record(proposal)
                for other in [p for p in self.state.active if p is not proposal]:
                    await self._refusal(other, rules.filled_by_another(other, inp))
            return self.state

    @answer.validator
    def validate_answer(self, inp: AnswerInput) -> None:
        self._check_answer(inp)

    def _check_answer(self, inp: AnswerInput) -> ProposalState:
        self._refuse_if(rules.answer_refusal(self.state, inp))
        proposal = self.state.proposal(inp.household_id)
        assert proposal is not None
        return proposal

    async def _refusal(self, proposal: ProposalState, inp: AnswerInput) -> None:
        """Refuse on the pathway (already out of it: the protocol goes on), apply the reason's
        consequence, free the place when no proposal is left."""
        assert inp.reason is not None
        sequence = self.state.proposals.index(proposal) + 1
        try:
            await self._pathway(inp.household_id, Action.REFUSE_ORIENTATION, sequence, inp)
        except ApplicationError as exc:
            if exc.type != Failure.ACTION_NOT_ALLOWED.value:
                raise
            workflow.logger.warning("pathway_left_already", extra={"vacancy": self.inp.vacancy_id})
        declined = proposal.status is P.ACCEPTED and inp.party is RefusedBy.MENAGE
        proposal.status, proposal.refused_by, proposal.reason = P.REFUSED, inp.party, inp.reason
        rule = self.terms.consequence(inp.reason)
        parked = (
            add_duration(inp.occurred_at, rule.duration)
            if rule.consequence is Consequence.PARK and rule.duration
            else None
        )
        free = not self.state.active
        if free:
            self.state.step = Step.AWAITING_PROPOSAL
            self.state.propose_due = add_duration(inp.occurred_at, self.terms.delays.propose)
            self.state.propose_stall_level, self.state.propose_escalate_at = 0, None
        await self._record(
            proposal,
            place_to=PlaceStatus.VACANT if free else None,
            consequence=rule.consequence,
            parked_until=parked,
            declined=declined,
        )
        if declined:  # a household that declines after accepting: the coordinator is told
            await self._alert(StallReason.DECLINED, StallRecipient.COORDINATOR, proposal, 0)

    # -- admission ----------------------------------------------------------------------------
    @workflow.update
    async def admit(self, inp: AdmitInput) -> VacancyState:
        await self._ready()
        async with self.lock:
            proposal = self._check_admit(inp)
            action = Action.HOUSING if self.inp.kind in HOUSING_KINDS else Action.ADMISSION
            sequence = self.state.proposals.index(proposal) + 1
            await self._pathway(inp.household_id, action, sequence, inp, inp.admitted_on)
            proposal.status = P.ADMITTED
            self.state.step, self.state.filled_by = Step.FILLED, inp.household_id
            await self._record(proposal, place_to=PlaceStatus.OCCUPIED, admitted_on=inp.admitted_on)
            return self.state

    @admit.validator
    def validate_admit(self, inp: AdmitInput) -> None:
        self._check_admit(inp)

    def _check_admit(self, inp: AdmitInput) -> ProposalState:
        self._refuse_if(rules.admit_refusal(self.state, inp))
        proposal = self.state.proposal(inp.household_id)
        assert proposal is not None
        return proposal

    # -- stalls -------------------------------------------------------------------------------
    async def _stalls(self) -> None:
        """Each wait past its date alerts the structure's contact, then the coordinator."""
        async with self.lock:
            now, s = workflow.now(), self.state
            escalation = self.terms.delays.escalation
            level = s.propose_stall_level
            waiting = rules.due(level, s.propose_due, s.propose_escalate_at)
            if s.propose_due and not s.active and waiting is not None and waiting <= now:
                await self._alert(StallReason.NO_PROPOSAL, rules.recipient(level), None, level)
                s.propose_stall_level = level + 1
                s.propose_escalate_at = add_duration(now, escalation) if level == 0 else None
            for p in [p for p in s.active if rules.stalled(p, now)]:
                reason = rules.WAITS[p.status][1]
                await self._alert(reason, rules.recipient(p.stall_level), p, p.stall_level)
                p.stall_level += 1
                p.escalate_at = add_duration(now, escalation) if p.stall_level == 1 else None
            self._publish()

    async def _alert(
        self, reason: StallReason, to: StallRecipient, p: ProposalState | None, level: int
    ) -> None:
        due = p.due_at if p is not None else (self.state.propose_due or workflow.now())
        await calls.stall(
            StallInput(
                vacancy=self.inp,
                reason=reason,
                recipient=to,
                household_id=p.household_id if p is not None else None,
                due_at=due,
                level=level,
            )
        )

    # -- plumbing -----------------------------------------------------------------------------
    async def _ready(self) -> None:
        """An update delivered with the start runs before `run` has the policy's terms."""
        await workflow.wait_condition(lambda: self.state.terms is not None)

    async def _pathway(
        self,
        household_id: str,
        action: Action,
        sequence: int,
        inp: ProposeInput | AnswerInput | AdmitInput,
        started_on: date | None = None,
    ) -> None:
        call = PathwayCallInput.of(self.inp, household_id, action, sequence, inp, started_on)
        await calls.pathway(call)

    async def _record(
        self,
        proposal: ProposalState,
        place_to: PlaceStatus | None = None,
        consequence: Consequence | None = None,
        parked_until: datetime | None = None,
        declined: bool = False,
        admitted_on: date | None = None,
    ) -> None:
        await calls.record(
            VacancyRecordInput(
                vacancy=self.inp,
                step=self.state.step,
                proposal=proposal,
                consequence=consequence,
                parked_until=parked_until,
                declined_after_accepting=declined,
                admitted_on=admitted_on,
                place_to=place_to,
            )
        )
        self._publish()

    def _refuse_if(self, reason: str | None) -> None:
        if reason is not None:
            raise ApplicationError(
                f"Action refusée : {reason}.",
                type=Failure.ACTION_NOT_ALLOWED.value,
                non_retryable=True,
            )

    def _publish(self) -> None:
        s = self.state
        values: dict[SearchAttributeKey, object] = {
            sa.DEPARTEMENT: s.departement,
            sa.STAGE: s.step.value,
            sa.OVERDUE: rules.overdue(s),
            sa.NEXT_DEADLINE: rules.next_wakeup(s),
        }
        workflow.upsert_search_attributes(
            [k.value_set(v) if v is not None else k.value_unset() for k, v in values.items()]
        )
        workflow.set_current_details(rules.current_details(s))
