"""The `targets` section of the policy files (R-GOV-2: the CPO's numeric targets per
département): the national ones, a département's own over them indicator by indicator, and every
mistake refused with its line, in French. The activity report reads `Policy.targets`
(api/routers/reports.py); tests/test_reports_api.py shows them in the report."""

from models.indicators import Indicator
from tests.policy_texts import HEADER, NATIONAL_TEXT, book, issues_of

K = Indicator


def test_the_national_targets_hold_where_a_departement_sets_none() -> None:
    targets = book().policy("48").targets
    assert targets[K.FLASH_DANS_72H] == 90 and targets[K.APPROFONDIE_DANS_2_MOIS] == 80


def test_a_departement_target_replaces_the_national_one_for_its_indicator_only() -> None:
    local = HEADER + "targets:\n  flash_dans_72h: 75\n  orientations_acceptees: 40\n"
    targets = book().build("93", NATIONAL_TEXT, local, "targets-test").targets
    assert targets[K.FLASH_DANS_72H] == 75  # the département's
    assert targets[K.ORIENTATIONS_ACCEPTEES] == 40  # one the national file does not set
    assert targets[K.APPROFONDIE_DANS_2_MOIS] == 80  # the national one, untouched


def test_an_unknown_indicator_or_an_impossible_target_is_refused_with_its_line() -> None:
    unknown, too_high, negative = issues_of(
        HEADER + "targets:\n  flash_dans_72h: 80\n  taux_de_bonheur: 50\n"
        "  approfondie_dans_2_mois: 120\n  orientations_acceptees: -1\n"
    )
    assert unknown.line == 8 and "indicateur inconnu « taux_de_bonheur »" in unknown.message
    assert "flash_dans_72h" in unknown.message  # the known ones are listed
    assert too_high.line == 9 and "hors limites" in too_high.message  # a rate is at most 100 %
    assert negative.line == 10 and "hors limites" in negative.message
