"""The `ranking` section of the policy files (issue 11): the national order, a département's own
order in its place, and every mistake refused with its line, in French."""

from models.vocab_orientation import RankingCriterion
from tests.policy_texts import HEADER, NATIONAL_TEXT, book, issues_of

C = RankingCriterion


def test_national_order_and_paris_order() -> None:
    policies = book()
    assert policies.policy("48").ranking == (C.VULNERABILITE, C.SEJOUR_LONG, C.ANCIENNETE)
    assert policies.policy("75").ranking[0] is C.ENFANTS


def test_a_departement_order_replaces_the_national_one() -> None:
    local = HEADER + "ranking:\n  - syplo\n  - anciennete\n"
    policy = book().build("93", NATIONAL_TEXT, local, "ranking-test")
    assert policy.ranking == (C.SYPLO, C.ANCIENNETE)


def test_unknown_or_repeated_criteria_are_refused_with_their_line() -> None:
    local = HEADER + "ranking:\n  - anciennete\n  - revenus\n  - anciennete\n"
    unknown, repeated = issues_of(local)
    assert unknown.line == 8 and "critère inconnu « revenus »" in unknown.message
    assert "anciennete" in unknown.message  # the possible ones are listed
    assert repeated.line == 9 and "en double" in repeated.message
    (wrong,) = issues_of(HEADER + "ranking: anciennete\n")
    assert wrong.line == 6 and wrong.field == "ranking"
