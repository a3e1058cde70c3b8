"""The vacancy protocol's activity calls, each bounded: a failure always ends (see calls.py)."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.vacancy import VacancyActivities
    from models.failures import Failure
    from models.pathway import Stage
    from models.protocol import ProtocolTerms, ProtocolTermsInput
    from models.vacancy import PathwayCallInput, StallInput, VacancyInput, VacancyRecordInput
    from workflows.calls import APPLY_RETRY, EVALUATE_RETRY, FAILED, RECORD_RETRY, TIMEOUT, _reason

# The pathway's own update waits on its activities (a few seconds at most): within the API's
# 30 s wait, two tries.
PATHWAY_TIMEOUT = timedelta(seconds=12)
PATHWAY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_attempts=2,
    non_retryable_error_types=[Failure.ACTION_NOT_ALLOWED.value],
)


async def terms(inp: VacancyInput) -> ProtocolTerms:
    """The structure kind's protocol in the département's policy; the built-in national
    defaults when no policy can be had (the protocol must run all the same)."""
    try:
        return await workflow.execute_local_activity_method(
            VacancyActivities.protocol_terms,
            ProtocolTermsInput(departement=inp.departement, kind=inp.kind),
            start_to_close_timeout=TIMEOUT,
            retry_policy=EVALUATE_RETRY,
        )
    except FAILED as exc:
        workflow.logger.error("protocol_terms_unavailable", extra={"reason": _reason(exc)})
        return ProtocolTerms(policy_version="défauts intégrés")


async def record(inp: VacancyRecordInput) -> None:
    """The read model; refused (nothing changed) when the database stays unreachable."""
    try:
        await workflow.execute_local_activity_method(
            VacancyActivities.record_vacancy,
            inp,
            start_to_close_timeout=TIMEOUT,
            retry_policy=APPLY_RETRY,
        )
    except FAILED as exc:
        raise ApplicationError(
            "La vacance n'a pas pu être enregistrée ; réessayez.",
            type=Failure.ACTION_NOT_RECORDED.value,
            non_retryable=True,
        ) from exc


async def stall(inp: StallInput) -> None:
    """Best effort: a stall alert that cannot be written is logged; the protocol goes on."""
    try:
        await workflow.execute_local_activity_method(
            VacancyActivities.record_stall,
            inp,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RECORD_RETRY,
        )
    except FAILED as exc:
        workflow.logger.error("stall_not_recorded", extra={"reason": _reason(exc)})


async def pathway(inp: PathwayCallInput) -> Stage:
    """The action on the household's pathway; its refusal (or a failure past the bounds)
    raises a non-retryable ApplicationError with the reason, nothing changed here."""
    try:
        return await workflow.execute_activity_method(
            VacancyActivities.send_pathway_action,
            inp,
            start_to_close_timeout=PATHWAY_TIMEOUT,
            retry_policy=PATHWAY_RETRY,
        )
    except FAILED as exc:
        cause = exc.cause if isinstance(exc, ActivityError) else exc
        if isinstance(cause, ApplicationError) and cause.type == Failure.ACTION_NOT_ALLOWED.value:
            raise ApplicationError(
                cause.message, type=Failure.ACTION_NOT_ALLOWED.value, non_retryable=True
            ) from exc
        workflow.logger.error("pathway_not_reached", extra={"reason": _reason(exc)})
        raise ApplicationError(
            "Le parcours du ménage n'a pas confirmé l'action à temps : réessayez.",
            type=Failure.ACTION_NOT_RECORDED.value,
            non_retryable=True,
        ) from exc
