"""OfiiListWorkflow: the monthly list to OFII (R-FOLLOW-2), started on the 5th of each month at
06:00, Paris time, by the Temporal Schedule OFII_SCHEDULE_ID, so the list is ready by the 10th
without anyone starting it (activities/ofii.py builds it, models/ofii.py says who is on it).

The month is the scheduled time's month in Paris: the server gives every run it starts the search
attribute `TemporalScheduledStartTime`, which a reset or a catch-up keeps; a run started by hand
(no schedule) takes its own start time. A rerun of the same scheduled time therefore asks for the
same month, which the activity finds already made and leaves as it is. Nothing personal crosses
Temporal: the input names départements at most, the result holds ids and counts.
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
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.ofii import OfiiActivities
    from models.ofii import OfiiBuildInput, OfiiBuildReport, OfiiListInput, month_of

OFII_SCHEDULE_ID = "siao-liste-ofii"
# Set by the server on every run a schedule starts (not declared by us: a system attribute).
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
BUILD_TIMEOUT = timedelta(minutes=10)
# Bounded: a database down for more than about half an hour fails the run (visible in the UI);
# the schedule's next action is a month away, so an operator triggers it again before the 10th.
BUILD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=30),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=5,
)
# The scheduler catches up a run it missed (server down) for one day only: a list made weeks
# late would describe who is there then under an old month's name.
CATCHUP_WINDOW = timedelta(days=1)


class OfiiListNotBuilt(ApplicationError):
    pass


@workflow.defn(name="OfiiListWorkflow")
class OfiiListWorkflow:
    @workflow.run
    async def run(self, inp: OfiiListInput) -> OfiiBuildReport:
        info = workflow.info()
        scheduled = info.typed_search_attributes.get(SCHEDULED_START)
        month = month_of(scheduled or info.workflow_start_time)
        try:
            return await workflow.execute_activity_method(
                OfiiActivities.build_ofii_lists,
                OfiiBuildInput(
                    month=month,
                    generated_at=workflow.now(),
                    generated_by=info.workflow_id,
                    departements=inp.departements,
                ),
                start_to_close_timeout=BUILD_TIMEOUT,
                heartbeat_timeout=BUILD_TIMEOUT,
                retry_policy=BUILD_RETRY,
            )
        except ActivityError as exc:
            workflow.logger.error("ofii_list_not_built", extra={"month": month})
            raise OfiiListNotBuilt(
                f"La liste OFII de {month} n'a pas pu être établie : relancez la planification "
                f"{OFII_SCHEDULE_ID} (les départements déjà faits sont conservés).",
                type="OfiiListNotBuilt",
                non_retryable=True,
            ) from exc


def ofii_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            OfiiListWorkflow.run,
            OfiiListInput(),
            id=OFII_SCHEDULE_ID,  # the server appends the scheduled time
            task_queue=task_queue,
            static_summary="Liste mensuelle OFII (R-FOLLOW-2)",
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    day_of_month=[ScheduleRange(5)],
                    hour=[ScheduleRange(6)],
                    minute=[ScheduleRange(0)],
                    second=[ScheduleRange(0)],
                    comment="le 5 de chaque mois à 6 h (heure de Paris), avant le 10",
                )
            ],
            time_zone_name="Europe/Paris",
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW),
        state=ScheduleState(note="demandeurs d'asile et réfugiés hébergés : liste à l'OFII"),
    )


async def ensure_ofii_schedule(client: Client, task_queue: str) -> bool:
    """Create the schedule unless it exists (True when created); an operator's edits stand."""
    try:
        await client.create_schedule(OFII_SCHEDULE_ID, ofii_schedule(task_queue))
    except ScheduleAlreadyRunningError:
        return False
    return True
