"""The `protocols` and `refusal_consequences` sections of the policy files (issue 10): resolution
national ← département, field by field; every mistake refused with its line, in French, the
previous version staying in force; the terms served from the engine's child process."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models.offer import StructureKind
from models.protocol import Consequence, ConsequenceRule
from models.vocab_orientation import RefusalReason
from rules.book import NATIONAL, PolicyBook
from rules.document import PolicyInvalid
from rules.engine import rules_engine
from rules.isolated import InProcessPolicies, IsolatedPolicies
from rules.policy_text import Issue
from rules.protocols import CONSEQUENCES, PARK, STRUCTURE_KINDS

POLICIES = Path(__file__).parent.parent / "policies"
NATIONAL_TEXT = (POLICIES / f"{NATIONAL}.yaml").read_text(encoding="utf-8")
HEADER = (
    'departement: "93"\nversion: "{v}"\neffective_date: 2026-12-01\nauthor: Test\n'
    "description: essai\n"
)
K, R, C = StructureKind, RefusalReason, Consequence


def book(path: Path = POLICIES) -> PolicyBook:
    return PolicyBook(path, None, rules_engine())


def issues_of(local: str) -> list[Issue]:
    with pytest.raises(PolicyInvalid) as err:
        book().build("93", NATIONAL_TEXT, local, "protocol-test")
    return err.value.issues


def line_with(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_national_terms_for_a_departement_without_file() -> None:
    terms = book().policy("13").terms(K.CHRS)
    assert terms.policy_version == "2026.1"
    assert terms.delays.model_dump() == {
        "propose": "P3D",
        "households_per_unit": 1,
        "manager_answer": "P7D",
        "household_answer": "P5D",
        "admission": "P15D",
        "escalation": "P3D",
        "night_release": None,  # emergency places only
    }
    assert book().policy("13").terms(K.CHU).delays.night_release == "09:00"
    # A household's refusal keeps its seniority; « plus éligible » parks it until reassessed.
    assert terms.consequence(R.LOCALISATION).consequence == C.KEEP_SENIORITY
    assert terms.consequence(R.PLUS_ELIGIBLE).consequence == C.UNTIL_REASSESSED
    assert terms.consequence(R.PERDU_DE_VUE).consequence == C.UNTIL_REASSESSED
    assert terms.consequence(R.PAS_MAINTENANT) == ConsequenceRule(
        consequence=C.PARK, duration="P30D"
    )
    assert set(terms.consequences) == set(RefusalReason)  # the national file names every one
    # A household's own reason never costs it its seniority by default.
    household = [R.AUTRE_SOLUTION, R.LOCALISATION, R.TYPE_HEBERGEMENT, R.SANS_ACCOMPAGNEMENT]
    assert {terms.consequence(r).consequence for r in household} == {C.KEEP_SENIORITY}
    # The national kind entry changes only what it gives.
    iml = book().policy("13").terms(K.IML).delays
    assert (iml.manager_answer, iml.admission, iml.household_answer) == ("P10D", "P30D", "P5D")


def test_paris_override_is_visible() -> None:
    policies = InProcessPolicies(book())
    social = policies.protocol("75", K.RESIDENCE_SOCIALE)
    assert social.policy_version == "2026.1+national-2026.1"
    assert (social.delays.manager_answer, social.delays.households_per_unit) == ("P15D", 3)
    assert social.delays.household_answer == "P5D"  # national default
    iml = policies.protocol("75", K.IML).delays
    # national default, national kind entry, Paris kind entry — field by field
    assert (iml.propose, iml.manager_answer, iml.household_answer) == ("P3D", "P10D", "P8D")
    assert policies.protocol("93", K.IML).delays.household_answer == "P5D"  # not in Seine-St-Denis


def test_resolution_order_national_kind_departement(tmp_path: Path) -> None:
    shutil.copy(POLICIES / f"{NATIONAL}.yaml", tmp_path / f"{NATIONAL}.yaml")
    (tmp_path / "93.yaml").write_text(
        HEADER.format(v=1)
        + "protocols:\n"
        + "  default:\n    manager_answer: P4D\n    escalation: P2D\n"
        + "  iml:\n    escalation: P1D\n"
        + "refusal_consequences:\n"
        + "  localisation: {consequence: perte_anciennete}\n",
        encoding="utf-8",
    )
    policy = book(tmp_path).policy("93")
    # département default over the national kind entry (manager_answer), département kind
    # entry over its own default (escalation), national kind entry where nothing else speaks.
    iml = policy.terms(K.IML).delays
    assert (iml.manager_answer, iml.escalation, iml.admission) == ("P4D", "P1D", "P30D")
    chrs = policy.terms(K.CHRS).delays
    assert (chrs.manager_answer, chrs.escalation, chrs.admission) == ("P4D", "P2D", "P15D")
    terms = policy.terms(K.CHRS)
    assert terms.consequence(R.LOCALISATION).consequence == C.LOSE_SENIORITY
    assert terms.consequence(R.PLUS_ELIGIBLE).consequence == C.UNTIL_REASSESSED  # national


def test_bad_duration_refused_with_line_previous_version_in_force(tmp_path: Path) -> None:
    shutil.copy(POLICIES / f"{NATIONAL}.yaml", tmp_path / f"{NATIONAL}.yaml")
    local, policies = tmp_path / "93.yaml", book(tmp_path)
    good = HEADER.format(v=1) + "protocols:\n  chrs:\n    household_answer: P4D\n"
    local.write_text(good, encoding="utf-8")
    assert policies.policy("93").terms(K.CHRS).delays.household_answer == "P4D"

    for text, message in [
        (
            HEADER.format(v=2) + "protocols:\n  chrs:\n    household_answer: 5 jours\n",
            r"93.yaml, ligne 8 \(protocols.chrs.household_answer\) : .*n'est pas une durée ISO",
        ),
        (
            HEADER.format(v=3) + "protocols:\n  chrs:\n    admission: P2Y\n",
            r"93.yaml, ligne 8 \(protocols.chrs.admission\) : .*d'un an au plus",
        ),
        (
            HEADER.format(v=4) + "protocols:\n  default:\n    households_per_unit: 6\n",
            r"ligne 8 .*de 1 à 5 ménages proposés par place",
        ),
        (
            HEADER.format(v=5) + "protocols:\n  default:\n    delai_magique: P3D\n",
            r"ligne 8 \(protocols.default.delai_magique\) : champ inconnu",
        ),
    ]:
        local.write_text(text, encoding="utf-8")
        with pytest.raises(PolicyInvalid, match=message):
            book(tmp_path).policy("93")  # a new process: nothing to fall back on
        # The running book keeps the version in force.
        in_force = policies.policy("93")
        assert in_force.version == "1+national-2026.1"
        assert in_force.terms(K.CHRS).delays.household_answer == "P4D"
        assert policies.refused["93"][0].line == 8


def test_unknown_kind_and_reason_refused_with_line() -> None:
    text = (
        HEADER.format(v=1)
        + "protocols:\n  caserne:\n    propose: P1D\n"
        + "refusal_consequences:\n  trop_loin: {consequence: conserve_anciennete}\n"
    )
    issues = issues_of(text)
    assert [(i.file, i.line, i.field) for i in issues] == [
        ("93.yaml", line_with(text, "caserne"), "protocols.caserne"),
        ("93.yaml", line_with(text, "trop_loin"), "refusal_consequences.trop_loin"),
    ]
    assert "type de structure inconnu « caserne »" in issues[0].message
    assert "residence_sociale" in issues[0].message  # the possible kinds are named
    assert "motif de refus inconnu « trop_loin »" in issues[1].message


def test_consequence_mistakes_refused_with_line() -> None:
    text = (
        HEADER.format(v=1) + "refusal_consequences:\n"
        "  pas_maintenant: {consequence: mise_en_attente}\n"
        "  localisation:\n    consequence: conserve_anciennete\n    duration: P10D\n"
        "  autre_solution: {consequence: oubli}\n"
        "  plus_eligible: {consequence: mise_en_attente, duration: P2Y}\n"
    )
    found = {(i.line, i.field): i.message for i in issues_of(text)}
    assert found == {
        (line_with(text, "pas_maintenant"), "refusal_consequences.pas_maintenant.consequence"): (
            "« mise_en_attente » demande une durée (duration, ex. P30D)"
        ),
        (line_with(text, "P10D"), "refusal_consequences.localisation.duration"): (
            "une durée ne s'applique qu'à « mise_en_attente », pas à « conserve_anciennete »"
        ),
        (line_with(text, "oubli"), "refusal_consequences.autre_solution.consequence"): (
            "conséquence inconnue « oubli » ; conséquences possibles : conserve_anciennete, "
            "perte_anciennete, mise_en_attente, jusqu_a_reevaluation"
        ),
        (line_with(text, "P2Y"), "refusal_consequences.plus_eligible.duration"): (
            "la durée « P2Y » dépasse un an : une mise en attente dure un an au plus"
        ),
    }


def test_a_bad_national_file_is_refused_with_its_line() -> None:
    broken = NATIONAL_TEXT.replace("    propose: P3D ", "    propose: P0D ", 1)
    assert broken != NATIONAL_TEXT
    with pytest.raises(PolicyInvalid) as err:
        book().build("93", broken, None, "protocol-test")
    (issue,) = err.value.issues
    assert (issue.file, issue.line) == (f"{NATIONAL}.yaml", line_with(broken, "propose: P0D"))
    assert "doit être une durée positive" in issue.message


def test_isolated_policies_answer_from_the_child() -> None:
    policies = IsolatedPolicies(POLICIES, None, timeout=20)
    try:
        terms = policies.protocol("93", K.CHRS)
        assert policies.pid() is not None
        assert terms.policy_version == "2026.1+national-2026.1"
        assert terms.delays.manager_answer == "P7D" and terms.delays.households_per_unit == 1
        assert terms.consequence(R.PAS_MAINTENANT) == ConsequenceRule(
            consequence=C.PARK, duration="P30D"
        )
        paris = policies.protocol("75", K.RESIDENCE_SOCIALE)
        assert (paris.delays.manager_answer, paris.delays.households_per_unit) == ("P15D", 3)
    finally:
        policies.close()


def test_codes_checked_in_files_are_the_models_codes() -> None:
    assert tuple(k.value for k in StructureKind) == STRUCTURE_KINDS
    assert tuple(c.value for c in Consequence) == CONSEQUENCES and C.PARK.value == PARK


def test_checking_a_policy_does_not_load_the_sql_models() -> None:
    """The engine's child builds policies on start: it must stay quick (rules/isolated.py)."""
    code = (
        "import sys; from pathlib import Path; from rules.book import PolicyBook;"
        "from rules.engine import rules_engine;"
        f"PolicyBook(Path({str(POLICIES)!r}), None, rules_engine()).policy('75');"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'models.offer') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=POLICIES.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_release_hour_is_a_clock_time() -> None:
    local = (
        'departement: "93"\nversion: "t"\neffective_date: 2026-12-01\nauthor: "Équipe"\n'
        'description: "Heure de libération"\nprotocols:\n  chu:\n    night_release: "9h"\n'
    )
    (found,) = issues_of(local)
    assert found.line == 8 and "HH:MM" in found.message
