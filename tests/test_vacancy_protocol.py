"""The vacancy protocol on the real time-skipping server: its delays and stall alerts, and the
loop vacancy → refusal → next household → acceptance → admission through both workflows."""

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api import vacancies
from models.offer import Place, PlaceStatus, PlaceStatusChange
from models.pathway import Action, Stage
from models.protocol import (
    Consequence,
    ProposalStatus,
    ProtocolStep,
    StallReason,
    StallRecipient,
    vacancy_id,
)
from models.schemas import CommissionDecisionCreate, FlashEvaluationCreate, InDepthEvaluationCreate
from models.vacancy import (
    AdmitInput,
    AnswerInput,
    Proposal,
    ProposeInput,
    StallAlert,
    Vacancy,
    VacancyState,
)
from models.vocab_orientation import RefusalReason, RefusedBy
from tests import factories, offer_fixtures
from tests.conftest import new_id
from tests.pathway_helpers import Driver, body, eventually
from tests.test_replay import replayer
from workflows import search_attributes as sa
from workflows.vacancy import VacancyWorkflow

S = RefusedBy


async def to_commission(drive: Driver, at: datetime) -> str:
    hid = new_id()
    await drive.report(hid, at)
    await drive.act(
        hid, Action.FLASH_EVALUATION, body(FlashEvaluationCreate, factories.flash()), at
    )
    await drive.act(
        hid, Action.IN_DEPTH_EVALUATION, body(InDepthEvaluationCreate, factories.in_depth()), at
    )
    commission = body(CommissionDecisionCreate, factories.commission())
    state = await drive.act(hid, Action.COMMISSION_DECISION, commission, at)
    assert state.stage is Stage.COMMISSION
    return hid


@pytest.fixture
async def vacancy(ts_env, ts_pathway, engine) -> AsyncIterator[tuple[str, int]]:
    """A CHRS place that just became vacant, and its running protocol."""
    _, place_id = offer_fixtures.place(engine, "occupied")
    now = await ts_env.get_current_time()
    with Session(engine) as s:
        s.execute(
            update(Place).where(Place.id == place_id).values(status="vacant", status_since=now)  # type: ignore[arg-type]
        )
        s.add(PlaceStatusChange(place_id=place_id, actor="t", to_status=PlaceStatus.VACANT))
        s.commit()
    await vacancies.open_protocol(ts_env.client, ts_pathway.task_queue, engine, place_id)
    vid = vacancy_id(place_id, 1)
    yield vid, place_id
    with contextlib.suppress(RPCError):  # filled (completed) already
        await ts_env.client.get_workflow_handle(vid).terminate(reason="fin du test")


@contextlib.contextmanager
def refused(words: str) -> Iterator[None]:
    """The update is refused, with these words in its reason (the cause's message)."""
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        yield
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError) and words in cause.message, cause


def answer(
    hid: str, party: RefusedBy, at: datetime, reason: RefusalReason | None = None
) -> AnswerInput:
    return AnswerInput(
        household_id=hid,
        party=party,
        accepted=reason is None,
        reason=reason,
        actor="t",
        occurred_at=at,
    )


def place_status(engine, place_id: int) -> str:
    with Session(engine) as s:
        place = s.get(Place, place_id)
        assert place is not None
        return str(place.status)


def alerts(engine, vid: str) -> list[tuple[str, str]]:
    with Session(engine) as s:
        query = select(StallAlert).where(StallAlert.vacancy_id == vid)
        rows = s.exec(query.order_by(col(StallAlert.id)))
        return [(str(a.reason), str(a.recipient)) for a in rows]


async def test_vacancy_to_admission_with_a_refusal_in_between(ts_env, ts_pathway, vacancy, engine):
    drive, (vid, place_id) = ts_pathway, vacancy
    client: Client = ts_env.client
    handle = client.get_workflow_handle(vid, result_type=VacancyState)
    t = await ts_env.get_current_time()
    first, second = await to_commission(drive, t), await to_commission(drive, t)

    await handle.execute_update(
        VacancyWorkflow.propose, ProposeInput(household_id=first, actor="t", occurred_at=t)
    )
    assert (await drive.state(first)).stage is Stage.ORIENTATION_PROPOSED
    assert place_status(engine, place_id) == PlaceStatus.PROPOSED
    # One household per unit (national policy): a second proposal waits for an answer.
    with refused("déjà 1 ménage"):
        await handle.execute_update(
            VacancyWorkflow.propose, ProposeInput(household_id=second, actor="t", occurred_at=t)
        )

    # The structure refuses with one of its reasons: the place is free for the next household.
    refusal = answer(first, S.STRUCTURE, t, RefusalReason.PUBLIC_NON_CORRESPONDANT)
    await handle.execute_update(VacancyWorkflow.answer, refusal)
    assert (await drive.state(first)).stage is Stage.COMMISSION
    assert place_status(engine, place_id) == PlaceStatus.VACANT
    # A household's reason given as the structure's: refused, nothing changed.
    await handle.execute_update(
        VacancyWorkflow.propose, ProposeInput(household_id=second, actor="t", occurred_at=t)
    )
    with refused("appartient"):
        await handle.execute_update(
            VacancyWorkflow.answer, answer(second, S.STRUCTURE, t, RefusalReason.LOCALISATION)
        )

    await handle.execute_update(VacancyWorkflow.answer, answer(second, S.STRUCTURE, t))
    await handle.execute_update(VacancyWorkflow.answer, answer(second, S.MENAGE, t))
    assert (await drive.state(second)).orientation_accepted
    admitted = AdmitInput(household_id=second, admitted_on=t.date(), actor="t", occurred_at=t)
    final = await handle.execute_update(VacancyWorkflow.admit, admitted)
    assert final.step is ProtocolStep.FILLED
    assert (await drive.state(second)).stage is Stage.ADMITTED
    assert place_status(engine, place_id) == PlaceStatus.OCCUPIED
    result = await handle.result()
    assert result.filled_by == second
    # Vacancies stay open for weeks: today's code replays this history (and recorded ones).
    history = await handle.fetch_history()
    await replayer().replay_workflow(history)
    if target := os.environ.get("SIAO_RECORD_VACANCY_HISTORY"):
        Path(target).write_text(history.to_json())
    with Session(engine) as s:
        row = s.get(Vacancy, vid)
        assert row is not None and row.step == ProtocolStep.FILLED and row.filled_by == second
        statuses = {
            p.household_id: p.status
            for p in s.exec(select(Proposal).where(Proposal.vacancy_id == vid))
        }
        assert statuses == {first: ProposalStatus.REFUSED, second: ProposalStatus.ADMITTED}
        place = s.get(Place, place_id)
        assert place is not None and place.household_id == second


async def test_stall_alerts_structure_first_then_coordinator(ts_env, ts_pathway, vacancy, engine):
    drive, (vid, _) = ts_pathway, vacancy
    handle = ts_env.client.get_workflow_handle(vid)
    # National policy: the SIAO proposes within 3 days, the escalation comes 3 days later.
    await ts_env.sleep(timedelta(days=2, hours=23))
    assert alerts(engine, vid) == []
    await ts_env.sleep(timedelta(hours=2))

    async def first_alert() -> None:
        assert alerts(engine, vid) == [(StallReason.NO_PROPOSAL, StallRecipient.STRUCTURE)]

    await eventually(first_alert)
    await ts_env.sleep(timedelta(days=3, hours=1))

    async def escalated() -> None:
        assert alerts(engine, vid)[1:] == [(StallReason.NO_PROPOSAL, StallRecipient.COORDINATOR)]

    await eventually(escalated)

    now = await ts_env.get_current_time()
    hid = await to_commission(drive, now)
    await handle.execute_update(
        VacancyWorkflow.propose, ProposeInput(household_id=hid, actor="t", occurred_at=now)
    )
    # The structure answers within 7 days; past it, an alert and its answer is refused.
    await ts_env.sleep(timedelta(days=7, hours=1))

    async def structure_late() -> None:
        assert alerts(engine, vid)[2:] == [(StallReason.STRUCTURE_ANSWER, StallRecipient.STRUCTURE)]

    await eventually(structure_late)
    # Supervisors see it in the Temporal UI: its step, overdue, in its département.
    found = (await handle.describe()).typed_search_attributes
    assert found[sa.STAGE] == ProtocolStep.AWAITING_ANSWERS.value
    assert found[sa.OVERDUE] is True and found[sa.DEPARTEMENT] == "75"
    late = await ts_env.get_current_time()
    with refused("délai de réponse dépassé"):
        await handle.execute_update(VacancyWorkflow.answer, answer(hid, S.STRUCTURE, late))
    # The coordination closes it: the household keeps its seniority (national policy).
    await handle.execute_update(
        VacancyWorkflow.answer,
        answer(hid, S.ADMINISTRATIF, late, RefusalReason.ORIENTATION_EXPIREE),
    )
    state = await handle.query(VacancyWorkflow.state_query)
    assert state.step is ProtocolStep.AWAITING_PROPOSAL and state.propose_due is not None
    with Session(engine) as s:
        row = s.exec(select(Proposal).where(Proposal.household_id == hid)).one()
        assert row.consequence == Consequence.KEEP_SENIORITY


async def test_declining_after_accepting_alerts_and_parks(ts_env, ts_pathway, vacancy, engine):
    drive, (vid, place_id) = ts_pathway, vacancy
    handle = ts_env.client.get_workflow_handle(vid)
    t = await ts_env.get_current_time()
    hid = await to_commission(drive, t)
    await handle.execute_update(
        VacancyWorkflow.propose, ProposeInput(household_id=hid, actor="t", occurred_at=t)
    )
    await handle.execute_update(VacancyWorkflow.answer, answer(hid, S.STRUCTURE, t))
    await handle.execute_update(VacancyWorkflow.answer, answer(hid, S.MENAGE, t))
    await handle.execute_update(
        VacancyWorkflow.answer, answer(hid, S.MENAGE, t, RefusalReason.PAS_MAINTENANT)
    )
    assert (await drive.state(hid)).stage is Stage.COMMISSION
    assert place_status(engine, place_id) == PlaceStatus.VACANT
    assert alerts(engine, vid) == [(StallReason.DECLINED, StallRecipient.COORDINATOR)]
    with Session(engine) as s:
        row = s.exec(select(Proposal).where(Proposal.household_id == hid)).one()
        assert row.declined_after_accepting and row.consequence == Consequence.PARK
        # « pas maintenant » parks the household for 30 days (national policy).
        assert vacancies.held_back(s, hid, t + timedelta(days=29)) is not None
        assert vacancies.held_back(s, hid, t + timedelta(days=31)) is None


async def test_household_answer_and_admission_delays_alert_on_time(
    ts_env, ts_pathway, vacancy, engine
):
    drive, (vid, _) = ts_pathway, vacancy
    handle = ts_env.client.get_workflow_handle(vid)
    t = await ts_env.get_current_time()
    hid = await to_commission(drive, t)
    await handle.execute_update(
        VacancyWorkflow.propose, ProposeInput(household_id=hid, actor="t", occurred_at=t)
    )
    await handle.execute_update(VacancyWorkflow.answer, answer(hid, S.STRUCTURE, t))
    # National policy: the household answers within 5 days.
    await ts_env.sleep(timedelta(days=4, hours=23))
    assert alerts(engine, vid) == []
    await ts_env.sleep(timedelta(hours=2))

    async def household_late() -> None:
        assert alerts(engine, vid) == [(StallReason.HOUSEHOLD_ANSWER, StallRecipient.STRUCTURE)]

    await eventually(household_late)
    # The coordination closes it; the place goes to the next household.
    now = await ts_env.get_current_time()
    closing = answer(hid, S.ADMINISTRATIF, now, RefusalReason.PERDU_DE_VUE)
    await handle.execute_update(VacancyWorkflow.answer, closing)
    other = await to_commission(drive, now)
    await handle.execute_update(
        VacancyWorkflow.propose, ProposeInput(household_id=other, actor="t", occurred_at=now)
    )
    await handle.execute_update(VacancyWorkflow.answer, answer(other, S.STRUCTURE, now))
    await handle.execute_update(VacancyWorkflow.answer, answer(other, S.MENAGE, now))
    # Accepted: the admission is due within 15 days, then the coordinator 3 days later.
    await ts_env.sleep(timedelta(days=15, hours=1))

    async def admission_late() -> None:
        assert alerts(engine, vid)[1:] == [(StallReason.ADMISSION, StallRecipient.STRUCTURE)]

    await eventually(admission_late)
    await ts_env.sleep(timedelta(days=3, hours=1))

    async def escalated() -> None:
        assert alerts(engine, vid)[2:] == [(StallReason.ADMISSION, StallRecipient.COORDINATOR)]

    await eventually(escalated)
    with Session(engine) as s:
        closed = s.exec(select(Proposal).where(Proposal.household_id == hid)).one()
        assert closed.consequence == Consequence.UNTIL_REASSESSED  # « perdu de vue », national
