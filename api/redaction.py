"""The one boundary: every answer that carries a pathway or a household goes through here, and
loses what its reader may not know, by one rule (README, « Privacy and access »).

The rule, per reader and per household (`Viewer`, api/viewers.py):
* those who accompany the household (api.permissions.sees_sensitive) see everything;
* others see its file without the fields and values declared sensitive (models/sensitivity.py),
  without the rules' decisions that reveal them (rules/sensitivity.py: ids, reasons, flags,
  referents) and without the deadlines they do not meet — a due date can tell the situation it
  was computed from;
* a caller who may act but not read (a landlord) gets its action's outcome only.
"""

from typing import Any

from pydantic import BaseModel

from api.viewers import Viewer
from models.decisions import DeadlineSetting, Decision
from models.evaluations import RECORD_TABLES
from models.measure_schemas import MeasureView
from models.measures import Measure as MeasureRecord
from models.measures import MeasureKind
from models.pathway import Deadline
from models.records import Household, Person
from models.sensitivity import field_sensitivity, value_list
from models.views import HouseholdDetail, HouseholdSummary, PathwayView
from models.vocab import Coded, Flag, Theme
from models.vocab_orientation import ExitSituation, Measure, NotHousingReason
from rules.sensitivity import fact_sensitive, param_codes

HIDDEN = "masqué (besoin d'en connaître)"
EMPTY: tuple[Any, ...] = (None, [], "", {})


# -- typed views ---------------------------------------------------------------------------


def _values(values: list[str], codes: type[Coded], v: Viewer) -> list[str]:
    return [x for x in values if v.shows_value(codes, x)]


def _decisions(view: PathwayView, v: Viewer) -> list[Decision]:
    return [
        d
        for d in view.last_decisions
        if v.rules.shows(d.rule_id)
        and not (isinstance(d, DeadlineSetting) and d.params.kind not in v.deadlines)
        and all(v.shows_value(param_codes(d.action, k), x) for k, x in d.as_written().items())
    ]


def pathway(view: PathwayView, v: Viewer) -> PathwayView:
    if v.sensitive:
        return view
    deadlines: list[Deadline] = [d for d in view.deadlines if d.kind in v.deadlines]
    pending = [d.due_at for d in deadlines if not d.missed]
    shown: dict[str, Any] = {
        "last_decisions": _decisions(view, v),
        "proposed_accompaniments": _values(view.proposed_accompaniments, Measure, v),
        "measures": _values(view.measures, MeasureKind, v),
        "deadlines": deadlines,
        "overdue_now": any(d.missed for d in deadlines),
        "next_deadline_at": min(pending) if pending else None,
    }
    if not v.reads:  # its own action's outcome, nothing of the household's file
        return PathwayView(
            household_id=view.household_id,
            departement=view.departement,
            workflow_id=view.workflow_id,
            stage=view.stage,
            stage_label=view.stage_label,
            last_action=view.last_action,
            last_action_at=view.last_action_at,
            **{**shown, "deadlines": [], "overdue_now": False, "next_deadline_at": None},
        )
    exit_situation = view.exit_situation
    if not v.shows_value(ExitSituation, exit_situation):
        exit_situation = None
    return view.model_copy(
        update={
            **shown,
            "facts": {k: x for k, x in view.facts.items() if not fact_sensitive(k, x)},
            "flags": _values(view.flags, Flag, v),
            "thematic_referents": _values(view.thematic_referents, Theme, v),
            "partnership_commission": None,
            "exit_situation": exit_situation,
            **_proposal(view.proposed_place, view.proposal_reason, v),
        }
    )


def _proposal(place: str | None, reason: str | None, v: Viewer) -> dict[str, str | None]:
    """The rules' proposal, unless its reason tells the administrative situation (then the
    proposed place would too: the DNA)."""
    if v.shows_value(NotHousingReason, reason):
        return {"proposed_place": place, "proposal_reason": reason}
    return {"proposed_place": None, "proposal_reason": None}


# -- records (rows as the API dumps them) ----------------------------------------------------


def row(model: type[BaseModel], data: dict[str, Any], v: Viewer) -> dict[str, Any]:
    """One stored row, its sensitive fields and values masked."""
    if v.sensitive:
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        codes = value_list(model, key)
        if field_sensitivity(model, key) is not None:
            out[key] = HIDDEN if value not in EMPTY else value
        elif key == "facts" and isinstance(value, dict):
            out[key] = {k: x for k, x in value.items() if not fact_sensitive(k, x)}
        elif isinstance(value, list):
            kept = [x for x in value if v.shows_value(codes, x)]
            out[key] = kept + ([HIDDEN] if len(kept) < len(value) else [])
        else:
            out[key] = value if v.shows_value(codes, value) else HIDDEN
    return out


TIMELINE_DETAIL = frozenset(
    {"resolved", "policy_id", "policy_version", "rules_fired", "decisions", "kind"}
)


def _event(event: dict[str, Any], v: Viewer) -> dict[str, Any] | None:
    detail = event.get("detail") or {}
    kind = detail.get("kind")
    if kind is not None and kind not in v.deadlines:
        return None  # a missed deadline's date is its due date
    kept: dict[str, Any] = {}
    for key, value in detail.items():
        if key not in TIMELINE_DETAIL and key != "escalation_level":
            continue  # unknown detail: not shown (fail closed)
        if key == "rules_fired":
            value = [r for r in value if v.rules.shows(r)]
        elif key == "decisions":
            value = [d for d in value if v.rules.shows(d.get("rule_id"))]
        elif key == "resolved":
            value = [k for k in value if k in v.deadlines]
        kept[key] = value
    return {**event, "detail": kept}


def _alert(alert: dict[str, Any], v: Viewer) -> dict[str, Any] | None:
    if alert.get("kind") not in v.deadlines:
        return None
    if v.rules.shows(alert.get("rule_id")):
        return alert
    return {**alert, "rule_id": None, "reason": None}


def alert(item: dict[str, Any], v: Viewer) -> dict[str, Any] | None:
    """One alert as this viewer may read it (None: a kind of deadline it does not see)."""
    return item if v.sensitive else _alert(item, v)


def _dates(stage: str, v: Viewer) -> dict[str, Any]:
    return {} if v.shows_deadlines_of(stage) else {"next_deadline": None, "overdue": None}


def summary(item: HouseholdSummary, v: Viewer, listing: Viewer | None = None) -> HouseholdSummary:
    """A list item. `listing`: the caller's view outside any stage's need-to-know — a list
    shows a sensitive flag only to whom sees it at every stage (not a commission member, who
    sees it while the household is on the agenda: in its file, not in lists)."""
    flags = _values(item.flags, Flag, listing) if listing else item.flags
    update = {**_dates(item.stage, v), "flags": _values(flags, Flag, v)}
    return item.model_copy(update=update if v.reads else {**update, "name": None})


def detail(d: HouseholdDetail, v: Viewer) -> HouseholdDetail:
    if v.sensitive:
        return d
    events = [_event(e, v) for e in d.timeline]
    alerts = [_alert(a, v) for a in d.alerts]
    return d.model_copy(
        update={
            **_dates(d.stage, v),
            "members": [row(Person, m, v) for m in d.members],
            "records": {
                name: [row(RECORD_TABLES[name], r, v) for r in rows]
                for name, rows in d.records.items()
            },
            "timeline": [e for e in events if e is not None],
            "alerts": [a for a in alerts if a is not None],
            "partnership_commission": None,
            "thematic_referents": _values(d.thematic_referents, Theme, v),
            "flags": _values(d.flags, Flag, v),
            "proposed_accompaniments": _values(d.proposed_accompaniments, Measure, v),
            **_proposal(d.proposed_place, d.proposal_reason, v),
            "sensitive_hidden": True,
        }
    )


def measure(m: MeasureView, v: Viewer) -> MeasureView:
    """A measure whose kind reveals health (EMPP, ACT, LHSS) is masked, with its service and
    operator (the catalogue would name the kind); the motive's free text always is."""
    if v.sensitive:
        return m
    update: dict[str, Any] = {"end_detail": HIDDEN if m.end_detail not in EMPTY else None}
    if not v.shows_value(MeasureKind, m.kind):
        update |= {"kind": HIDDEN, "operator": HIDDEN, "service_id": None}
    return m.model_copy(update=update)


def export(data: dict[str, Any], v: Viewer) -> dict[str, Any]:
    """Everything held (the person's right of access), under the same rule."""
    if v.sensitive:
        return data
    out = dict(data)
    out["menage"] = row(Household, data["menage"], v)
    out["personnes"] = [row(Person, p, v) for p in data.get("personnes", [])]
    for name, table in RECORD_TABLES.items():
        out[name] = [row(table, r, v) for r in data.get(name, [])]
    out["mesures"] = [row(MeasureRecord, r, v) for r in data.get("mesures", [])]
    return out
