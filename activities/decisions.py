"""Writing down what the rules decided: on the household, as alerts, in the timeline detail."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.decisions import Effects, Evaluation
from models.records import Alert, AlertKind, Household
from models.vocab import Recipient


def decision_detail(evaluation: Evaluation | None) -> dict[str, Any]:
    """The timeline's trace of a decision: which rules, which version, which actions."""
    if evaluation is None:
        return {}
    return {
        "policy_id": evaluation.policy_id,
        "policy_version": evaluation.policy_version,
        "rules_fired": evaluation.fired,
        "decisions": [d.model_dump(mode="json") for d in evaluation.decisions],
    }


def record_decisions(
    session: Session,
    household: Household,
    evaluation: Evaluation | None,
    facts: dict[str, Any],
    *,
    kind: AlertKind,
    due_at: datetime,
    effects: Effects | None = None,
) -> None:
    """Write what the workflow planned from an evaluation (`effects`): its lasting effects on the
    household, its alerts. Without them (a task scheduled by an older worker) they are read from
    the evaluation by the same interpreter, models/decisions.py."""
    if evaluation is None:
        return
    if facts:
        household.facts = facts
        household.vulnerability = facts.get("vulnerability") or household.vulnerability
    effects = effects if effects is not None else evaluation.effects()
    effects.onto(household)
    for escalation in effects.escalations:
        to = escalation.params.to
        session.add(
            Alert(
                household_id=household.id,
                kind=kind,
                recipient=to,
                recipient_structure=household.referent_structure
                if to is Recipient.LEAD_REFERENT
                else None,
                due_at=due_at,
                policy_version=evaluation.policy_version,
                reason=escalation.params.reason,
                rule_id=escalation.rule_id,
            )
        )


def policy_failure_alert(
    household_id: str, departement: str, reason: str, due_at: datetime
) -> Alert:
    """An alert to the coordinator naming the département and the error (no personal data)."""
    return Alert(
        household_id=household_id,
        kind=AlertKind.POLICY_FAILURE,
        recipient=Recipient.SIAO_COORDINATOR,
        recipient_structure=None,
        due_at=due_at,
        policy_version="inconnue",
        reason=f"règles du département {departement} non appliquées : {reason}"[:300],
    )
