"""A measure's changes, written once: mobilise, change its intensity, transfer it, end it.

The API checks the same conditions before it sends the pathway action (a 409 naming why,
nothing staged); the activity that applies the accepted action checks them again in its own
transaction, the service row locked (PostgreSQL), and writes the measure with the timeline and
the read model — so a measure is never recorded for a pathway that refused it.
"""

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from temporalio.exceptions import ApplicationError

from core.clock import aware
from models.failures import Failure
from models.measure_schemas import MeasureOperation
from models.measures import (
    Measure,
    MeasureChange,
    MeasureChangeKind,
    MeasureEndReason,
    MeasureService,
)
from models.pathway import ApplyActionInput

K = MeasureChangeKind


class MeasureRefused(Exception):
    """Why nothing can change (French, no personal data)."""


def active_count(session: Session, service_id: int) -> int:
    query = select(func.count(col(Measure.id))).where(
        Measure.service_id == service_id, col(Measure.ended_at).is_(None)
    )
    return int(session.exec(query).one())


def active_of(session: Session, household_id: str) -> list[Measure]:
    query = select(Measure).where(
        Measure.household_id == household_id, col(Measure.ended_at).is_(None)
    )
    return list(session.exec(query.order_by(col(Measure.id))))


def _service(session: Session, service_id: int | None, lock: bool) -> MeasureService:
    query = select(MeasureService).where(MeasureService.id == service_id)
    service = session.exec(query.with_for_update() if lock else query).first()
    if service is None:
        raise MeasureRefused("service d'accompagnement inconnu")
    return service


def _room(session: Session, service: MeasureService) -> None:
    assert service.id is not None
    if active_count(session, service.id) >= service.capacity:
        raise MeasureRefused(
            f"le service {service.operator} est complet ({service.capacity} ménage(s) "
            "accompagné(s))"
        )


def _measure(session: Session, household_id: str, measure_id: int | None) -> Measure:
    measure = session.get(Measure, measure_id) if measure_id is not None else None
    if measure is None or measure.household_id != household_id:
        raise MeasureRefused("mesure inconnue pour ce ménage")
    if measure.ended_at is not None:
        raise MeasureRefused("la mesure est terminée")
    return measure


def check(
    session: Session, household_id: str, op: MeasureOperation, lock: bool = False
) -> tuple[Measure | None, MeasureService | None]:
    """The measure and the service the operation acts on, or MeasureRefused naming why."""
    if op.operation is K.MOBILISATION:
        service = _service(session, op.service_id, lock)
        same = [m for m in active_of(session, household_id) if m.kind == service.kind]
        if same:
            raise MeasureRefused(
                f"le ménage bénéficie déjà d'une mesure de ce type en cours (n° {same[0].id})"
            )
        _room(session, service)
        return None, service
    measure = _measure(session, household_id, op.measure_id)
    if aware(op.at) < aware(measure.started_at):
        raise MeasureRefused("la date de l'acte précède le début de la mesure")
    if op.operation is K.INTENSITE and op.intensity == measure.intensity:
        raise MeasureRefused(f"l'intensité de la mesure est déjà « {measure.intensity} »")
    if op.operation is not K.TRANSFERT:
        return measure, None
    service = _service(session, op.service_id, lock)
    if service.id == measure.service_id:
        raise MeasureRefused("la mesure est déjà suivie par ce service")
    if service.kind != measure.kind:
        raise MeasureRefused("un transfert se fait vers un service du même type de mesure")
    _room(session, service)
    return measure, service


def apply(
    session: Session, household_id: str, op: MeasureOperation, actor: str, sid: str | None
) -> Measure:
    """Check again, then write the change and its history row; the measure it leaves active
    (the new one, after a transfer)."""
    measure, service = check(session, household_id, op, lock=True)

    def history(target: Measure, what: MeasureChangeKind, **extra: Any) -> None:
        assert target.id is not None
        session.add(
            MeasureChange(
                measure_id=target.id,
                household_id=household_id,
                at=op.at,
                actor=actor,
                what=what,
                submission_id=sid,
                **extra,
            )
        )

    if op.operation in (K.MOBILISATION, K.TRANSFERT):
        assert service is not None and service.id is not None
        intensity = measure.intensity if measure else (op.intensity or service.intensity)
        if measure is not None:  # the old one ends, handing over
            measure.ended_at, measure.end_reason = op.at, MeasureEndReason.RELAIS
            session.add(measure)
            history(measure, K.FIN, reason=MeasureEndReason.RELAIS)
        started = Measure(
            household_id=household_id,
            service_id=service.id,
            kind=service.kind,
            intensity=intensity,
            started_at=op.at,
            transferred_from=measure.id if measure else None,
            submission_id=sid,
        )
        session.add(started)
        session.flush()
        history(started, op.operation, to_intensity=intensity)
        return started
    assert measure is not None
    if op.operation is K.INTENSITE:
        history(measure, K.INTENSITE, from_intensity=measure.intensity, to_intensity=op.intensity)
        measure.intensity = op.intensity  # type: ignore[assignment]
    else:
        measure.ended_at, measure.end_reason, measure.end_detail = op.at, op.reason, op.detail
        history(measure, K.FIN, reason=op.reason)
    session.add(measure)
    return measure


def write(session: Session, inp: ApplyActionInput, payload: dict[str, Any]) -> None:
    """The pathway's writer for `accompaniment_change` (activities/writers.py)."""
    op = MeasureOperation.model_validate(payload)
    try:
        apply(session, inp.household_id, op, inp.actor, inp.submission_id)
    except MeasureRefused as exc:  # changed since the API checked: nothing is written
        raise ApplicationError(
            f"Action impossible : {exc}.",
            type=Failure.SUBMISSION_INVALID.value,
            non_retryable=True,
        ) from exc
