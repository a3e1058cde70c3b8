"""The vacancy protocol's pure rules (workflows/protocol.py), without a server: who may answer
when, what a late answer gets, how many households a unit takes, when the workflow wakes up."""

from datetime import UTC, datetime, timedelta

from models.offer import StructureKind
from models.protocol import ProposalStatus, ProtocolDelays, ProtocolTerms, StallRecipient
from models.vacancy import AnswerInput, ProposalState, ProposeInput, VacancyState
from models.vocab_orientation import RefusalReason, RefusedBy
from workflows import protocol as rules

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
P = ProposalStatus


def state(per_unit: int = 1, *proposals: ProposalState) -> VacancyState:
    terms = ProtocolTerms(policy_version="t", delays=ProtocolDelays(households_per_unit=per_unit))
    return VacancyState(
        vacancy_id="vacance-1-1",
        place_id=1,
        departement="75",
        kind=StructureKind.CHRS,
        terms=terms,
        proposals=list(proposals),
        propose_due=None if proposals else NOW + timedelta(days=3),
    )


def proposal(
    hid: str, status: ProposalStatus, due_in: timedelta = timedelta(days=7)
) -> ProposalState:
    return ProposalState(household_id=hid, status=status, proposed_at=NOW, due_at=NOW + due_in)


def answer(
    hid: str, party: RefusedBy, reason: RefusalReason | None = None, at: datetime = NOW
) -> AnswerInput:
    return AnswerInput(
        household_id=hid,
        party=party,
        accepted=reason is None,
        reason=reason,
        actor="t",
        occurred_at=at,
    )


def test_households_per_unit_and_no_second_proposal_of_the_same_household() -> None:
    one = state(1, proposal("a", P.AWAITING_MANAGER))
    assert "déjà 1 ménage" in (
        rules.propose_refusal(one, ProposeInput(household_id="b", actor="t", occurred_at=NOW)) or ""
    )
    three = state(3, proposal("a", P.AWAITING_MANAGER))
    assert (
        rules.propose_refusal(three, ProposeInput(household_id="b", actor="t", occurred_at=NOW))
        is None
    )
    assert "déjà été proposé" in (
        rules.propose_refusal(three, ProposeInput(household_id="a", actor="t", occurred_at=NOW))
        or ""
    )


def test_who_answers_when_and_with_which_reason() -> None:
    s = state(1, proposal("a", P.AWAITING_MANAGER))
    assert rules.answer_refusal(s, answer("a", RefusedBy.STRUCTURE)) is None
    assert "ne répond pas à cette étape" in (
        rules.answer_refusal(s, answer("a", RefusedBy.MENAGE)) or ""
    )
    wrong = answer("a", RefusedBy.STRUCTURE, RefusalReason.LOCALISATION)  # the household's reason
    assert "appartient" in (rules.answer_refusal(s, wrong) or "")
    assert rules.answer_refusal(s, answer("a", RefusedBy.STRUCTURE, RefusalReason.AUTRE)) is None
    accepted = state(1, proposal("a", P.ACCEPTED))
    # A household may still decline after accepting (an alert follows); it cannot accept twice.
    assert (
        rules.answer_refusal(accepted, answer("a", RefusedBy.MENAGE, RefusalReason.PAS_MAINTENANT))
        is None
    )
    assert "déjà acceptée" in (rules.answer_refusal(accepted, answer("a", RefusedBy.MENAGE)) or "")


def test_a_late_answer_is_refused_but_the_coordinator_may_close_it() -> None:
    s = state(1, proposal("a", P.AWAITING_MANAGER, timedelta(days=7)))
    late = NOW + timedelta(days=8)
    assert "délai de réponse dépassé" in (
        rules.answer_refusal(s, answer("a", RefusedBy.STRUCTURE, at=late)) or ""
    )
    closing = answer("a", RefusedBy.ADMINISTRATIF, RefusalReason.ORIENTATION_EXPIREE, late)
    assert rules.answer_refusal(s, closing) is None


def test_wakeups_and_recipients() -> None:
    empty = state(1)
    assert rules.next_wakeup(empty) == NOW + timedelta(days=3)
    waiting = proposal("a", P.AWAITING_MANAGER, timedelta(days=7))
    assert rules.next_wakeup(state(1, waiting)) == NOW + timedelta(days=7)
    waiting.stall_level, waiting.escalate_at = 1, NOW + timedelta(days=10)
    assert rules.next_wakeup(state(1, waiting)) == NOW + timedelta(days=10)
    waiting.stall_level = 2  # structure then coordinator told: no third alert
    assert rules.next_wakeup(state(1, waiting)) is None
    assert [rules.recipient(n) for n in (0, 1)] == [
        StallRecipient.STRUCTURE,
        StallRecipient.COORDINATOR,
    ]
    assert rules.overdue(state(1, waiting))
