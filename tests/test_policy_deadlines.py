"""The deadlines section of the policy files: merge over national, validation, reload on edit."""

import shutil
from pathlib import Path

import pytest

from rules.book import PolicyBook
from rules.document import PolicyInvalid
from rules.engine import rules_engine

POLICIES = Path(__file__).parent.parent / "policies"
HEADER = (
    'departement: "93"\nversion: "{v}"\neffective_date: 2026-12-01\nauthor: Test\n'
    "description: essai\ndeadlines:\n"
)


def book(path: Path) -> PolicyBook:
    return PolicyBook(path, None, rules_engine())


def test_departement_overrides_national_field_by_field() -> None:
    paris = book(POLICIES).policy("75").deadlines
    assert paris.policy_id == "75"
    assert paris.flash == "PT72H" and paris.in_depth == "P2M"  # national
    assert paris.orientation_response == "P10D" and paris.review == "P2M"  # Paris
    assert paris.reevaluation == {"leger": "P6M", "moyen": "P3M", "intensif": "P21D"}


def test_departement_without_file_gets_national_targets() -> None:
    other = book(POLICIES).policy("13").deadlines
    assert other.policy_id == "_national" and other.follow_up_window == "P2Y"


def test_edit_is_seen_and_bad_file_refused_with_line(tmp_path: Path) -> None:
    shutil.copy(POLICIES / "_national.yaml", tmp_path / "_national.yaml")
    local, policies = tmp_path / "93.yaml", book(tmp_path)
    local.write_text(HEADER.format(v=1) + "  flash: PT48H\n")
    assert policies.policy("93").deadlines.flash == "PT48H"
    local.write_text(HEADER.format(v=2) + "  flash: PT24H\n")
    assert policies.policy("93").deadlines.flash == "PT24H"

    for text, message in [
        (HEADER.format(v=3) + "  flash: [PT24H\n", r"93.yaml, ligne \d+ .*YAML illisible"),
        (HEADER.format(v=4) + "  flash: 72 heures\n", r"ligne 7 .*n'est pas une durée ISO 8601"),
        (HEADER.format(v=5) + "  follow_up_window: P3Y\n", r"ligne 7 .*deux ans au plus"),
    ]:
        local.write_text(text)
        with pytest.raises(PolicyInvalid, match=message):
            book(tmp_path).policy("93")  # a new process: nothing to fall back on
        # The running book keeps the version in force.
        assert policies.policy("93").deadlines.flash == "PT24H"
        assert policies.refused["93"]
