"""The landlord route decided by the rules (R-HOUS-3), on the real time-skipping server: inside
the window the solicitation is recorded and an accompaniment proposed; outside it the rules'
`refuse_solicitation` refuses it — 409 with the policy's reason, and nothing recorded."""

import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from api.errors import ApiError
from models.evaluations import Review
from models.pathway import Action, Stage
from models.records import Household, Submission, TimelineEvent
from models.schemas import (
    CommissionDecisionCreate,
    FlashEvaluationCreate,
    HousingCreate,
    InDepthEvaluationCreate,
    OrientationCreate,
    OrientationResponseCreate,
    ReviewCreate,
)
from tests import factories
from tests.conftest import new_id, running_worker
from tests.pathway_helpers import Driver, body

POLICIES = Path(__file__).resolve().parent.parent / "policies"
REASON = "Hors de la fenêtre d'un mois : droit à l'oubli"
# A one-month window, inside the national two-year follow-up: the refusal is reachable.
ONE_MONTH_94 = f"""\
departement: "94"
version: "1"
effective_date: 2026-12-01
author: "Tests"
description: "Val-de-Marne : sollicitations des bailleurs dans le premier mois."
rules:
  - id: sollicitation-dans-fenetre
    title: Sollicitation d'un bailleur dans le premier mois
    when:
      event: landlord_solicitation
      days_since_housing: {{gte: 0, lte: 30}}
    then:
      - propose_accompaniment: {{kind: avdl}}
  - id: sollicitation-hors-fenetre
    title: Sollicitation d'un bailleur après le premier mois
    when:
      event: landlord_solicitation
      days_since_housing: {{gt: 30}}
    then:
      - refuse_solicitation: {{reason: "{REASON}"}}
cases:
  - name: dans le mois
    facts: {{event: landlord_solicitation, days_since_housing: 10}}
    expect:
      - propose_accompaniment: {{kind: avdl}}
  - name: après le mois
    facts: {{event: landlord_solicitation, days_since_housing: 40}}
    expect:
      - refuse_solicitation: {{reason: "{REASON}"}}
  - name: jamais logé
    facts: {{event: landlord_solicitation, days_since_housing: -1}}
    expect: []
"""


@pytest.fixture
async def drive94(ts_env, settings, engine, tmp_path) -> AsyncIterator[Driver]:
    policies = tmp_path / "policies"
    policies.mkdir()
    shutil.copy(POLICIES / "_national.yaml", policies)
    (policies / "94.yaml").write_text(ONE_MONTH_94, encoding="utf-8")
    own = settings.model_copy(
        update={"policies_dir": policies, "policies_accepted_dir": tmp_path / "accepted"}
    )
    queue = f"siao-landlord-{uuid.uuid4().hex[:8]}"
    driver = Driver(ts_env.client, engine, queue)
    async with running_worker(ts_env.client, own, engine, queue):
        yield driver
        await driver.terminate_all()


def held(engine, hid: str) -> tuple[int, int, int]:
    """Reviews, entries and timeline rows of this household's landlord solicitations."""
    solicitation = Action.LANDLORD_SOLICITATION.value
    with Session(engine) as s:
        return (
            s.exec(select(func.count()).where(col(Review.household_id) == hid)).one(),
            s.exec(
                select(func.count()).where(
                    col(Submission.household_id) == hid, col(Submission.action) == solicitation
                )
            ).one(),
            s.exec(
                select(func.count()).where(
                    col(TimelineEvent.household_id) == hid,
                    col(TimelineEvent.action) == solicitation,
                )
            ).one(),
        )


async def test_a_solicitation_past_the_window_is_refused_and_leaves_nothing(
    ts_env, drive94, engine
):
    drive, hid = drive94, new_id()
    t = await ts_env.get_current_time()
    await drive.report(hid, t, "94")
    steps = [
        (Action.FLASH_EVALUATION, FlashEvaluationCreate, factories.flash()),
        (Action.IN_DEPTH_EVALUATION, InDepthEvaluationCreate, factories.in_depth()),
        (Action.COMMISSION_DECISION, CommissionDecisionCreate, factories.commission()),
        (Action.ORIENTATION, OrientationCreate, factories.orientation("pension_de_famille")),
        (Action.ACCEPT_ORIENTATION, OrientationResponseCreate, factories.accepted()),
        (Action.HOUSING, HousingCreate, factories.placement("pension_de_famille")),
    ]
    for action, schema, data in steps:
        state = await drive.act(hid, action, body(schema, data), t)
    assert state.stage is Stage.HOUSED

    solicit = body(ReviewCreate, factories.review())
    state = await drive.act(hid, Action.LANDLORD_SOLICITATION, solicit, t)
    assert state.proposed_accompaniments == ["avdl"]
    with Session(engine) as s:
        household = s.get(Household, hid)
        assert household is not None and household.proposed_accompaniments == ["avdl"]
    assert held(engine, hid) == (1, 1, 1)

    await ts_env.sleep(timedelta(days=40))
    late = await ts_env.get_current_time()
    with pytest.raises(ApiError) as refused:
        await drive.act(hid, Action.LANDLORD_SOLICITATION, solicit, late)
    assert refused.value.status == 409
    assert refused.value.detail == (
        f"Action refusée : sollicitation refusée par les règles du département : {REASON}."
    )
    assert refused.value.extra["stage"] == Stage.HOUSED.value
    assert Action.LANDLORD_SOLICITATION.value in refused.value.extra["allowed_actions"]
    assert held(engine, hid) == (1, 1, 1)  # no review, no entry held, no timeline row
    after = await drive.state(hid)
    assert after.actions_count == state.actions_count and after.stage is Stage.HOUSED
