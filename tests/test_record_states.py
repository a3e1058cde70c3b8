"""Record states are enums (stored as their codes): the codes that mirror another enum's stay
equal to it, so a timeline row or an alert always names an action or a deadline that exists."""

from activities.writers import WRITERS
from models.evaluations import PlacementKind, ReviewKind
from models.pathway import Action
from models.records import AlertKind, TimelineKind
from models.vocab import Coded, DeadlineKind


def codes(enum: type[Coded]) -> dict[str, str]:
    return {member.value: member.label for member in enum}


def test_timeline_kinds_are_the_actions_and_the_automatic_events():
    automatic = {
        TimelineKind.DEADLINE_MISSED,
        TimelineKind.ESCALATION,
        TimelineKind.EMERGENCY_SHELTER,
        TimelineKind.SHELTER_RELEASED,
    }
    assert codes(Action) == {k: v for k, v in codes(TimelineKind).items() if k not in automatic}
    assert all(TimelineKind.of(a) == a and TimelineKind.of(a).name == a.name for a in Action)


def test_alert_kinds_are_the_deadlines_and_the_other_causes():
    others = {AlertKind.POLICY_FAILURE, AlertKind.RULE}
    assert codes(DeadlineKind) == {k: v for k, v in codes(AlertKind).items() if k not in others}
    assert all(AlertKind.of(k) == k and AlertKind.of(k).name == k.name for k in DeadlineKind)


def test_placements_and_reviews_are_kinds_of_the_actions_that_write_them():
    assert {k.value for k in (*PlacementKind, *ReviewKind)} <= {a.value for a in Action}
    assert all(Action[k.name] in WRITERS for k in (*PlacementKind, *ReviewKind))
