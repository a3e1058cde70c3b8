"""Accompaniment measures for the API (issue 10, item 5): the catalogue and what is left of each
service, a caller's reach, a household's measures as views, what the pathway is told (the kinds
of the active measures and the intensity its re-evaluation follows), each act sent as a pathway
action — and the end of a measure once the pathway is closed (nothing left to tell it)."""

import dataclasses
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from activities import audit
from activities import measures as writer
from api import actions, idempotency, redaction, viewers
from api.deps import ActionContext
from api.errors import ApiError
from api.facts import RecordedFacts
from api.security import Principal, household_for
from models.evaluations import InDepthEvaluation
from models.measure_schemas import (
    MeasureChangeView,
    MeasureOperation,
    MeasureResult,
    MeasureServiceView,
    MeasureView,
)
from models.measures import (
    INTENSITY_ORDER,
    Measure,
    MeasureChange,
    MeasureChangeKind,
    MeasureKind,
    MeasureService,
)
from models.pathway import Action, Stage
from models.records import Household, Submission, TimelineEvent, TimelineKind
from models.vocab import AccompanimentIntensity

K, ACTION = MeasureChangeKind, Action.ACCOMPANIMENT_CHANGE
UNKNOWN_MEASURE = "Mesure inconnue."
UNKNOWN_SERVICE = "Service d'accompagnement inconnu."


def refused(why: str) -> ApiError:
    return ApiError(409, f"Action impossible : {why}. Rien n'a été modifié.")


def service_for(session: Session, principal: Principal, service_id: int) -> MeasureService:
    """A catalogue entry of the caller's départements; 404 otherwise."""
    service = session.get(MeasureService, service_id)
    if service is None or service.departement not in principal.departements:
        raise ApiError(404, UNKNOWN_SERVICE)
    return service


def measure_for(
    session: Session, principal: Principal, measure_id: int
) -> tuple[Measure, Household]:
    """The measure if the caller reaches its household (api.security); 404 otherwise."""
    measure = session.get(Measure, measure_id)
    if measure is None:
        raise ApiError(404, UNKNOWN_MEASURE)
    try:
        return measure, household_for(session, principal, measure.household_id)
    except ApiError as exc:
        raise ApiError(404, UNKNOWN_MEASURE) from exc


def services_of(
    session: Session, principal: Principal, kind: MeasureKind | None, departement: str | None
) -> list[MeasureServiceView]:
    query = select(MeasureService).where(
        col(MeasureService.departement).in_(sorted(principal.departements))
    )
    if kind is not None:
        query = query.where(MeasureService.kind == kind.value)
    if departement is not None:
        query = query.where(MeasureService.departement == departement)
    rows = list(session.exec(query.order_by(col(MeasureService.id))))
    counted: Any = (
        select(Measure.service_id, func.count(col(Measure.id)))
        .where(col(Measure.service_id).in_([s.id for s in rows]), col(Measure.ended_at).is_(None))
        .group_by(col(Measure.service_id))
    )
    active = {sid: n for sid, n in session.exec(counted)}
    return [view_of_service(s, active.get(s.id, 0)) for s in rows]


def view_of_service(service: MeasureService, active: int) -> MeasureServiceView:
    return MeasureServiceView.model_validate(
        {
            **service.model_dump(warnings=False),
            "active": active,
            "remaining": max(service.capacity - active, 0),
        }
    )


def views(session: Session, measures: list[Measure]) -> list[MeasureView]:
    """The measures with their operator and history, oldest change first."""
    ids = [m.id for m in measures]
    operators = {
        s.id: s.operator
        for s in session.exec(
            select(MeasureService).where(
                col(MeasureService.id).in_({m.service_id for m in measures})
            )
        )
    }
    changes: dict[int, list[MeasureChangeView]] = defaultdict(list)
    rows = session.exec(
        select(MeasureChange)
        .where(col(MeasureChange.measure_id).in_(ids))
        .order_by(col(MeasureChange.id))
    )
    for c in rows:
        changes[c.measure_id].append(MeasureChangeView.model_validate(c, from_attributes=True))
    return [
        MeasureView.model_validate(
            {
                **m.model_dump(exclude={"submission_id"}, warnings=False),
                "kind": str(m.kind),
                "operator": operators.get(m.service_id, ""),
                "active": m.ended_at is None,
                "changes": changes[m.id or 0],
            }
        )
        for m in measures
    ]


def of_household(session: Session, household_id: str) -> list[Measure]:
    query = select(Measure).where(Measure.household_id == household_id)
    return list(session.exec(query.order_by(col(Measure.started_at), col(Measure.id))))


def effect(
    session: Session, household_id: str, op: MeasureOperation, service: MeasureService | None
) -> tuple[list[str], AccompanimentIntensity | None]:
    """What the pathway is told once the operation is applied: the kinds of the active measures
    (codes), and the most intensive intensity among them — when none is left, the one the last
    in-depth evaluation set (None: unchanged)."""
    active = {m.id: (str(m.kind), m.intensity) for m in writer.active_of(session, household_id)}
    if op.operation is K.MOBILISATION and service is not None:
        active[None] = (str(service.kind), op.intensity or service.intensity)
    elif op.operation is K.INTENSITE and op.intensity is not None:
        active[op.measure_id] = (active[op.measure_id][0], op.intensity)
    elif op.operation is K.FIN:
        active.pop(op.measure_id, None)
    kinds = sorted({kind for kind, _ in active.values()})
    levels = [str(i) for _, i in active.values()]
    top = max(levels, key=INTENSITY_ORDER.index) if levels else _evaluated(session, household_id)
    return kinds, next((i for i in AccompanimentIntensity if i == top), None)


def _evaluated(session: Session, household_id: str) -> str | None:
    latest = session.exec(
        select(InDepthEvaluation.accompaniment_intensity)
        .where(InDepthEvaluation.household_id == household_id)
        .order_by(col(InDepthEvaluation.evaluated_at).desc(), col(InDepthEvaluation.id).desc())
    ).first()
    return str(latest) if latest is not None else None


def end_after_closure(
    session: Session, principal: Principal, household: Household, op: MeasureOperation
) -> Measure:
    """A closed pathway takes no more actions, but a measure may outlive it (an AVDL after an
    exit to social housing): its end is written here, with its timeline row and audit row."""
    actor = f"agent-{principal.user_id}"
    try:
        measure = writer.apply(session, household.id, op, actor, None)
    except writer.MeasureRefused as exc:
        raise refused(str(exc)) from exc
    session.add(
        TimelineEvent(
            household_id=household.id,
            departement=household.departement,
            workflow_id=household.workflow_id,
            action=TimelineKind.ACCOMPANIMENT_CHANGE,
            actor=actor,
            occurred_at=op.at,
            stage_before=Stage.CLOSED,
            stage_after=Stage.CLOSED,
        )
    )
    audit.record(
        session.get_bind(),  # type: ignore[arg-type]
        actor=actor,
        action="écriture",
        record="mesure d'accompagnement",
        purpose=f"fin de la mesure {measure.id} (parcours clos)",
        household_id=household.id,
        fields=["end_reason", "end_detail", "ended_at"],
        departement=household.departement,
        session=session,
    )
    return measure


async def act(ctx: ActionContext, op: MeasureOperation, household_id: str | None) -> MeasureResult:
    """Check, send the pathway action, read the measure back (as its caller may see it)."""
    assert ctx.principal is not None
    who = ctx.principal
    if ctx.idempotency_key is None:  # a key of our own: the new measure is found by its entry
        ctx = dataclasses.replace(ctx, idempotency_key=uuid.uuid4().hex)
    sid = idempotency.submission_id(ACTION, ctx.idempotency_key, ctx.actor)

    def prepare(session: Session) -> tuple[Household, list[str] | None, Any]:
        if op.measure_id is not None:
            _, household = measure_for(session, who, op.measure_id)
        else:
            household = household_for(session, who, household_id or "")
        service = None
        if op.service_id is not None:
            service = service_for(session, who, op.service_id)
            if service.departement != household.departement:
                raise refused(f"ce service relève du département {service.departement}")
        if session.get(Submission, sid) is not None:  # a retry: the pathway answers as before
            return household, None, None
        if household.stage == Stage.CLOSED and op.operation is not K.FIN:
            raise ApiError(
                409, "Action refusée : le parcours est clos.", stage="closed", allowed_actions=[]
            )
        try:
            writer.check(session, household.id, op)
        except writer.MeasureRefused as exc:
            raise refused(str(exc)) from exc
        return household, *effect(session, household.id, op, service)

    household, kinds, intensity = await run_in_threadpool(in_session, ctx, prepare)
    pathway = None
    if household.stage == Stage.CLOSED:  # no pathway to tell: the end is written here

        def close(session: Session) -> Measure:
            return end_after_closure(session, who, household, op)

        measure_id = (await run_in_threadpool(audit.transaction, ctx.engine, close)).id
    else:
        pathway = await actions.send(
            ctx,
            household_id=household.id,
            action=ACTION,
            body=op,
            occurred_at=op.at,
            facts=RecordedFacts(accompaniment_intensity=intensity),
            measures=kinds,
        )
        measure_id = op.measure_id

    def read(session: Session) -> MeasureView:
        if op.operation in (K.MOBILISATION, K.TRANSFERT):
            found = session.exec(select(Measure).where(Measure.submission_id == sid)).first()
        else:
            found = session.get(Measure, measure_id)
        if found is None:
            raise ApiError(503, "La mesure n'a pas pu être relue : réessayez avec la même clé.")
        seen = viewers.viewer(
            who, stage=household.stage, departement=household.departement, book=ctx.book
        )
        return redaction.measure(views(session, [found])[0], seen)

    return MeasureResult(measure=await run_in_threadpool(in_session, ctx, read), pathway=pathway)


def in_session(ctx: ActionContext, work: Any) -> Any:
    with Session(ctx.engine) as session:
        return work(session)


def operation(what: MeasureChangeKind, body: Any, date_field: str, **known: Any) -> Any:
    """The staged entry: the fields the client sent (a retry digests the same), the date under
    `at`, and what the route knows (the measure, the operation)."""
    sent = body.model_dump(mode="json", exclude_unset=True)
    if date_field in sent:
        sent["at"] = sent.pop(date_field)
    return MeasureOperation.model_validate({**sent, **known, "operation": what})
