"""Policy staff's lifecycle through the API, and a saved change reaching running pathways."""

import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.main import create_app
from models.pathway import Action
from models.schemas import FlashEvaluationCreate, InDepthEvaluationCreate, ReviewCreate
from tests import factories
from tests.conftest import login, new_id, running_worker
from tests.pathway_helpers import Driver, body

POLICIES = Path(__file__).parent.parent / "policies"
EXTRA_RULE = """
  - id: revue-signalement-syplo
    title: Revue tenue – vérifier SYPLO
    when: {event: review_recorded}
    then:
      - flag: {kind: syplo_labelling}
"""
EXTRA_CASE = """
  - name: une revue déclenche la vérification SYPLO
    facts: {event: review_recorded}
    expect:
      - flag: {kind: syplo_labelling}
"""


def with_rule(text: str) -> str:
    """75.yaml with one more rule and its case, and a new version number."""
    text = text.replace('version: "2026.1"', 'version: "2026.2"')
    text = text.replace("\nrules:\n", "\nrules:\n" + EXTRA_RULE.lstrip("\n"), 1)
    return text.replace("\ncases:\n", "\ncases:\n" + EXTRA_CASE.lstrip("\n"), 1)


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES, folder)
    return folder


@pytest.fixture
async def api(settings, engine, policies) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"policies_dir": policies}), engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://siao.test",
        headers=login(settings, engine, ["redacteur"], ["75", "93"]),
    ) as client:
        yield client


async def test_list_validate_and_refuse_with_lines(api, policies):
    listed = (await api.get("/policies")).json()
    assert {p["departement"] for p in listed} == {"75", "93"}
    assert all(case["reussi"] for p in listed for case in p["cas"])

    broken = (policies / "75.yaml").read_text().replace("rules:", "rules: [", 1)
    r = await api.post("/policies/75/validate", json={"yaml": broken})
    assert r.status_code == 422 and r.json()["erreurs"][0]["ligne"]
    unknown = with_rule((policies / "75.yaml").read_text()).replace(
        "{event: review_recorded}\n    then", "{evenement: review_recorded}\n    then"
    )
    r = await api.post("/policies/75/validate", json={"yaml": unknown})
    assert r.status_code == 422
    (issue,) = [e for e in r.json()["erreurs"] if "evenement" in e["message"]]
    line = unknown.splitlines()[issue["ligne"] - 1]
    assert "evenement" in line

    r = await api.post(
        "/policies/75/validate", json={"yaml": with_rule((policies / "75.yaml").read_text())}
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"].startswith("2026.2")


async def test_dry_run_then_save_changes_the_next_decision_without_restart(
    ts_env, settings, engine, api, policies
):
    queue = f"siao-pol-{uuid.uuid4().hex[:8]}"
    worker_settings = settings.model_copy(
        update={"policies_dir": policies, "policies_accepted_dir": policies.parent / "accepted"}
    )
    drive = Driver(ts_env.client, engine, queue)
    async with running_worker(ts_env.client, worker_settings, engine, queue):
        hid, t = new_id(), await ts_env.get_current_time()
        await drive.report(hid, t)
        await drive.act(
            hid, Action.FLASH_EVALUATION, body(FlashEvaluationCreate, factories.flash()), t
        )
        candidate = with_rule((policies / "75.yaml").read_text())

        report = await api.post("/policies/75/dry-run", json={"yaml": candidate})
        assert report.status_code == 200, report.text
        assert "revue-signalement-syplo" in report.json()["rules_added"]

        refused = await api.put("/policies/75", json={"yaml": candidate.replace("flag:", "flg:")})
        assert refused.status_code == 422
        assert "2026.2" not in (policies / "75.yaml").read_text()  # nothing written

        saved = await api.put("/policies/75", json={"yaml": candidate})
        assert saved.status_code == 200 and saved.json()["version"].startswith("2026.2")

        await drive.act(
            hid, Action.IN_DEPTH_EVALUATION, body(InDepthEvaluationCreate, factories.in_depth()), t
        )
        state = await drive.act(hid, Action.REVIEW, body(ReviewCreate, factories.review()), t)
        assert "revue-signalement-syplo" in {d.rule_id for d in state.last_decisions}
        assert "syplo_labelling" in state.flags
        await drive.terminate_all()
