"""The pathway's activity calls, each with a bounded retry policy: a failure always ends.

An update holds the pathway's lock while it runs these; unbounded retries would wedge the
pathway (every action 503, timers stalled). Bounds fit inside the API's 30 s update wait.
What happens at the end is decided here, once: refuse the action, fall back, or log and go on.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as ActivityTimeout

with workflow.unsafe.imports_passed_through():
    from activities.pathway import PathwayActivities
    from activities.recording import RecordingActivities
    from models.decisions import DeadlineDurations, EvaluateInput, Evaluation
    from models.failures import Failure
    from models.pathway import (
        ApplyActionInput,
        LoadDeadlinesInput,
        MissedDeadlineInput,
        PolicyFailureInput,
        PurgeInput,
    )
    from models.recording import RecordActionInput, RecordActionResult
    from rules.vocabulary import RuleFacts

TIMEOUT = timedelta(seconds=10)
# The rules are pure and fast: a few quick tries, then the pathway decides without them.
EVALUATE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    maximum_interval=timedelta(seconds=2),
    maximum_attempts=3,
)
# Writing the records: a database blip heals in seconds; beyond that the action is refused.
APPLY_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    maximum_interval=timedelta(seconds=4),
    maximum_attempts=5,
)
# Automatic events (missed deadlines, purge) have no caseworker waiting: try for ~10 minutes.
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=10,
)


# How a local activity's last failure reaches the workflow (the SDK raises the activity's own
# ApplicationError, a timeout, or an ActivityError wrapping either).
FAILED = (ActivityError, ApplicationError, ActivityTimeout)


class ActionNotRecorded(ApplicationError):
    pass


def _reason(exc: BaseException) -> str:
    """The failure's own words (activities put no personal data in them), bounded."""
    cause = exc.cause if isinstance(exc, ActivityError) and exc.cause else exc
    text = cause.message if isinstance(cause, ApplicationError) else type(cause).__name__
    return str(text)[:250]


async def evaluate(departement: str, facts: RuleFacts) -> Evaluation | str:
    """The département's rules on these facts, or why they could not be evaluated."""
    try:
        return await workflow.execute_local_activity_method(
            PathwayActivities.evaluate_policy,
            EvaluateInput(departement=departement, facts=facts.model_dump(mode="json")),
            start_to_close_timeout=TIMEOUT,
            retry_policy=EVALUATE_RETRY,
        )
    except FAILED as exc:
        return _reason(exc)


async def deadlines(departement: str) -> DeadlineDurations | str:
    """The durations in force (the last accepted policy), or why there are none."""
    try:
        return await workflow.execute_local_activity_method(
            PathwayActivities.load_deadlines,
            LoadDeadlinesInput(departement=departement),
            start_to_close_timeout=TIMEOUT,
            retry_policy=EVALUATE_RETRY,
        )
    except FAILED as exc:
        return _reason(exc)


async def record(inp: RecordActionInput) -> RecordActionResult:
    """Plan, evaluate and write the action in one call (rules failing inside it are bounded
    there); a refusal (nothing written) when the database stays unreachable."""
    try:
        return await workflow.execute_local_activity_method(
            RecordingActivities.record_action,
            inp,
            start_to_close_timeout=TIMEOUT,
            retry_policy=APPLY_RETRY,
        )
    except FAILED as exc:
        raise _not_recorded(exc) from exc


def _not_recorded(exc: BaseException) -> ActionNotRecorded:
    workflow.logger.error("action_not_recorded", extra={"reason": _reason(exc)})
    return ActionNotRecorded(
        "L'action n'a pas pu être enregistrée ; rien n'a changé, réessayez.",
        type=Failure.ACTION_NOT_RECORDED.value,
        non_retryable=True,
    )


async def apply(inp: ApplyActionInput) -> bool:
    """Write the action; a refusal (nothing written) when the database stays unreachable."""
    try:
        return await workflow.execute_local_activity_method(
            PathwayActivities.apply_action,
            inp,
            start_to_close_timeout=TIMEOUT,
            retry_policy=APPLY_RETRY,
        )
    except FAILED as exc:
        raise _not_recorded(exc) from exc


async def alert_policy_failure(inp: PolicyFailureInput) -> None:
    """Best effort: the refusal itself is what the caseworker sees."""
    try:
        await workflow.execute_local_activity_method(
            PathwayActivities.record_policy_failure,
            inp,
            start_to_close_timeout=TIMEOUT,
            retry_policy=APPLY_RETRY,
        )
    except FAILED as exc:
        workflow.logger.error("policy_failure_not_recorded", extra={"reason": _reason(exc)})


async def record_missed(inp: MissedDeadlineInput) -> None:
    """Record a missed deadline; if the database stays down, the pathway goes on (its state
    is right) and `siao check` finds the read model behind."""
    try:
        await workflow.execute_local_activity_method(
            PathwayActivities.record_missed_deadline,
            inp,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RECORD_RETRY,
        )
    except FAILED as exc:
        workflow.logger.error("missed_deadline_not_recorded", extra={"reason": _reason(exc)})


async def purge(inp: PurgeInput) -> None:
    try:
        await workflow.execute_local_activity_method(
            PathwayActivities.purge_personal_data,
            inp,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RECORD_RETRY,
        )
    except FAILED as exc:
        workflow.logger.error("purge_failed", extra={"reason": _reason(exc)})
