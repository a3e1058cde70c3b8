"""Decisions typed once: every action of the vocabulary has a typed model and an effect, read in
one place; the facts the rules see are typed as the vocabulary declares them; refusals cross to
the API as ActionRefused. Pure and fast: no server, no engine."""

import json
import types
import typing
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.actions import _refused
from api.facts import RecordedFacts
from models.decisions import (
    DECISION,
    Decision,
    DecisionAction,
    Effects,
    Evaluation,
    decision,
)
from models.failures import REFUSALS, Failure
from models.pathway import Action, ActionInput, DeadlineKind, PathwayState, Stage
from models.records import Household
from models.vocab import AccompanimentIntensity
from rules import planning
from rules.checks import static_issues
from rules.document import parse_document
from rules.vocabulary import ACTIONS, FACTS, Event, ParamSpec, RuleFacts, default_facts

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DURATIONS = {
    "flash": "PT72H",
    "in_depth": "P2M",
    "orientation_response": "P10D",
    "reevaluation": {"leger": "P6M", "moyen": "P3M", "intensif": "P21D"},
    "review": "P2M",
    "follow_up_window": "P2Y",
    "policy_id": "75",
    "policy_version": "1",
}


def example(spec: ParamSpec) -> str:
    """A valid value of a parameter, as a policy file would write it."""
    if spec.codes is not None:
        return next(iter(spec.codes)).value
    return "P1D" if spec.kind == "duration" else "un motif"


def example_decision(action: str) -> dict[str, Any]:
    params = {name: example(spec) for name, spec in ACTIONS[action].params.items()}
    return {"rule_id": f"regle-{action}", "action": action, "params": params}


def evaluation(*decisions: dict[str, Any]) -> Evaluation:
    return Evaluation.model_validate(
        {"policy_id": "75", "policy_version": "1", "decisions": decisions, "deadlines": DURATIONS}
    )


# -- the actions -----------------------------------------------------------------------------


def test_the_vocabulary_publishes_exactly_the_typed_actions() -> None:
    assert set(ACTIONS) == set(DecisionAction)
    members = get_args(get_args(Decision)[0])  # Annotated[A | B | …, discriminator]
    typed = [get_args(m.model_fields["action"].annotation)[0] for m in members]
    assert sorted(typed) == sorted(DecisionAction)


@pytest.mark.parametrize("action", list(DecisionAction))
def test_every_action_has_a_parameter_model_like_its_vocabulary_entry(action) -> None:
    model = type(decision("r", action, example_decision(action)["params"]))
    params: type[BaseModel] = model.model_fields["params"].annotation  # type: ignore[assignment]
    spec = ACTIONS[action]
    assert set(params.model_fields) == set(spec.params), action
    for name, param in spec.params.items():
        annotation = params.model_fields[name].annotation
        if param.codes is not None:
            assert annotation is param.codes, (action, name)
        else:
            assert annotation is str, (action, name)
    assert spec.label == action.label


@pytest.mark.parametrize("action", list(DecisionAction))
def test_every_action_has_an_effect(action) -> None:
    """An action of the vocabulary that changes nothing would be a promise broken silently."""
    assert evaluation(example_decision(action)).effects() != Effects(), action


def test_recorded_decisions_keep_their_json() -> None:
    """As in tests/histories: action and parameter names as the policy wrote them."""
    recorded = {
        "rule_id": "escalade-referent",
        "action": "escalate",
        "params": {"to": "lead_referent", "reason": "Évaluation en retard"},
    }
    typed = DECISION.validate_json(json.dumps(recorded))
    assert json.loads(DECISION.dump_json(typed)) == recorded
    state = PathwayState(household_id="h", departement="75", last_decisions=[typed])
    again = PathwayState.model_validate_json(state.model_dump_json())
    assert again.last_decisions == [typed]
    assert typed.as_written() == recorded["params"]


def test_an_unknown_action_or_code_is_refused() -> None:
    with pytest.raises(ValueError):
        decision("r", "send_flowers", {})
    with pytest.raises(ValueError):
        decision("r", "flag", {"kind": "pas_un_signalement"})


def test_state_and_household_receive_the_same_lasting_effects() -> None:
    """One interpreter: what the workflow records and what the activity writes agree."""
    decided = evaluation(
        *(example_decision(a) for a in DecisionAction),
        {"rule_id": "x", "action": "flag", "params": {"kind": "ofii_list"}},
        {"rule_id": "y", "action": "flag", "params": {"kind": "ofii_list"}},
    )
    state = PathwayState(household_id="h", departement="75", flags=["dls_renewal"])
    household = Household.model_validate(
        {
            "id": "h",
            "departement": "75",
            "encountered_at": T0,
            "workflow_id": "w",
            "stage": Stage.REPORTED,
            "flags": ["dls_renewal"],
        }
    )
    effects = planning.apply_decisions(state, decided)
    effects.onto(household)
    for field in (
        "partnership_commission",
        "thematic_referents",
        "flags",
        "proposed_accompaniments",
    ):
        assert getattr(state, field) == getattr(household, field), field
    assert state.flags == ["dls_renewal", "dna_reorientation", "ofii_list"]  # each once
    assert state.last_decisions == decided.decisions
    assert effects.escalations and effects.deadlines and effects.solicitation_refused


def test_set_deadline_overrides_the_policy_duration() -> None:
    decided = evaluation(
        {"rule_id": "r", "action": "set_deadline", "params": {"kind": "flash", "duration": "PT24H"}}
    )
    effects = decided.effects()
    assert effects.deadlines == {DeadlineKind.FLASH: "PT24H"}
    (armed,) = planning.arm(
        {DeadlineKind.FLASH}, decided.deadlines, AccompanimentIntensity.MOYEN, T0, effects.deadlines
    )
    assert armed.due_at == T0 + timedelta(hours=24) and armed.duration == "PT24H"


# -- refuse_solicitation decides the landlord route ------------------------------------------


def solicitation(action: Action = Action.LANDLORD_SOLICITATION) -> ActionInput:
    return ActionInput(action=action, occurred_at=T0, actor="bailleur")


def test_refuse_solicitation_refuses_the_landlord_solicitation_only() -> None:
    refused = evaluation(
        {"rule_id": "r", "action": "refuse_solicitation", "params": {"reason": "droit à l'oubli"}}
    ).effects()
    why = planning.policy_refusal(solicitation(), refused)
    assert why is not None and "droit à l'oubli" in why and "refusée" in why
    assert planning.policy_refusal(solicitation(Action.FOLLOW_UP), refused) is None
    assert planning.policy_refusal(solicitation(), Effects()) is None


POLICY = """\
departement: "94"
version: "1"
effective_date: 2026-12-01
author: Test
description: essai
rules:
  - id: refus
    title: Refus sans événement
    when: {days_since_housing: {gt: 30}}
    then:
      - refuse_solicitation: {reason: "hors fenêtre"}
  - id: refus-sollicitation
    title: Refus d'une sollicitation
    when: {event: landlord_solicitation, days_since_housing: {gt: 30}}
    then:
      - refuse_solicitation: {reason: "hors fenêtre"}
"""


def test_a_policy_refusing_solicitations_must_name_the_event() -> None:
    issues = static_issues("94.yaml", parse_document("94.yaml", POLICY).rules)
    assert [i.field for i in issues] == ["rules.refus"]
    assert "landlord_solicitation" in issues[0].message


def test_refusals_cross_as_action_refused() -> None:
    message = "Action refusée : x."
    details = {"detail": message, "stage": "housed", "allowed_actions": ["exit"]}
    for failure in REFUSALS:
        error = _refused(
            WorkflowUpdateFailedError(ApplicationError(message, details, type=failure.value))
        )
        assert error.status == 409 and error.detail == message
        assert error.extra == {"stage": "housed", "allowed_actions": ["exit"]}
    older = ApplicationError(
        "Action refusée : y.",
        {"stage": "housed", "allowed_actions": []},
        type=Failure.ACTION_NOT_ALLOWED.value,
    )
    assert _refused(WorkflowUpdateFailedError(older)).detail == "Action refusée : y."
    unavailable = ApplicationError("indisponible", type=Failure.POLICY_UNAVAILABLE.value)
    assert _refused(WorkflowUpdateFailedError(unavailable)).status == 503


# -- the facts -------------------------------------------------------------------------------


def _codes(annotation: Any) -> set[type[Enum]]:
    """The enums a field's annotation admits (`Stage`, `list[Expertise]`, `PlaceType | ""`…)."""
    unions = (typing.Union, types.UnionType)
    args = get_args(annotation) if typing.get_origin(annotation) in unions else (annotation,)
    found = set()
    for arg in args:
        inner = get_args(arg)[0] if typing.get_origin(arg) is list else arg
        if isinstance(inner, type) and issubclass(inner, Enum):
            found.add(inner)
    return found


def test_rule_facts_are_the_vocabulary_facts() -> None:
    fields = RuleFacts.model_fields
    assert list(fields) == list(FACTS)
    assert RuleFacts().model_dump(mode="json") == default_facts()
    for name, spec in FACTS.items():
        annotation = fields[name].annotation
        if spec.kind in ("code", "codes"):
            assert _codes(annotation) == {spec.codes}, name
            assert (typing.get_origin(annotation) is list) == (spec.kind == "codes"), name
        else:
            assert annotation is {"int": int, "bool": bool}[spec.kind], name


def test_recorded_facts_the_rules_see_have_their_types() -> None:
    for name, field in RecordedFacts.model_fields.items():
        if name in FACTS:
            assert _codes(field.annotation) == _codes(RuleFacts.model_fields[name].annotation), name


def test_a_value_that_no_longer_reads_counts_as_not_said() -> None:
    facts = RuleFacts.read({"typology": "ancien_code", "members_count": 3, "commission": "unique"})
    assert facts.typology == "non_renseigne" and facts.members_count == 3


def test_every_action_is_an_event_of_the_rules() -> None:
    assert set(planning.EVENT_OF) == set(Action)
    assert len(set(planning.EVENT_OF.values())) == len(Action)
    assert all(isinstance(e, Event) for e in planning.EVENT_OF.values())


def test_no_error_type_is_spelt_outside_its_enum() -> None:
    root = Path(__file__).resolve().parent.parent
    for path in [
        "workflows/pathway.py",
        "workflows/calls.py",
        "activities/pathway.py",
        "api/actions.py",
    ]:
        text = (root / path).read_text()
        assert 'type="' not in text and not any(f'"{f.value}"' in text for f in Failure), path
