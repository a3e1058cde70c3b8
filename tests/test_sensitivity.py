"""Sensitivity is declared once (models/sensitivity.py) and everything else follows from it: the
declarations name real fields, facts and values; the rules that test or produce a sensitive value
are classified from them (rules/sensitivity.py); an undeclared fact is hidden until declared."""

import shutil
from pathlib import Path

from api import facts, redaction, viewers
from api.permissions import MATRIX, Permission
from api.redaction import HIDDEN, pathway, row
from api.security import Principal
from api.viewers import Viewer, viewer
from core import clock
from models.decisions import ThematicReferent, ThemeParams
from models.evaluations import FlashEvaluation, InDepthEvaluation
from models.pathway import Deadline, DeadlineKind, PathwayState, Stage
from models.records import TimelineKind
from models.sensitivity import (
    OTHER_FACTS,
    SENSITIVE_FACTS,
    SENSITIVE_FIELDS,
    SENSITIVE_VALUES,
    VALUE_LISTS,
)
from models.users import Role
from models.views import HouseholdDetail, PathwayView
from models.vocab import Theme
from rules.book import NATIONAL, PolicyBook
from rules.engine import rules_engine
from rules.sensitivity import NOTHING_SHOWN, RuleDisclosure, fact_sensitive
from rules.vocabulary import FACTS
from tests import hunt

POLICIES = Path(__file__).parent.parent / "policies"


def test_declarations_name_real_fields_facts_and_values() -> None:
    for declared in (SENSITIVE_FIELDS, VALUE_LISTS):
        for model, fields in declared.items():
            assert set(fields) <= set(model.model_fields), model.__name__
    for codes, values in SENSITIVE_VALUES.items():
        assert all(isinstance(v, codes) for v in values), codes
    assert set(SENSITIVE_FACTS) <= set(FACTS) | set(OTHER_FACTS)
    # Every fact an action records is known, so none is hidden by accident…
    recorded = {fact for fields in facts.CODED_FIELDS.values() for fact in fields.values()}
    recorded |= {"no_resources", "housing_conditions_met", "dls_filed_on"}
    assert recorded <= set(FACTS) | set(OTHER_FACTS)
    # …and a fact nobody declared is hidden until it is.
    assert fact_sensitive("nouveau_fait", "valeur")
    assert not fact_sensitive("typology", "personne_isolee")
    assert fact_sensitive("residential_situation", "detention")
    assert fact_sensitive("expertise_needed", ["sociale"])


def test_rules_that_name_a_situation_are_classified_from_the_declarations() -> None:
    hidden, reasons = hunt.policy_secrets("75")
    assert {
        "femmes-violences-referent",
        "sante-mentale-commission",
        "reorientation-dna",
        "liste-ofii",
        "vulnerabilite-critique-approfondie-1-mois",
        "jeunes-sans-ressources-commission",
    } <= hidden
    assert not hidden & {"escalade-referent", "sollicitation-hors-fenetre", "jeunes-18-25"}
    assert any("violences" in reason for reason in reasons)


def _principal(role: Role) -> Principal:
    return Principal(1, "x", frozenset({role.value}), frozenset({"75"}), frozenset(), MATRIX[role])


def test_an_unreadable_policy_shows_nothing_the_rules_produced() -> None:
    now = clock.now()
    state = PathwayState(
        household_id="h",
        departement="75",
        stage=Stage.FLASH_EVALUATED,
        facts={"vulnerability": "critique", "typology": "personne_isolee"},
        flags=["dls_renewal", "ofii_list"],
        thematic_referents=["jeunes", "violences"],
        partnership_commission="Femme victime de violences",
        last_decisions=[
            ThematicReferent(rule_id="jeunes-18-25", params=ThemeParams(theme=Theme.JEUNES))
        ],
        deadlines=[
            Deadline(kind=DeadlineKind.IN_DEPTH, due_at=now, duration="P1M", policy_version="v")
        ],
    )
    view = PathwayView.of(state, "parcours-h")
    seen = viewer(
        _principal(Role.ECOUTANT_115), stage="flash_evaluated", departement="75", book=None
    )
    assert seen.rules is NOTHING_SHOWN and not seen.sensitive
    shown = pathway(view, seen)
    assert shown.facts == {"typology": "personne_isolee"}
    assert shown.flags == [] and shown.thematic_referents == [] and shown.last_decisions == []
    assert shown.partnership_commission is None and shown.deadlines == []
    assert shown.next_deadline_at is None
    coordinator = viewer(_principal(Role.COORDINATEUR), stage="x", departement="75", book=None)
    assert pathway(view, coordinator) == view


def test_a_record_row_loses_its_sensitive_fields_and_values_only() -> None:
    seen = Viewer(True, False, frozenset(), NOTHING_SHOWN)
    flash = row(
        FlashEvaluation,
        {"vulnerability": "faible", "immediate_needs": ["soins", "hygiene"], "wishes": None},
        seen,
    )
    assert flash == {
        "vulnerability": HIDDEN,
        "immediate_needs": ["hygiene", HIDDEN],
        "wishes": None,
    }
    in_depth = row(
        InDepthEvaluation,
        {"employment": "rqth", "resources": ["rsa"], "syplo": "inscrit", "roadmap": ["x"]},
        seen,
    )
    assert in_depth == {
        "employment": HIDDEN,
        "resources": ["rsa"],
        "syplo": "inscrit",
        "roadmap": HIDDEN,
    }
    assert Permission.READ_SENSITIVE not in MATRIX[Role.GESTIONNAIRE]


def test_a_file_loses_the_dates_and_rules_that_tell_the_situation() -> None:
    """A missed in-depth deadline's alert and timeline event carry its due date (one month for
    a critical vulnerability): not shown to a 115 call handler, who does not meet it."""
    now = clock.now()
    base = {
        "id": "h", "departement": "75", "typology": "personne_isolee", "overdue": True,
        "next_deadline": now, "referent_structure": None, "encountered_at": now,
        "updated_at": now,
    }  # fmt: skip
    detail = HouseholdDetail(
        **base,
        stage="flash_evaluated",
        members=[],
        records={},
        timeline=[
            {"action": "flash_evaluation", "detail": {"rules_fired": ["jeunes-18-25", "x"]}},
            {
                "action": TimelineKind.DEADLINE_MISSED,
                "detail": {"kind": "in_depth", "escalation_level": 0},
            },
        ],
        alerts=[{"kind": "in_depth", "rule_id": "escalade-referent", "reason": "r"}],
        flags=["dls_renewal"],
    )
    rules = RuleDisclosure(frozenset({"jeunes-18-25"}), frozenset(), frozenset())
    seen = Viewer(True, False, frozenset({DeadlineKind.FLASH}), rules)
    shown = redaction.detail(detail, seen)
    assert shown.timeline == [
        {"action": "flash_evaluation", "detail": {"rules_fired": ["jeunes-18-25"]}}
    ]
    assert shown.alerts == [] and shown.next_deadline is None and shown.overdue is None
    assert shown.flags == ["dls_renewal"] and shown.sensitive_hidden


def test_an_answer_is_redacted_at_once_only_when_no_file_needs_reading(tmp_path) -> None:
    # The action's answer skips the thread-pool hop when the policy is read already and its
    # files are unchanged; it must then see exactly what the blocking `viewer` sees.
    for name in (f"{NATIONAL}.yaml", "75.yaml"):
        shutil.copy(POLICIES / name, tmp_path / name)
    book, where = PolicyBook(tmp_path, None, rules_engine()), {"stage": "flash_evaluated"}
    caseworker = _principal(Role.ECOUTANT_115)
    assert viewers.viewer_at_once(caseworker, departement="75", book=book, **where) is None
    blocking = viewer(caseworker, departement="75", book=book, **where)
    assert blocking.rules is not NOTHING_SHOWN and blocking.rules.hidden_values
    at_once = viewers.viewer_at_once(caseworker, departement="75", book=book, **where)
    assert at_once == blocking
    edited = tmp_path / "75.yaml"
    edited.write_text(edited.read_text() + "\n# modifié\n")
    assert viewers.viewer_at_once(caseworker, departement="75", book=book, **where) is None
    # Those who see everything, and a caller without a book, need no file at all.
    coordinator = _principal(Role.COORDINATEUR)
    assert viewers.viewer_at_once(coordinator, departement="75", book=book, **where) is (
        viewers.EVERYTHING
    )
    nothing = viewers.viewer_at_once(caseworker, departement="75", book=None, **where)
    assert nothing == viewer(caseworker, departement="75", book=None, **where)
