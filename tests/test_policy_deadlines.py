"""The deadlines section of the policy files: merge over national, validation, reload on edit."""

import shutil
from pathlib import Path

import pytest

from rules.policy import PolicyError, load_deadlines

POLICIES = Path(__file__).parent.parent / "policies"


def test_departement_overrides_national_field_by_field() -> None:
    paris = load_deadlines(POLICIES, "75")
    assert paris.policy_id == "75"
    assert paris.flash == "PT72H" and paris.in_depth == "P2M"  # national
    assert paris.orientation_response == "P10D" and paris.review == "P2M"  # Paris
    assert paris.reevaluation == {"leger": "P6M", "moyen": "P3M", "intensif": "P21D"}


def test_departement_without_file_gets_national_targets() -> None:
    other = load_deadlines(POLICIES, "13")
    assert other.policy_id == "_national" and other.follow_up_window == "P2Y"


def test_edit_is_seen_and_bad_file_refused_with_line(tmp_path: Path) -> None:
    shutil.copy(POLICIES / "_national.yaml", tmp_path / "_national.yaml")
    local = tmp_path / "93.yaml"
    local.write_text('departement: "93"\nversion: "1"\ndeadlines:\n  flash: PT48H\n')
    assert load_deadlines(tmp_path, "93").flash == "PT48H"
    local.write_text('departement: "93"\nversion: "2"\ndeadlines:\n  flash: PT24H\n')
    assert load_deadlines(tmp_path, "93").flash == "PT24H"

    local.write_text('departement: "93"\nversion: "3"\ndeadlines:\n  flash: [PT24H\n')
    with pytest.raises(PolicyError, match=r"93.yaml ligne \d+ : YAML illisible"):
        load_deadlines(tmp_path, "93")
    local.write_text('departement: "93"\nversion: "4"\ndeadlines:\n  flash: 72 heures\n')
    with pytest.raises(PolicyError, match="n'est pas une durée ISO 8601"):
        load_deadlines(tmp_path, "93")
    local.write_text('departement: "93"\nversion: "5"\ndeadlines:\n  follow_up_window: P3Y\n')
    with pytest.raises(PolicyError, match="deux ans au plus"):
        load_deadlines(tmp_path, "93")
