"""durable_rules is native code: every run that once crashed it goes in a subprocess (a crash
fails the test, not pytest), and the worker's engine lives in a child that may die alone."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rules.isolated import EngineUnavailable, IsolatedPolicies

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
NATIONAL = (POLICIES / "_national.yaml").read_text(encoding="utf-8")
HEADER = 'effective_date: 2026-12-01\nauthor: "Tests"\ndescription: "Essai."\n'
LOCAL = (
    """\
departement: "94"
version: "{version}"
"""
    + HEADER.replace("{", "{{")
    + """\
rules:
  - id: refus-repetes
    title: Refus répétés
    when: {{event: orientation_refused, refusals_count: {{gte: {threshold}}}}}
    then: [{{route_to_partnership_commission: {{reason: refus répétés}}}}]
cases:
  - name: seuil atteint
    facts: {{event: orientation_refused, refusals_count: {threshold}}}
    expect: [{{route_to_partnership_commission: {{reason: refus répétés}}}}]
  - name: sous le seuil
    facts: {{event: orientation_refused, refusals_count: 0}}
    expect: []
"""
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.engine_runs", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, (result.returncode, result.stdout[-2000:], result.stderr[-3000:])
    return result


def test_every_departement_on_every_event() -> None:
    """The crash: national-only départements (95, 2A, 976…) died on their first contact."""
    assert "ok 101 départements" in run("departements").stdout


def test_an_empty_rules_file(tmp_path: Path) -> None:
    (tmp_path / "13.yaml").write_text(
        'departement: "13"\nversion: "1"\n' + HEADER + "rules: []\n", encoding="utf-8"
    )
    # Only the national rules of a copy with none: strip them to test "no rule at all".
    text = NATIONAL.split("\nrules:")[0] + "\nrules: []\n"
    (tmp_path / "_national.yaml").write_text(text, encoding="utf-8")
    assert "ok empty rules" in run("empty-rules", str(tmp_path)).stdout


def test_versions_swapped_back_and_forth(tmp_path: Path) -> None:
    (tmp_path / "_national.yaml").write_text(NATIONAL, encoding="utf-8")
    for version, threshold in ((1, 3), (2, 2)):
        text = LOCAL.format(version=version, threshold=threshold)
        (tmp_path / f"94.v{version}.yaml").write_text(text, encoding="utf-8")
    assert "ok swaps" in run("swaps", str(tmp_path)).stdout


def test_generated_policies_agree_with_their_meaning() -> None:
    """Hypothesis: generated valid rules x generated facts; no crash, and the engine fires
    exactly the rules a plain-Python reading of each condition says."""
    assert "ok 400 generated policies" in run("properties", "400").stdout


@pytest.fixture
def isolated() -> Iterator[IsolatedPolicies]:
    policies = IsolatedPolicies(POLICIES, None, timeout=20)
    yield policies
    policies.close()


def test_a_crash_in_the_engine_kills_only_its_child(isolated: IsolatedPolicies) -> None:
    first = isolated.evaluate("95", {"event": "reported"})
    pid = isolated.pid()
    assert first.policy_id == "_national" and pid is not None
    with pytest.raises(EngineUnavailable):  # a fault on every try: refused after two
        isolated._call("crash", ())
    assert isolated.restarts == 2
    # This process is alive, and the next evaluation gets a new child.
    again = isolated.evaluate("93", {"event": "reported"})
    assert again.policy_id == "93" and isolated.pid() not in (None, pid)


def test_a_hung_engine_is_replaced() -> None:
    policies = IsolatedPolicies(POLICIES, None, timeout=0.5)
    try:
        policies.evaluate("75", {"event": "reported"})  # started and warm
        pid = policies.pid()
        with pytest.raises(EngineUnavailable):  # no answer in time, twice: killed, refused
            policies._call("hang", ())
        policies.timeout = 20
        assert policies.evaluate("75", {"event": "reported"}).policy_id == "75"
        assert policies.pid() not in (None, pid)
    finally:
        policies.close()


def test_the_child_ends_with_its_parent() -> None:
    """No orphan engine after the worker goes: the child exits on the closed pipe."""
    code = (
        "from pathlib import Path; from rules.isolated import IsolatedPolicies;"
        f"p = IsolatedPolicies(Path({str(POLICIES)!r}), None);"
        "p.evaluate('75', {'event': 'reported'}); print(p.pid(), flush=True);"
        "import os; os._exit(0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    child = int(out.stdout.strip().splitlines()[-1])
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        subprocess.run(["sleep", "0.1"], check=True)
    pytest.fail("the engine's child outlived its parent")
