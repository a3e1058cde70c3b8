"""EmergencyReleaseWorkflow: the morning release of the night's emergency places, started every
quarter of an hour by the Temporal Schedule RELEASE_SCHEDULE_ID (each département's policy says
at what hour its places are released; activities/release.py)."""

from datetime import timedelta

from temporalio import workflow
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
)
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.release import ReleaseActivities, ReleaseInput, ReleaseReport

RELEASE_SCHEDULE_ID = "siao-liberation-places-urgence"
EVERY = timedelta(minutes=15)
# Bounded: a release missed now is made a quarter of an hour later.
RELEASE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=10), maximum_attempts=3)


@workflow.defn(name="EmergencyReleaseWorkflow")
class EmergencyReleaseWorkflow:
    @workflow.run
    async def run(self) -> ReleaseReport:
        return await workflow.execute_activity_method(
            ReleaseActivities.release_night_places,
            ReleaseInput(now=workflow.now()),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RELEASE_RETRY,
        )


async def ensure_release_schedule(client: Client, task_queue: str) -> bool:
    """Create the schedule unless it exists (True when created); an operator's edits stand."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            EmergencyReleaseWorkflow.run,
            id=RELEASE_SCHEDULE_ID,  # the server appends the scheduled time
            task_queue=task_queue,
            static_summary="Libération du matin des places d'urgence",
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=EVERY)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(note="places d'urgence attribuées pour la nuit, sauf prolongation"),
    )
    try:
        await client.create_schedule(RELEASE_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True
