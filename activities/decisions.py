"""Writing down what the rules decided: on the household, as alerts, in the timeline detail."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.decisions import Evaluation
from models.records import Alert, Household


def decision_detail(evaluation: Evaluation | None) -> dict[str, Any]:
    """The timeline's trace of a decision: which rules, which version, which actions."""
    if evaluation is None:
        return {}
    return {
        "policy_id": evaluation.policy_id,
        "policy_version": evaluation.policy_version,
        "rules_fired": evaluation.fired,
        "decisions": [d.model_dump() for d in evaluation.decisions],
    }


def record_decisions(
    session: Session,
    household: Household,
    evaluation: Evaluation | None,
    facts: dict[str, Any],
    *,
    kind: str,
    due_at: datetime,
) -> None:
    """Apply an evaluation's lasting effects to the household and raise its alerts."""
    if evaluation is None:
        return
    if facts:
        household.facts = facts
    for decision in evaluation.decisions:
        params = decision.params
        if decision.action == "route_to_partnership_commission":
            household.partnership_commission = params.get("reason")
        elif decision.action == "assign_thematic_referent":
            household.thematic_referents = sorted({*household.thematic_referents, params["theme"]})
        elif decision.action == "flag":
            household.flags = sorted({*household.flags, params["kind"]})
        elif decision.action == "escalate":
            session.add(
                Alert(
                    household_id=household.id,
                    kind=kind,
                    recipient=params["to"],
                    recipient_structure=household.referent_structure
                    if params["to"] == "lead_referent"
                    else None,
                    due_at=due_at,
                    policy_version=evaluation.policy_version,
                    reason=params.get("reason"),
                    rule_id=decision.rule_id,
                )
            )


POLICY_FAILURE = "policy_failure"  # alert kind: the rules could not be evaluated


def policy_failure_alert(
    household_id: str, departement: str, reason: str, due_at: datetime
) -> Alert:
    """An alert to the coordinator naming the département and the error (no personal data)."""
    return Alert(
        household_id=household_id,
        kind=POLICY_FAILURE,
        recipient="coordinator",
        recipient_structure=None,
        due_at=due_at,
        policy_version="inconnue",
        reason=f"règles du département {departement} non appliquées : {reason}"[:300],
    )
