"""ConsistencyCheckWorkflow: the daily consistency check (`siao check`) run by Temporal.

It calls the `check_consistency` activity (activities/consistency.py) and returns its report;
when the report is not clean it logs the error `consistency_check_failed` with the counts (ids
and counts only: the alert goes wherever the worker's error logs go). The Temporal Schedule
SCHEDULE_ID starts it every day at 03:00, Paris time.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
)
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.consistency import ConsistencyActivities
    from models.consistency import CheckReport, ConsistencyCheckInput

SCHEDULE_ID = "siao-controle-coherence"
CHECK_TIMEOUT = timedelta(minutes=30)  # every open pathway is queried: generous, bounded
CHECK_RETRY = RetryPolicy(initial_interval=timedelta(seconds=30), maximum_attempts=3)


@workflow.defn(name="ConsistencyCheckWorkflow")
class ConsistencyCheckWorkflow:
    @workflow.run
    async def run(self, inp: ConsistencyCheckInput) -> CheckReport:
        report = await workflow.execute_activity_method(
            ConsistencyActivities.check_consistency,
            inp,
            start_to_close_timeout=CHECK_TIMEOUT,
            retry_policy=CHECK_RETRY,
        )
        if not report.clean:
            counts = {**report.counts(), "remaining": report.remaining}
            workflow.logger.error(
                "consistency_check_failed %s",
                " ".join(f"{k}={v}" for k, v in counts.items()),
                extra={"consistency_counts": counts},
            )
        return report


async def ensure_daily_check_schedule(
    client: Client, task_queue: str, *, repair: bool = False
) -> bool:
    """Create the daily schedule unless it exists (True when created). Idempotent: an existing
    schedule is left as it is, since an operator may have paused or edited it."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            ConsistencyCheckWorkflow.run,
            ConsistencyCheckInput(repair=repair),
            id=SCHEDULE_ID,  # the server appends the scheduled time
            task_queue=task_queue,
            static_summary="Contrôle de cohérence base / parcours",
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(3)],
                    minute=[ScheduleRange(0)],
                    second=[ScheduleRange(0)],
                    comment="chaque jour à 3 h (heure de Paris)",
                )
            ],
            time_zone_name="Europe/Paris",
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(note="siao check, chaque nuit ; alerte consistency_check_failed"),
    )
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True
