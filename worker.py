"""The Temporal worker: every workflow and activity of the SIAO pathway, on one task queue."""

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxRestrictions

from activities.consistency import ConsistencyActivities
from activities.housekeeping import run_periodically
from activities.ofii import OfiiActivities
from activities.pathway import PathwayActivities
from activities.recording import RecordingActivities
from activities.release import ReleaseActivities
from activities.vacancy import VacancyActivities
from core import payload_walk, process
from core.db import get_engine
from core.logging import configure_logging, log
from core.sandbox import compile_workflow_code, sandboxed_runner
from core.settings import Settings, get_settings
from core.temporal import connect
from rules.isolated import shared_policies
from workflows.consistency import ConsistencyCheckWorkflow, ensure_daily_check_schedule
from workflows.ofii import OfiiListWorkflow, ensure_ofii_schedule
from workflows.pathway import PathwayWorkflow
from workflows.release import EmergencyReleaseWorkflow, ensure_release_schedule
from workflows.vacancy import VacancyWorkflow

WORKFLOWS_DIR = Path(__file__).resolve().parent / "workflows"
WORKFLOWS = [
    PathwayWorkflow,
    VacancyWorkflow,
    ConsistencyCheckWorkflow,
    EmergencyReleaseWorkflow,
    OfiiListWorkflow,
]
# Our workflow code and its deterministic helpers are loaded once, not again in each workflow's
# sandbox: a new pathway's sandbox imported its modules again (1.6 ms, timed in process). What the
# sandbox would refuse in them is refused at test time instead (core/sandbox.restricted_uses).
OUR_PASSTHROUGH = (
    "models",
    "rules.planning",
    "workflows.calls",
    "workflows.pathway",
    "workflows.pathway_deadlines",
    "workflows.pathway_patches",
    "workflows.pathway_steps",
    "workflows.presentation",
    "workflows.protocol",
    "workflows.protocol_calls",
    "workflows.search_attributes",
)
RESTRICTIONS = SandboxRestrictions.default.with_passthrough_modules("isodate", *OUR_PASSTHROUGH)


def build_worker(
    client: Client, settings: Settings, engine: Engine, executor: ThreadPoolExecutor
) -> Worker:
    if not payload_walk.install():  # one walk over each activation's payloads, not three
        log.warning("payload_walk_sdk_unknown")  # a new SDK: its three walks, same payloads
    # The rules engine is native code: it runs in a child process that may crash alone.
    policies = shared_policies(settings.policies_dir, settings.policies_accepted_dir)
    acts = PathwayActivities(engine=engine, policies=policies)
    recording = RecordingActivities(engine=engine, policies=policies)
    checks = ConsistencyActivities(engine=engine, settings=settings)
    protocol = VacancyActivities(engine=engine, policies=policies, client=client)
    release = ReleaseActivities(engine=engine, policies=policies)
    ofii = OfiiActivities(engine=engine)
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=[
            recording.record_action,  # an action: planned, evaluated, written in one call
            acts.apply_action,  # the write alone: pathways begun before record_action
            acts.evaluate_policy,  # missed deadlines; and those pathways' actions
            acts.record_missed_deadline,
            acts.record_policy_failure,
            acts.purge_personal_data,
            acts.load_deadlines,  # still used by pathways started before the rules engine
            checks.check_consistency,
            protocol.protocol_terms,
            protocol.record_vacancy,
            protocol.record_stall,
            protocol.send_pathway_action,
            release.release_night_places,
            ofii.build_ofii_lists,
        ],
        activity_executor=executor,
        workflow_runner=sandboxed_runner(RESTRICTIONS),
        max_concurrent_activities=settings.worker_activity_threads,
        max_cached_workflows=settings.worker_max_cached_workflows,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_local_activities=settings.worker_max_concurrent_local_activities,
    )


async def main() -> None:
    configure_logging()
    settings = get_settings()
    settings.require_secrets()  # none missing outside development (weak ones: Settings)
    compile_workflow_code(WORKFLOWS_DIR)  # sandboxes load the other workflows: from bytecode
    client = await connect(settings, metrics=True)
    await ensure_daily_check_schedule(client, settings.temporal_task_queue)  # `siao check`, 3 h
    await ensure_release_schedule(client, settings.temporal_task_queue)  # the night's places
    await ensure_ofii_schedule(client, settings.temporal_task_queue)  # the OFII list, the 5th
    with ThreadPoolExecutor(settings.worker_activity_threads) as executor:
        worker = build_worker(client, settings, get_engine(), executor)
        process.settle_heap()  # what the ready worker holds, out of the cyclic collector
        log.info(
            "worker_started",
            task_queue=settings.temporal_task_queue,
            address=settings.temporal_address,
            event_loop=process.event_loop_name(),
        )
        # The audit chain's head to the log, stale staged entries purged: now and hourly.
        housekeeping = asyncio.create_task(run_periodically(get_engine()))
        try:
            await worker.run()
        finally:
            housekeeping.cancel()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        process.run(main())
