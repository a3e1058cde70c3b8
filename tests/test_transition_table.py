"""The transition table, pure: every stage × action × guard, without Temporal or a database.

The expected table is spelled out whole here, as the guide reads it, and compared with
`models/transitions.py` (built from rows, stage-keeping actions and exit); the workflow's refusal
texts come from `rules/planning.py`. The whole file runs in well under a second.
"""

import itertools
import re
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.pathway import Action, ActionInput, DeadlineKind, PathwayState, Stage
from models.transitions import (
    COMMISSION_AGENDA,
    FIRST_CONTACT,
    ON_EXPIRY,
    STAGE_DEADLINES,
    TRANSITIONS,
    Guard,
    GuardFacts,
    Refusal,
    allowed_actions,
    mermaid,
    next_stage,
    refused,
)
from models.vocab_orientation import CommissionKind, ExitSituation
from rules import planning

A, S = Action, Stage
NOT_STARTED = None  # a pathway not started yet has no stage: only the first contact

# (stage, action) -> next stage, in the order the allowed actions are published.
EXPECTED: dict[Stage | None, dict[Action, Stage]] = {
    NOT_STARTED: {A.REPORT: S.REPORTED},
    S.REPORTED: {A.FLASH_EVALUATION: S.FLASH_EVALUATED, A.EXIT: S.CLOSED},
    S.FLASH_EVALUATED: {A.IN_DEPTH_EVALUATION: S.IN_DEPTH_EVALUATED, A.EXIT: S.CLOSED},
    S.IN_DEPTH_EVALUATED: {
        A.COMMISSION_DECISION: S.COMMISSION,
        A.IN_DEPTH_EVALUATION: S.IN_DEPTH_EVALUATED,
        A.REVIEW: S.IN_DEPTH_EVALUATED,
        A.ACCOMPANIMENT_CHANGE: S.IN_DEPTH_EVALUATED,
        A.EXIT: S.CLOSED,
    },
    S.COMMISSION: {
        A.COMMISSION_DECISION: S.COMMISSION,
        A.ORIENTATION: S.ORIENTATION_PROPOSED,
        A.IN_DEPTH_EVALUATION: S.COMMISSION,
        A.REVIEW: S.COMMISSION,
        A.ACCOMPANIMENT_CHANGE: S.COMMISSION,
        A.EXIT: S.CLOSED,
    },
    S.ORIENTATION_PROPOSED: {
        A.ACCEPT_ORIENTATION: S.ORIENTATION_PROPOSED,
        A.REFUSE_ORIENTATION: S.COMMISSION,
        A.ADMISSION: S.ADMITTED,
        A.HOUSING: S.HOUSED,
        A.IN_DEPTH_EVALUATION: S.ORIENTATION_PROPOSED,
        A.REVIEW: S.ORIENTATION_PROPOSED,
        A.ACCOMPANIMENT_CHANGE: S.ORIENTATION_PROPOSED,
        A.EXIT: S.CLOSED,
    },
    S.ADMITTED: {
        A.COMMISSION_DECISION: S.COMMISSION,
        A.HOUSING: S.HOUSED,
        A.IN_DEPTH_EVALUATION: S.ADMITTED,
        A.REVIEW: S.ADMITTED,
        A.ACCOMPANIMENT_CHANGE: S.ADMITTED,
        A.EXIT: S.CLOSED,
    },
    S.HOUSED: {
        A.FOLLOW_UP: S.FOLLOW_UP,
        A.IN_DEPTH_EVALUATION: S.HOUSED,
        A.REVIEW: S.HOUSED,
        A.LANDLORD_SOLICITATION: S.HOUSED,
        A.ACCOMPANIMENT_CHANGE: S.HOUSED,
        A.EXIT: S.CLOSED,
    },
    S.FOLLOW_UP: {
        A.FOLLOW_UP: S.FOLLOW_UP,
        A.IN_DEPTH_EVALUATION: S.FOLLOW_UP,
        A.REVIEW: S.FOLLOW_UP,
        A.LANDLORD_SOLICITATION: S.FOLLOW_UP,
        A.ACCOMPANIMENT_CHANGE: S.FOLLOW_UP,
        A.EXIT: S.CLOSED,
    },
    S.CLOSED: {},
}
STAGES: list[Stage | None] = [NOT_STARTED, *Stage]
ALL_FACTS = [
    GuardFacts(accepted, routed, commission)
    for accepted, routed, commission in itertools.product(
        (False, True), (False, True), (None, *CommissionKind)
    )
]


def expected_refusal(stage: Stage | None, action: Action, f: GuardFacts) -> Refusal | Guard | None:
    if action not in EXPECTED[stage]:
        if stage is S.CLOSED:
            return Refusal.PATHWAY_CLOSED
        return Refusal.ALREADY_REPORTED if action is A.REPORT else Refusal.OUT_OF_STAGE
    if action is A.COMMISSION_DECISION and f.routed_to_partnership:
        return Guard.COMMISSION_OF_ROUTE if f.commission is CommissionKind.UNIQUE else None
    if stage is S.ORIENTATION_PROPOSED and action is A.ACCEPT_ORIENTATION:
        return Guard.ORIENTATION_PENDING if f.orientation_accepted else None
    if stage is S.ORIENTATION_PROPOSED and action in (A.ADMISSION, A.HOUSING):
        return None if f.orientation_accepted else Guard.ORIENTATION_ACCEPTED
    return None


def test_the_table_is_the_expected_one_in_its_published_order() -> None:
    assert EXPECTED[NOT_STARTED] == FIRST_CONTACT
    assert {s: row for s, row in EXPECTED.items() if s is not None} == TRANSITIONS
    for stage, row in EXPECTED.items():
        assert [*(FIRST_CONTACT if stage is None else TRANSITIONS[stage])] == [*row]


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s or "not_started")
def test_every_action_and_guard_of_a_stage(stage: Stage | None) -> None:
    for action, facts in itertools.product(Action, ALL_FACTS):
        why = refused(stage, action, facts)
        assert why is expected_refusal(stage, action, facts), (stage, action, facts)
        if action in EXPECTED[stage]:
            assert next_stage(stage, action) is EXPECTED[stage][action]
        else:
            with pytest.raises(KeyError):
                next_stage(stage, action)


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s or "not_started")
def test_allowed_actions_are_those_not_refused(stage: Stage | None) -> None:
    for accepted, routed in itertools.product((False, True), (False, True)):
        facts = GuardFacts(accepted, routed)  # no commission named: any may decide
        expected = [a for a in EXPECTED[stage] if expected_refusal(stage, a, facts) is None]
        assert allowed_actions(stage, facts) == expected


def test_what_the_api_shows_first() -> None:
    assert allowed_actions(None) == [A.REPORT]
    assert allowed_actions(S.REPORTED) == [A.FLASH_EVALUATION, A.EXIT]
    assert allowed_actions(S.CLOSED) == []


def test_every_stage_is_reached_from_the_first_contact_and_every_open_one_can_exit() -> None:
    seen, todo = {S.REPORTED}, deque([S.REPORTED])
    while todo:
        for after in TRANSITIONS[todo.popleft()].values():
            if after not in seen:
                seen.add(after)
                todo.append(after)
    assert seen == set(Stage)
    for stage in Stage:
        assert (TRANSITIONS[stage].get(A.EXIT) is S.CLOSED) is (stage is not S.CLOSED)
    used = {a for row in EXPECTED.values() for a in row}
    assert used == set(Action), "an action no stage allows"


def test_every_awaited_deadline_is_met_by_an_allowed_action_or_expires_into_one() -> None:
    from models.transitions import CLEARS

    for stage, kinds in STAGE_DEADLINES.items():
        assert stage is not S.CLOSED
        for kind in kinds:
            meets = {a for a, cleared in CLEARS.items() if kind in cleared}
            expiry = ON_EXPIRY.get(kind)
            assert meets & set(TRANSITIONS[stage]) or (
                expiry and expiry.action in TRANSITIONS[stage]
            ), (stage, kind)


def test_the_end_of_the_follow_up_window_closes_the_pathway_and_purges() -> None:
    assert set(ON_EXPIRY) == {DeadlineKind.FOLLOW_UP_END}
    expiry = ON_EXPIRY[DeadlineKind.FOLLOW_UP_END]
    assert expiry.purge and expiry.exit_situation is ExitSituation.FIN_SUIVI
    now = datetime(2025, 3, 1, tzinfo=UTC)
    inp = planning.expiry_action(expiry, now)
    assert (inp.action, inp.occurred_at, inp.actor, inp.exit_situation) == (
        A.EXIT,
        now,
        "system",
        ExitSituation.FIN_SUIVI,
    )
    for stage, kinds in STAGE_DEADLINES.items():
        if DeadlineKind.FOLLOW_UP_END in kinds:
            state = PathwayState(household_id="h", departement="75", stage=stage)
            assert planning.refusal(state, inp, started=True) is None
            assert next_stage(stage, inp.action) is S.CLOSED


def test_the_commission_agenda() -> None:
    assert {S.IN_DEPTH_EVALUATED, S.COMMISSION} == COMMISSION_AGENDA
    assert all(A.COMMISSION_DECISION in TRANSITIONS[s] for s in COMMISSION_AGENDA)


NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _state(stage: Stage, **fields: object) -> PathwayState:
    return PathwayState(household_id="h", departement="75", stage=stage, **fields)


def _act(action: Action, **facts: str) -> ActionInput:
    return ActionInput(action=action, occurred_at=NOW, actor="a", facts=facts)


@pytest.mark.parametrize(
    ("state", "inp", "started", "text"),
    [
        (_state(S.REPORTED), _act(A.REPORT), False, None),
        (_state(S.REPORTED), _act(A.FLASH_EVALUATION), False, "« évaluation flash » n'est pas"),
        (_state(S.REPORTED), _act(A.REPORT), True, "ce ménage est déjà signalé"),
        (_state(S.CLOSED), _act(A.REVIEW), True, "le parcours est clos"),
        (_state(S.REPORTED), _act(A.ADMISSION), True, "« admission » n'est pas possible à l'étape"),
        (_state(S.ORIENTATION_PROPOSED), _act(A.HOUSING), True, "l'orientation doit d'abord"),
        (
            _state(S.ORIENTATION_PROPOSED, orientation_accepted=True),
            _act(A.ACCEPT_ORIENTATION),
            True,
            "l'orientation est déjà acceptée",
        ),
        (
            _state(S.COMMISSION, partnership_commission="santé mentale"),
            _act(A.COMMISSION_DECISION, commission="unique"),
            True,
            "ce ménage relève de la commission partenariale (santé mentale)",
        ),
        (
            _state(S.COMMISSION, partnership_commission="santé mentale"),
            _act(A.COMMISSION_DECISION, commission="partenariale"),
            True,
            None,
        ),
        (_state(S.COMMISSION), _act(A.COMMISSION_DECISION, commission="unique"), True, None),
    ],
)
def test_the_workflow_refusal_texts(
    state: PathwayState, inp: ActionInput, started: bool, text: str | None
) -> None:
    reason = planning.refusal(state, inp, started)
    if text is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith(text), reason


def test_guard_facts_read_the_state_and_the_commission_named() -> None:
    state = _state(S.COMMISSION, orientation_accepted=True, partnership_commission="x")
    assert planning.guard_facts(state) == GuardFacts(True, True, None)
    named = planning.guard_facts(state, _act(A.COMMISSION_DECISION, commission="unique"))
    assert named.commission is CommissionKind.UNIQUE
    unknown = planning.guard_facts(_state(S.COMMISSION), _act(A.REVIEW, commission="autre"))
    assert unknown == GuardFacts(False, False, None)


README = Path(__file__).parent.parent / "README.md"
EDGE = re.compile(r"^ {4}(\S+) --> (\S+): (.+)$")


def test_the_readme_shows_the_generated_diagram() -> None:
    block = f"```mermaid\n{mermaid()}\n```"
    assert block in README.read_text(), (
        "README.md's transition diagram differs from the table: replace it with the output of "
        '.venv/bin/python -c "from models.transitions import mermaid; print(mermaid())"'
    )


def test_the_diagram_draws_every_transition_and_guard() -> None:
    drawn: set[tuple[str, str, str]] = set()
    for line in mermaid().splitlines()[1:]:
        edge = EDGE.match(line)
        if edge is None:
            assert line == "    closed --> [*]"
            continue
        before, after, labels = edge.groups()
        assert not set(labels) & set(":;#\n"), "Mermaid ends a label there"
        drawn |= {(before, after, label) for label in labels.split(", ")}
    expected = set()
    for stage, row in EXPECTED.items():
        for action, after in row.items():
            label = action.value
            if action is A.COMMISSION_DECISION:
                label += f" [{Guard.COMMISSION_OF_ROUTE.value}]"
            elif stage is S.ORIENTATION_PROPOSED and action is A.ACCEPT_ORIENTATION:
                label += f" [{Guard.ORIENTATION_PENDING.value}]"
            elif stage is S.ORIENTATION_PROPOSED and action in (A.ADMISSION, A.HOUSING):
                label += f" [{Guard.ORIENTATION_ACCEPTED.value}]"
            elif stage in (S.HOUSED, S.FOLLOW_UP) and action is A.EXIT:
                label += " or follow_up_end expired"
            expected.add((stage.value if stage else "[*]", after.value, label))
    assert drawn == expected
