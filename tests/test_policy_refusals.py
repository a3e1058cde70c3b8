"""Bad policy files are refused at the door — not UTF-8, YAML anchors and aliases, durations out
of bounds, anything unexpected — with file, line and a French message, and never as another
exception: the version in force stays in force."""

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.main import create_app
from cli.main import main
from rules.book import PolicyBook
from rules.document import Issue, PolicyInvalid
from rules.engine import rules_engine
from tests.conftest import login

POLICIES = Path(__file__).parent.parent / "policies"
HEADER = (
    'departement: "93"\nversion: "{v}"\neffective_date: 2026-12-01\nauthor: Test\n'
    "description: essai\n"
)
GOOD = HEADER.format(v="1") + "deadlines:\n  flash: PT48H\n"
# a rule and its case setting a deadline: the duration is at lines 11 (rule) and 16 (case)
SET_DEADLINE = """rules:
  - id: echeance-relogement
    title: Échéance après relogement
    when: {{event: housed}}
    then:
      - set_deadline: {{kind: {kind}, duration: {duration}}}
cases:
  - name: relogé
    facts: {{event: housed}}
    expect:
      - set_deadline: {{kind: {kind}, duration: {duration}}}
"""
LAUGHS = 'lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9)
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(POLICIES / "_national.yaml", tmp_path / "_national.yaml")
    return tmp_path


def refused_after(folder: Path, bad: str | bytes) -> list[Issue]:
    """Load a good 93.yaml, overwrite it with `bad`: the good version stays in force."""
    book, local = PolicyBook(folder, None, rules_engine()), folder / "93.yaml"
    local.write_text(GOOD, encoding="utf-8")
    assert book.policy("93").version.startswith("1+")
    local.write_bytes(bad.encode() if isinstance(bad, str) else bad)
    assert book.policy("93").version.startswith("1+")  # refused: the previous one stays
    assert book.policy("93").deadlines.flash == "PT48H"
    with pytest.raises(PolicyInvalid):  # a new process, nothing to fall back on: refused too
        PolicyBook(folder, None, rules_engine()).policy("93")
    return book.refused["93"]


def only(issues: list[Issue]) -> Issue:
    assert len({(i.line, i.message) for i in issues}) == 1, issues
    assert all(i.file == "93.yaml" for i in issues), issues
    return issues[0]


# -- 1. not UTF-8 ------------------------------------------------------------------------------
def test_a_cp1252_file_is_refused_with_the_line_of_its_first_bad_byte(folder: Path) -> None:
    text = HEADER.format(v="2") + "deadlines:\n  flash: PT24H  # réduit\n"
    issue = only(refused_after(folder, text.encode("cp1252")))
    assert issue.line == 7
    assert "le fichier n'est pas en UTF-8 (octet 0xE9 ligne 7)" in issue.message
    assert str(issue).startswith("93.yaml, ligne 7 ")


# -- 2. anchors and aliases --------------------------------------------------------------------
ANCHORS = "les ancres et alias YAML (&, *) ne sont pas acceptés"


@pytest.mark.parametrize(
    ("bad", "line"),
    [
        (HEADER.format(v="2") + "deadlines:\n  flash: &d PT24H\n  review: *d\n", 7),
        (HEADER.format(v="2") + "deadlines:\n  flash: PT24H\n  review: *nulle_part\n", 8),
        (HEADER.format(v="2") + "boucle: &x [*x]\n", 6),  # recursive
        (HEADER.format(v="2") + LAUGHS + "deadlines:\n  flash: PT24H\n", 6),  # billion laughs
        ("&racine\n" + HEADER.format(v="2"), 1),
    ],
    ids=["anchor", "alias", "recursive", "billion-laughs", "root"],
)
def test_yaml_anchors_and_aliases_are_refused(folder: Path, bad: str, line: int) -> None:
    issue = only(refused_after(folder, bad))
    assert (issue.line, issue.message) == (line, ANCHORS)


# -- 3. durations ------------------------------------------------------------------------------
DURATIONS = [
    ("  flash: P6Y\n", "deadlines.flash", "« P6Y » dépasse cinq ans"),
    ("  flash: P1831D\n", "deadlines.flash", "dépasse cinq ans"),
    ("  review: P99999999D\n", "deadlines.review", "« P99999999D » est hors limites"),
    ("  review: P99999999Y\n", "deadlines.review", "est hors limites"),
    ("  review: PT99999999999H\n", "deadlines.review", "n'est pas une durée ISO 8601"),
    ("  reevaluation: {intensif: P61M}\n", "deadlines.reevaluation", "dépasse cinq ans"),
    ("  follow_up_window: P25M\n", "deadlines.follow_up_window", "deux ans au plus"),
    ("  follow_up_window: P6Y\n", "deadlines.follow_up_window", "dépasse cinq ans"),
    ("  flash: -P1D\n", "deadlines.flash", "doit être une durée positive"),
    ("  flash: PT0S\n", "deadlines.flash", "doit être une durée positive"),
    ("  flash: P1.5Y\n", "deadlines.flash", "entiers"),
    ("  flash: 72\n", "deadlines.flash", "une durée ISO 8601 est attendue"),
]


@pytest.mark.parametrize(
    ("deadlines", "field", "message"), DURATIONS, ids=[d.strip() for d, _, _ in DURATIONS]
)
def test_deadline_durations_out_of_bounds_are_refused(
    folder: Path, deadlines: str, field: str, message: str
) -> None:
    issue = only(refused_after(folder, HEADER.format(v="2") + "deadlines:\n" + deadlines))
    assert (issue.line, issue.field) == (7, field)
    assert message in issue.message


def test_durations_at_the_bounds_are_accepted(folder: Path) -> None:
    (folder / "93.yaml").write_text(
        HEADER.format(v="1")
        + "deadlines:\n  flash: P5Y\n  review: P60M\n  follow_up_window: P2Y\n"
        + SET_DEADLINE.format(kind="follow_up_end", duration="P24M")
    )
    policy = PolicyBook(folder, None, rules_engine()).policy("93")
    assert (policy.deadlines.flash, policy.deadlines.follow_up_window) == ("P5Y", "P2Y")


@pytest.mark.parametrize(
    ("kind", "duration", "message"),
    [
        ("review", "P6Y", "set_deadline : la durée « P6Y » dépasse cinq ans"),
        ("review", "P99999999D", "set_deadline : la durée « P99999999D » est hors limites"),
        ("review", "P1.5Y", "entiers"),
        ("review", "P0D", "doit être une durée positive"),
        ("follow_up_end", "P3Y", "set_deadline : la fenêtre de suivi post-logement"),
    ],
    ids=["P6Y", "P99999999D", "P1.5Y", "P0D", "follow_up_end-P3Y"],
)
def test_set_deadline_durations_are_bounded_too(
    folder: Path, kind: str, duration: str, message: str
) -> None:
    text = HEADER.format(v="2") + SET_DEADLINE.format(kind=kind, duration=duration)
    issues = refused_after(folder, text)
    assert {(i.line, i.field) for i in issues} == {
        (11, "rules.0.then.0.set_deadline"),
        (16, "cases.0.expect.0.set_deadline"),
    }
    assert all(message in i.message for i in issues), issues


# -- 4. anything else --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bad", "line", "message"),
    [
        (HEADER.format(v="2") + "deadlines: [\n", 7, "YAML illisible"),
        (HEADER.format(v="2") + "# nul \x00\n", 6, "caractère interdit (#x0000)"),
        (HEADER.format(v="2") + "---\n" + HEADER.format(v="3"), 6, "YAML illisible"),
        (HEADER.format(v="2") + "profond: " + "[" * 5000 + "]" * 5000 + "\n", None, "imbriqué"),
        (HEADER.format(v="2") + "description: !!python/name:os.system\n", 6, "YAML illisible"),
    ],
    ids=["syntax", "nul", "two-documents", "deep", "python-tag"],
)
def test_other_yaml_problems_are_refused(
    folder: Path, bad: str, line: int | None, message: str
) -> None:
    issue = only(refused_after(folder, bad))
    assert issue.line == line and message in issue.message


def test_an_unexpected_error_is_a_refusal_without_the_file_content(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book, local = PolicyBook(folder, None, rules_engine()), folder / "93.yaml"
    local.write_text(GOOD)
    book.policy("93")

    def overflow(file: str, text: str) -> None:
        raise OverflowError(f"secret {text}")

    monkeypatch.setattr("rules.book.parse_document", overflow)
    local.write_text(HEADER.format(v="2"))
    assert book.policy("93").version.startswith("1+")
    (issue,) = book.refused["93"]
    assert issue == Issue("93.yaml", None, "", "erreur inattendue : OverflowError")

    def recurse(file: str, text: str) -> None:
        recurse(file, text)

    monkeypatch.setattr("rules.book.parse_document", recurse)
    with pytest.raises(PolicyInvalid, match="erreur inattendue : RecursionError"):
        book.build("93", (folder / "_national.yaml").read_bytes(), GOOD, "refusals")


def test_an_empty_rules_list_is_still_accepted(folder: Path) -> None:
    (folder / "93.yaml").write_text(HEADER.format(v="1") + "rules: []\n")
    assert PolicyBook(folder, None, rules_engine()).policy("93").version.startswith("1+")


def test_a_broken_accepted_copy_is_a_refusal_too(folder: Path, tmp_path: Path) -> None:
    accepted = tmp_path / "accepted"
    (folder / "93.yaml").write_text(GOOD)
    PolicyBook(folder, accepted, rules_engine()).policy("93")
    copy = accepted / "93--93.yaml"
    copy.write_bytes(copy.read_bytes() + "# modifié\n".encode("cp1252"))
    (folder / "93.yaml").write_text("deadlines: [\n")
    with pytest.raises(PolicyInvalid, match="n'est pas en UTF-8"):
        PolicyBook(folder, accepted, rules_engine()).policy("93")


def test_cli_validate_refuses_a_cp1252_file(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate = folder / "93.yaml"
    candidate.write_bytes((HEADER.format(v="2") + "# réduit\n").encode("cp1252"))
    code = main(["policies", "--policies", str(folder), "validate", str(candidate)])
    out = capsys.readouterr().out
    assert code == 1 and "93.yaml, ligne 6" in out and "n'est pas en UTF-8" in out
    candidate.write_text(GOOD)
    (folder / "_national.yaml").write_bytes(
        (folder / "_national.yaml").read_bytes().replace("é".encode(), b"\xe9")
    )
    code = main(["policies", "--policies", str(folder), "validate", str(candidate)])
    out = capsys.readouterr().out
    assert code == 1 and "_national.yaml, ligne" in out and "octet 0xE9" in out


# -- through the API ---------------------------------------------------------------------------
@pytest.fixture
async def api(settings, engine, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    app = create_app(settings.model_copy(update={"policies_dir": policies}), engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://siao.test",
        headers=login(settings, engine, ["redacteur"], ["75", "93"]),
    ) as client:
        yield client, policies


async def test_api_refuses_what_is_not_utf8_and_keeps_the_version_in_force(api) -> None:
    client, policies = api
    before = (policies / "93.yaml").read_bytes()
    text = HEADER.format(v="2") + "# caf\udce9 : un octet cp1252 passé tel quel\n"
    raw = json.dumps({"yaml": text})  # "\udce9" in JSON: what a client decoding cp1252 sends
    r = await client.put("/policies/93", content=raw, headers={"content-type": "application/json"})
    # Not even valid JSON text (a lone surrogate): refused on the field before any policy check;
    # files saved on disk get the line of the bad byte (tests above).
    assert r.status_code == 422, r.text
    (error,) = r.json()["erreurs"]
    assert error["champ"] == "yaml"
    assert (policies / "93.yaml").read_bytes() == before  # nothing written

    r = await client.put("/policies/93", json={"yaml": HEADER.format(v="2") + "x: &a 1\n"})
    assert r.status_code == 422 and r.json()["erreurs"][0]["message"] == ANCHORS

    listed = (await client.get("/policies")).json()
    version = {p["departement"]: p["version"] for p in listed}["93"]
    (policies / "93.yaml").write_bytes(before.decode().replace("#", "# é", 1).encode("cp1252"))
    listed = (await client.get("/policies")).json()
    (now,) = [p for p in listed if p["departement"] == "93"]
    assert now["version"] == version  # the previous version stays in force
    assert any("n'est pas en UTF-8" in refusal for refusal in now["refus_en_cours"])

    r = await client.put("/policies/93", json={"yaml": HEADER.format(v="3") + "rules: []\n"})
    assert r.status_code == 200, r.text  # an empty rules list is fine
