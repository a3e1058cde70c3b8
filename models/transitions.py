"""The one transition table of a pathway, and which deadlines each stage waits on.

Read a row as: in this stage, this action is allowed and leads to that stage.
"""

from models.pathway import Action, DeadlineKind, Stage

A, S, D = Action, Stage, DeadlineKind

_OPEN = [s for s in Stage if s is not S.CLOSED]
_EVALUATED = [
    S.IN_DEPTH_EVALUATED,
    S.COMMISSION,
    S.ORIENTATION_PROPOSED,
    S.ADMITTED,
    S.HOUSED,
    S.FOLLOW_UP,
]

TRANSITIONS: dict[Stage, dict[Action, Stage]] = {
    S.REPORTED: {A.FLASH_EVALUATION: S.FLASH_EVALUATED},
    S.FLASH_EVALUATED: {A.IN_DEPTH_EVALUATION: S.IN_DEPTH_EVALUATED},
    S.IN_DEPTH_EVALUATED: {A.COMMISSION_DECISION: S.COMMISSION},
    S.COMMISSION: {A.COMMISSION_DECISION: S.COMMISSION, A.ORIENTATION: S.ORIENTATION_PROPOSED},
    S.ORIENTATION_PROPOSED: {
        A.ACCEPT_ORIENTATION: S.ORIENTATION_PROPOSED,
        A.REFUSE_ORIENTATION: S.COMMISSION,
        A.ADMISSION: S.ADMITTED,
        A.HOUSING: S.HOUSED,
    },
    # A hosted household goes back to the commission when housing is the next step.
    S.ADMITTED: {A.COMMISSION_DECISION: S.COMMISSION, A.HOUSING: S.HOUSED},
    S.HOUSED: {A.FOLLOW_UP: S.FOLLOW_UP},
    S.FOLLOW_UP: {A.FOLLOW_UP: S.FOLLOW_UP},
    S.CLOSED: {},
}
# Actions that keep the stage: re-evaluation (R-EVAL-4), review (R-FOLLOW-1), exit from anywhere.
for _stage in _EVALUATED:
    TRANSITIONS[_stage].setdefault(A.IN_DEPTH_EVALUATION, _stage)
for _stage in (
    S.IN_DEPTH_EVALUATED,
    S.COMMISSION,
    S.ORIENTATION_PROPOSED,
    S.ADMITTED,
    S.HOUSED,
    S.FOLLOW_UP,
):
    TRANSITIONS[_stage][A.REVIEW] = _stage
for _stage in (S.HOUSED, S.FOLLOW_UP):  # R-HOUS-3: a landlord may solicit the SIAO
    TRANSITIONS[_stage][A.LANDLORD_SOLICITATION] = _stage
for _stage in _OPEN:
    TRANSITIONS[_stage][A.EXIT] = S.CLOSED

# Guards: an allowed action may still need a fact of the pathway (checked by the validator).
NEEDS_ACCEPTED_ORIENTATION = frozenset({A.ADMISSION, A.HOUSING})
ONLY_ONCE_PER_ORIENTATION = frozenset({A.ACCEPT_ORIENTATION})

# Deadlines armed when a stage is entered; they end when the stage is left.
STAGE_DEADLINES: dict[Stage, frozenset[DeadlineKind]] = {
    S.REPORTED: frozenset({D.FLASH}),
    S.FLASH_EVALUATED: frozenset({D.IN_DEPTH}),
    S.ORIENTATION_PROPOSED: frozenset({D.ORIENTATION_RESPONSE}),
    S.ADMITTED: frozenset({D.REEVALUATION, D.REVIEW}),
    S.HOUSED: frozenset({D.FOLLOW_UP_END}),
    S.FOLLOW_UP: frozenset({D.FOLLOW_UP_END}),
}
# The awaited action clears its deadline, even late (this is what clears "overdue").
CLEARS: dict[Action, frozenset[DeadlineKind]] = {
    A.FLASH_EVALUATION: frozenset({D.FLASH}),
    A.IN_DEPTH_EVALUATION: frozenset({D.IN_DEPTH, D.REEVALUATION}),
    A.ACCEPT_ORIENTATION: frozenset({D.ORIENTATION_RESPONSE}),
    A.REFUSE_ORIENTATION: frozenset({D.ORIENTATION_RESPONSE}),
    A.REVIEW: frozenset({D.REVIEW}),
}
# ...and some arm it again for the next period, when the stage still waits on it.
REARMS: dict[Action, frozenset[DeadlineKind]] = {
    A.IN_DEPTH_EVALUATION: frozenset({D.REEVALUATION}),
    A.REVIEW: frozenset({D.REVIEW}),
}


def allowed_actions(stage: Stage, orientation_accepted: bool = False) -> list[Action]:
    allowed = list(TRANSITIONS[stage])
    if stage is S.ORIENTATION_PROPOSED:
        drop = ONLY_ONCE_PER_ORIENTATION if orientation_accepted else NEEDS_ACCEPTED_ORIENTATION
        allowed = [a for a in allowed if a not in drop]
    return allowed
