"""Who sees what of one household: the reader's `Viewer`, from its role, the household's
stage and what the département's rules let it see. The answers themselves lose what it may not
see at one boundary, api/redaction.py (README, « Privacy and access »)."""

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api.permissions import Permission, deadlines_met_by, sees_sensitive
from api.security import Principal
from models.pathway import DeadlineKind, Stage
from models.sensitivity import value_sensitivity
from models.transitions import STAGE_DEADLINES
from models.vocab import Coded
from rules.sensitivity import NOTHING_SHOWN, PRODUCED, RuleDisclosure, classify

if TYPE_CHECKING:
    from rules.book import PolicyBook
    from rules.policy import Policy


@dataclass(frozen=True)
class Viewer:
    """What one caller may see of one household."""

    reads: bool  # may read the household's file; else only its own action's outcome
    sensitive: bool  # sees everything
    deadlines: frozenset[DeadlineKind]  # the deadlines whose dates it sees
    rules: RuleDisclosure  # what the département's rules let it see

    def shows_value(self, codes: type[Coded] | None, value: Any) -> bool:
        if self.sensitive:
            return True
        if value_sensitivity(codes, value) is not None:
            return False
        return not (codes in PRODUCED and value in self.rules.hidden_values)

    def shows_deadlines_of(self, stage: str) -> bool:
        known = Stage._value2member_map_.get(stage)
        waited = STAGE_DEADLINES.get(known, frozenset()) if isinstance(known, Stage) else None
        return self.sensitive or (waited is not None and waited <= self.deadlines)


EVERYTHING = Viewer(True, True, frozenset(DeadlineKind), NOTHING_SHOWN)

_classified: dict[tuple[int, str, str], RuleDisclosure] = {}
_lock = threading.Lock()


def rules_of(book: "PolicyBook | None", departement: str) -> RuleDisclosure:
    """The département's rules, classified; nothing shown when they cannot be read."""
    if book is None:
        return NOTHING_SHOWN
    try:
        policy = book.policy(departement)
    except Exception:
        return NOTHING_SHOWN
    return _classification(book, departement, policy)


def _classification(book: "PolicyBook", departement: str, policy: "Policy") -> RuleDisclosure:
    key = (id(book), departement, policy.ruleset)  # as read by viewer_at_once
    with _lock:
        if key not in _classified:
            _classified[key] = classify(policy.rules.values())
        return _classified[key]


def viewer(
    principal: Principal | None, *, stage: str, departement: str, book: "PolicyBook | None"
) -> Viewer:
    """Blocking (the policy may be read): call it from a worker thread."""
    if principal is None or sees_sensitive(principal.roles, principal.permissions, stage):
        return EVERYTHING  # None: a trusted in-process caller
    return _limited(principal, rules_of(book, departement))


def viewer_at_once(
    principal: Principal | None, *, stage: str, departement: str, book: "PolicyBook | None"
) -> Viewer | None:
    """`viewer` without blocking, when it needs no file read (the département's policy read
    already and unchanged); None otherwise: then call `viewer` from a worker thread. Saves an
    action's answer the thread-pool hop (5 % of the API's time under load)."""
    if principal is None or sees_sensitive(principal.roles, principal.permissions, stage):
        return EVERYTHING
    if book is None:
        return _limited(principal, NOTHING_SHOWN)
    policy = book.unchanged(departement)
    # Classified already (a plain read: classifying is the blocking call's work).
    rules = _classified.get((id(book), departement, policy.ruleset)) if policy else None
    return None if rules is None else _limited(principal, rules)


def _limited(principal: Principal, rules: RuleDisclosure) -> Viewer:
    return Viewer(
        reads=principal.can(Permission.READ),
        sensitive=False,
        deadlines=deadlines_met_by(principal.permissions) - rules.hidden_deadlines,
        rules=rules,
    )
