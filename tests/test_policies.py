"""The shipped policies and what `siao policies …` tells policy staff: every case passes, every
problem is refused with its file and line, in French."""

import shutil
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session

from cli.main import main
from cli.policies import REFERENCE
from core import clock
from core.db import make_engine, migrate
from models.records import Household
from rules.book import NATIONAL, PolicyBook
from rules.document import PolicyInvalid
from rules.engine import rules_engine
from rules.reference import reference_markdown

POLICIES = Path(__file__).parent.parent / "policies"
NATIONAL_TEXT = (POLICIES / f"{NATIONAL}.yaml").read_text()
HEADER = (
    'departement: "94"\nversion: "{v}"\neffective_date: 2026-12-01\nauthor: Test\n'
    "description: essai\n"
)
RULE = """
  - id: refus-repetes
    title: Refus répétés
    when:
      event: orientation_refused
      refusals_count: {gte: 3}
    then:
      - route_to_partnership_commission: {reason: "Trois refus"}
"""
CASE = """
  - name: troisième refus
    facts: {event: orientation_refused, refusals_count: 3}
    expect:
      - route_to_partnership_commission: {reason: "Trois refus"}
"""
VALID = HEADER.format(v="1") + "rules:" + RULE + "cases:" + CASE


def book() -> PolicyBook:
    return PolicyBook(POLICIES, None, rules_engine())


def build(local: str) -> None:
    book().build("94", NATIONAL_TEXT, local, "policy-test")


def issues_of(local: str) -> list:
    with pytest.raises(PolicyInvalid) as err:
        build(local)
    return err.value.issues


def line_with(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# -- shipped policies --------------------------------------------------------------------------
@pytest.mark.parametrize("departement", ["75", "93", "13"])
def test_shipped_policies_pass_every_case(departement: str) -> None:
    local = POLICIES / f"{departement}.yaml"
    text = local.read_text() if local.exists() else None
    policy = book().build(departement, NATIONAL_TEXT, text, "shipped")
    assert policy.results and all(r.passed for r in policy.results)
    docs = [policy.national] + ([policy.local] if policy.local else [])
    for doc in docs:
        fired = {rid for r in policy.results if r.file == doc.file for rid in r.fired}
        assert {r.id for r in doc.rules} <= fired, f"{doc.file} : règle sans cas"
        assert any(not c.expect for c in doc.cases), f"{doc.file} : aucun cas négatif"
    if departement == "13":
        assert policy.local is None and policy.policy_id == NATIONAL


def test_shipped_rules_cover_the_guide() -> None:
    national = book().policy("13").rules
    expected = {
        "jeunes-18-25": ("assign_thematic_referent", {"theme": "jeunes"}),
        "femmes-violences-referent": ("assign_thematic_referent", {"theme": "violences"}),
        "sante-mentale-commission": ("route_to_partnership_commission", None),
        "sortants-detention": ("assign_thematic_referent", {"theme": "justice"}),
        "reorientation-dna": ("flag", {"kind": "dna_reorientation"}),
        "liste-ofii": ("flag", {"kind": "ofii_list"}),
        "sejour-anormalement-long": ("flag", {"kind": "long_stay_review"}),
        "dls-a-renouveler": ("flag", {"kind": "dls_renewal"}),
        "syplo-a-labelliser": ("flag", {"kind": "syplo_labelling"}),
        "sollicitation-hors-fenetre": ("refuse_solicitation", None),
        "escalade-referent": ("escalate", {"to": "lead_referent"}),
        "escalade-coordinateur": ("escalate", {"to": "siao_coordinator"}),
    }
    for rule_id, (action, params) in expected.items():
        calls = [c for c in national[rule_id].then if c.name == action]
        assert calls, rule_id
        assert params is None or params.items() <= dict(calls[0].params).items(), rule_id
    evaluate = book().evaluate
    late = {"event": "deadline_missed", "deadline_kind": "in_depth"}
    assert evaluate("75", late | {"escalation_level": 0}).fired == ["escalade-referent"]
    assert evaluate("75", late | {"escalation_level": 1}).fired == ["escalade-coordinateur"]
    assert evaluate("75", late | {"escalation_level": 2}).fired == []
    # 93's one-year follow-up window replaces the national two years
    solicitation = {"event": "landlord_solicitation", "days_since_housing": 500}
    assert evaluate("93", solicitation).fired == ["sollicitation-hors-fenetre"]
    assert evaluate("75", solicitation).fired == ["sollicitation-dans-fenetre"]


# -- validation --------------------------------------------------------------------------------
def test_a_valid_policy_builds() -> None:
    build(VALID)


def test_rules_without_cases_are_refused() -> None:
    issues = issues_of(HEADER.format(v="1") + "rules:" + RULE)
    assert any("doit avoir des cas de test" in i.message for i in issues)


def test_a_rule_no_case_fires_is_refused() -> None:
    other = RULE.replace("refus-repetes", "refus-non-couvert").replace("gte: 3", "gte: 5")
    issues = issues_of(HEADER.format(v="1") + "rules:" + RULE + other + "cases:" + CASE)
    (issue,) = issues
    assert issue.field == "rules.refus-non-couvert" and "aucun cas de test" in issue.message


def test_a_failing_case_is_refused() -> None:
    wrong = CASE.replace("refusals_count: 3", "refusals_count: 2")
    issues = issues_of(HEADER.format(v="1") + "rules:" + RULE + "cases:" + CASE + wrong)
    assert any(i.field == "cases.troisième refus" and "cas en échec" in i.message for i in issues)


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("refusals_count: {gte: 3}", "refus_count: {gte: 3}", "refus_count", "fait inconnu"),
        ("refusals_count: {gte: 3}", "refusals_count: {plus_que: 3}", "plus_que", "opérateur"),
        ("event: orientation_refused\n", "event: refus\n", "event: refus", "n'est pas une valeur"),
        ("route_to_partnership", "route_to_commission", "route_to_commission", "action inconnue"),
        ('{reason: "Trois refus"}\ncases', "{motif: x}\ncases", "motif", "paramètre inconnu"),
        ("facts: {event", "facts: {evenement", "evenement", "fait inconnu"),
        ("title: Refus répétés", "titre: Refus", "titre", "champ inconnu"),
        ("refusals_count: {gte: 3}", "refusals_count: {gte: trois}", "trois", "nombre entier"),
    ],
)
def test_unknown_vocabulary_is_refused_with_its_line(
    old: str, new: str, needle: str, message: str
) -> None:
    text = VALID.replace(old, new, 1)
    assert text != VALID
    issues = [i for i in issues_of(text) if message in i.message]
    assert issues, issues_of(text)
    assert issues[0].file == "94.yaml"
    assert issues[0].line == line_with(text, needle), (issues[0], text)


def test_malformed_yaml_is_refused_with_its_line() -> None:
    text = VALID.replace("    then:\n", "    then: [\n", 1)
    (issue,) = issues_of(text)
    assert "YAML illisible" in issue.message and issue.line is not None
    assert abs(issue.line - line_with(text, "then: [")) <= 2  # where the parser notices


def test_impossible_and_contradictory_rules_are_reported() -> None:
    impossible = RULE.replace("refus-repetes", "impossible").replace(
        "refusals_count: {gte: 3}", "members_count: {gte: 26, lte: 18}"
    )
    issues = issues_of(HEADER.format(v="1") + "rules:" + RULE + impossible + "cases:" + CASE)
    assert any(
        i.field == "rules.impossible" and "règle impossible" in i.message and "26" in i.message
        for i in issues
    ), issues
    deadline = """
  - id: {id}
    title: Échéance flash
    when: {{event: reported, has_children: true}}
    then:
      - set_deadline: {{kind: flash, duration: {d}}}
"""
    rules = deadline.format(id="flash-24h", d="PT24H") + deadline.format(id="flash-48h", d="PT48H")
    cases = """
  - name: famille signalée
    facts: {event: reported, has_children: true}
    expect:
      - set_deadline: {kind: flash, duration: PT24H}
      - set_deadline: {kind: flash, duration: PT48H}
"""
    (issue,) = issues_of(HEADER.format(v="1") + "rules:" + rules + "cases:" + cases)
    assert issue.field == "rules.flash-48h" and "contredit la règle « flash-24h »" in issue.message


# -- command line ------------------------------------------------------------------------------
@pytest.fixture
def policies(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES, folder)
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_cli_validate(policies: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "policies", "validate", str(policies / "75.yaml"))
    assert code == 0 and "✔ 75.yaml est valide" in out
    code, out = run(capsys, "policies", "validate", str(policies / "_national.yaml"))
    assert code == 0 and "75, 93" in out

    candidate = policies.parent / "94-candidat.yaml"
    other = RULE.replace("refus-repetes", "refus-non-couvert").replace("gte: 3", "gte: 5")
    text = HEADER.format(v="2") + "rules:" + RULE + other + "cases:" + CASE
    candidate.write_text(text.replace("refusals_count: {gte: 3}", "refus: {gte: 3}"))
    code, out = run(capsys, "policies", "--policies", str(policies), "validate", str(candidate))
    assert code == 1 and "✘ 94-candidat.yaml : 1 problème(s)" in out
    assert f"94-candidat.yaml, ligne {line_with(text, 'refusals_count: {gte: 3}')}" in out
    assert "fait inconnu « refus »" in out

    candidate.write_text(text)  # valid, but one rule has no case: its line is given
    code, out = run(capsys, "policies", "--policies", str(policies), "validate", str(candidate))
    assert code == 1 and "aucun cas de test ne déclenche cette règle" in out
    assert f"ligne {line_with(text, 'refus-non-couvert')}" in out

    code, out = run(capsys, "policies", "validate", str(policies / "absent.yaml"))
    assert code == 1 and "introuvable" in out


def test_cli_validate_a_national_change_that_breaks_a_departement(
    policies: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    national = policies / "_national.yaml"
    national.write_text(
        national.read_text().replace("après l'alerte du référent principal", "après 7 jours")
    )
    code, out = run(capsys, "policies", "validate", str(national))
    # the national cases were updated with it, but 93's case on the national rule was not
    assert code == 1 and "93.yaml" in out and "cas en échec" in out


def test_cli_test(policies: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "policies", "--policies", str(policies), "test")
    header = out.splitlines()[0]
    for column in ("fichier", "cas", "résultat", "règles déclenchées"):
        assert column in header
    assert code == 0 and "✘" not in out and "0 en échec" in out
    assert "_national.yaml" in out and "75.yaml" in out and "93.yaml" in out
    assert "familles-refus-repetes" in out

    code, out = run(capsys, "policies", "--policies", str(policies), "test", "13")
    national = len(yaml.safe_load((policies / "_national.yaml").read_text())["cases"])
    assert code == 0 and "75.yaml" not in out and f"{national} cas" in out

    local = policies / "93.yaml"
    local.write_text(local.read_text().replace("refusals_count: 3\n", "refusals_count: 1\n", 1))
    code, out = run(capsys, "policies", "--policies", str(policies), "test", "93")
    assert code == 1 and "✘" in out and "1 en échec" in out
    assert "attendu : route_to_partnership_commission" in out and "obtenu  : aucune action" in out

    local.write_text("departement: [\n")
    code, out = run(capsys, "policies", "test", str(local))
    assert code == 1 and "YAML illisible" in out


def test_cli_list(policies: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accepted = tmp_path / "accepted"
    base = ["policies", "--policies", str(policies), "--accepted", str(accepted)]
    code, out = run(capsys, *base, "list")
    lines = out.splitlines()
    assert code == 0 and "date d'effet" in lines[0] and "état" in lines[0]
    row = next(line for line in lines if line.startswith("75.yaml"))
    assert "2026.1" in row and "2026-12-01" in row and "en vigueur" in row
    assert not accepted.exists()  # the worker's folder is only read

    # the worker accepted 93 once, then someone saved a broken file
    PolicyBook(policies, accepted, rules_engine()).policy("93")
    local = policies / "93.yaml"
    local.write_text(local.read_text().replace('version: "2026.1"', 'version: "2026.2"') + "  x\n")
    code, out = run(capsys, *base, "list")
    row = next(line for line in out.splitlines() if line.startswith("93.yaml"))
    assert code == 1 and "2026.1" in row and "la version précédente reste en vigueur" in row
    assert "✘ 93.yaml est refusé" in out and "93.yaml, ligne" in out


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'dry-run.db'}"
    migrate(url)
    engine = make_engine(url)
    now = clock.now()
    rows = [  # (id, département, stage, facts)
        ("h-rue", "75", "reported", {"event": "reported", "has_children": True,
                                     "residential_situation": "hotel_115"}),
        ("h-jeune", "75", "in_depth_evaluated", {"event": "in_depth_recorded",
                                                 "young_adult": True}),
        ("h-clos", "75", "closed", {"event": "reported", "has_children": True,
                                    "residential_situation": "hotel_115"}),
        ("h-93", "93", "reported", {"event": "reported", "has_children": True,
                                    "residential_situation": "hotel_115"}),
    ]  # fmt: skip
    with Session(engine) as session:
        for hid, dep, stage, facts in rows:
            household = {
                "id": hid,
                "departement": dep,
                "stage": stage,
                "facts": facts,
                "encountered_at": now,
                "workflow_id": f"parcours-{hid}",
            }
            session.add(Household.model_validate(household))
        session.commit()
    engine.dispose()
    return url


def test_cli_dry_run(
    policies: Path, tmp_path: Path, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate = tmp_path / "75.yaml"
    text = (policies / "75.yaml").read_text().replace('version: "2026.1"', 'version: "2026.2"')
    candidate.write_text(
        text.replace("[rue, squat_campement]", "[rue, squat_campement, hotel_115]")
    )
    base = ["policies", "--policies", str(policies), "--accepted", str(tmp_path / "acc")]
    code, out = run(capsys, *base, "dry-run", str(candidate), "--database-url", database)
    assert code == 0, out
    assert "version en vigueur : 2026.1+national-2026.1" in out
    assert "version candidate  : 2026.2+national-2026.1" in out
    assert "parcours ouverts   : 2 " in out  # the closed pathway and 93's are not read
    assert "règles modifiées : familles-rue-flash-24h" in out
    row = next(line for line in out.splitlines() if line.startswith("familles-rue-flash-24h"))
    assert row.split()[1:] == ["0", "1", "+1"]
    assert "Ménages dont les décisions changeraient : 1 sur 2" in out
    assert "ménage h-rue" in out and "après : set_deadline(duration=PT24H, kind=flash)" in out

    candidate.write_text(text.replace("then:", "alors:", 1))
    code, out = run(capsys, *base, "dry-run", str(candidate), "--database-url", database)
    assert code == 1 and "le fichier candidat est refusé" in out and "75.yaml, ligne" in out


def test_cli_dry_run_of_the_national_file(
    policies: Path, tmp_path: Path, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    national = tmp_path / "_national.yaml"
    national.write_text(NATIONAL_TEXT.replace('version: "2026.1"', 'version: "2026.2"'))
    base = ["policies", "--policies", str(policies), "--accepted", str(tmp_path / "acc")]
    code, out = run(capsys, *base, "dry-run", str(national), "--database-url", database)
    assert code == 0 and "département 75" in out and "département 93" in out
    assert "2026.1+national-2026.2" in out and "changeraient : 0 sur 2" in out


def test_reference_page_is_up_to_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert REFERENCE.read_text(encoding="utf-8") == reference_markdown(), (
        "docs/vocabulaire-des-regles.md est périmé : lancez `siao policies reference`"
    )
    out = tmp_path / "vocabulaire.md"
    code, printed = run(capsys, "policies", "reference", "--output", str(out))
    assert code == 0 and "écrit" in printed
    page = out.read_text(encoding="utf-8")
    for word in ("dls_age_days", "route_to_partnership_commission", "not_in", "```yaml"):
        assert word in page
