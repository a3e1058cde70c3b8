"""The vacancy protocol's pure rules: what each update may do in the current state (and why
not, in French), when the workflow wakes up next, and what the Temporal UI shows. No I/O, no
clock: the workflow passes its state and inputs (tests read them without a server)."""

from datetime import datetime

from models.protocol import REASON_PARTY, ProposalStatus, ProtocolStep, StallReason, StallRecipient
from models.vacancy import AdmitInput, AnswerInput, ProposalState, ProposeInput, VacancyState
from models.vocab_orientation import RefusalReason, RefusedBy

P, Step = ProposalStatus, ProtocolStep
# The delay each wait runs on, and what its stall alert says.
WAITS: dict[ProposalStatus, tuple[str, StallReason]] = {
    P.AWAITING_MANAGER: ("manager_answer", StallReason.STRUCTURE_ANSWER),
    P.AWAITING_HOUSEHOLD: ("household_answer", StallReason.HOUSEHOLD_ANSWER),
    P.ACCEPTED: ("admission", StallReason.ADMISSION),
}
ANSWERS: dict[RefusedBy, frozenset[ProposalStatus]] = {  # who answers at which status
    RefusedBy.STRUCTURE: frozenset({P.AWAITING_MANAGER}),
    RefusedBy.MENAGE: frozenset({P.AWAITING_HOUSEHOLD, P.ACCEPTED}),  # accepted: a withdrawal
    RefusedBy.ADMINISTRATIF: frozenset({P.AWAITING_MANAGER, P.AWAITING_HOUSEHOLD, P.ACCEPTED}),
}
OPEN = (Step.AWAITING_PROPOSAL, Step.AWAITING_ANSWERS)  # proposals are taken
DONE = (Step.FILLED, Step.WITHDRAWN)


def propose_refusal(state: VacancyState, inp: ProposeInput) -> str | None:
    per_unit = state.terms.delays.households_per_unit if state.terms else 1
    if state.step not in OPEN:
        return f"la vacance n'attend plus de proposition ({state.step.label})"
    if state.proposal(inp.household_id) is not None:
        return "ce ménage a déjà été proposé sur cette vacance"
    if len(state.active) >= per_unit:
        return f"déjà {per_unit} ménage(s) proposé(s) pour cette place, selon la politique"
    return None


def answer_refusal(state: VacancyState, inp: AnswerInput) -> str | None:
    proposal = state.proposal(inp.household_id)
    if proposal is None or not proposal.active:
        return "aucune proposition en cours pour ce ménage sur cette vacance"
    if proposal.status not in ANSWERS[inp.party]:
        return f"{inp.party.label} ne répond pas à cette étape ({proposal.status.label})"
    if inp.accepted and inp.party is RefusedBy.ADMINISTRATIF:
        return "un motif administratif ne peut que clore la proposition"
    if inp.accepted and proposal.status is P.ACCEPTED:
        return "la proposition est déjà acceptée : enregistrez l'admission"
    if not inp.accepted:
        if inp.reason is None:
            return "un refus doit être motivé"
        owner = REASON_PARTY.get(inp.reason)
        if owner is not None and owner is not inp.party:
            return f"le motif « {inp.reason.label} » appartient à {owner.label}"
    late = inp.party is not RefusedBy.ADMINISTRATIF and proposal.status is not P.ACCEPTED
    if late and inp.occurred_at > proposal.due_at:
        when = proposal.due_at.strftime("%d/%m/%Y %H:%M")
        return (
            f"délai de réponse dépassé (échéance du {when} UTC) : la coordination clôt la "
            "proposition avec le motif « orientation expirée »"
        )
    return None


def admit_refusal(state: VacancyState, inp: AdmitInput) -> str | None:
    proposal = state.proposal(inp.household_id)
    if proposal is None or proposal.status is not P.ACCEPTED:
        return "l'admission suit l'acceptation de la structure et du ménage"
    if inp.admitted_on < proposal.proposed_at.date():
        return "la date d'admission précède la proposition"
    return None


def filled_by_another(other: ProposalState, inp: AnswerInput) -> AnswerInput:
    """The household accepted: the vacancy's other proposals close, « place pourvue »."""
    return AnswerInput(
        household_id=other.household_id,
        party=RefusedBy.ADMINISTRATIF,
        accepted=False,
        reason=RefusalReason.PLACE_POURVUE,
        actor=inp.actor,
        occurred_at=inp.occurred_at,
    )


def due(level: int, due_at: datetime | None, escalate_at: datetime | None) -> datetime | None:
    """When a wait alerts next: at its due date, then at its escalation; never a third time."""
    return (due_at if level == 0 else escalate_at) if level < 2 else None


def next_wakeup(state: VacancyState) -> datetime | None:
    times = [due(p.stall_level, p.due_at, p.escalate_at) for p in state.active]
    if state.propose_due and not state.active:
        times.append(due(state.propose_stall_level, state.propose_due, state.propose_escalate_at))
    found = [t for t in times if t is not None]
    return min(found) if found else None


def recipient(level: int) -> StallRecipient:
    """The structure's contact first, then the coordinator."""
    return StallRecipient.STRUCTURE if level == 0 else StallRecipient.COORDINATOR


def overdue(state: VacancyState) -> bool:
    return state.propose_stall_level > 0 or any(p.stall_level > 0 for p in state.active)


def timer_summary(state: VacancyState) -> str:
    if state.active:
        return f"Vacance : {WAITS[state.active[0].status][1].label}"
    return "Vacance : proposition d'un ménage attendue"


def current_details(state: VacancyState) -> str:
    """What the Temporal UI shows: ids and codes only."""
    lines = [f"**{state.step.label}** — place {state.place_id} ({state.kind.label})"]
    lines += [f"- ménage {p.household_id[:8]}… : {p.status.label}" for p in state.proposals]
    if state.terms:
        lines.append(f"Protocole : politique {state.terms.policy_version}")
    return "\n".join(lines)


def stalled(p: ProposalState, now: datetime) -> bool:
    when = due(p.stall_level, p.due_at, p.escalate_at)
    return when is not None and when <= now
