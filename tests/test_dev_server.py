"""The embedded dev server runs with its search-attribute cache on (core/dev_server.py): our
attributes, registered at its start, are usable at once and no longer read from SQLite again for
every workflow start and upsert."""

import re
import urllib.request
import uuid

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cli.up import temporal_command
from core.dev_server import DEV_SERVER_FLAGS, SEARCH_ATTRIBUTE_CACHE
from core.ports import free_port
from tests.conftest import BIN
from workflows import search_attributes as sa

RUNS = 6
CLUSTER_READS = re.compile(
    r'^persistence_latency_count\{[^}]*operation="GetCurrentClusterMetadata"[^}]*\} ([0-9.e+]+)$',
    re.M,
)


@workflow.defn(sandboxed=False)
class Publishes:
    @workflow.run
    async def run(self, n: int) -> int:
        workflow.upsert_search_attributes(
            [sa.STAGE.value_set("reported"), sa.OVERDUE.value_set(n % 2 == 0)]
        )
        return n


def cluster_metadata_reads(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return sum(float(n) for n in CLUSTER_READS.findall(response.read().decode()))


def test_make_up_starts_the_dev_server_with_the_same_flags(tmp_path):
    command = temporal_command(7233, 8233, 8000, var=tmp_path)
    flags = " ".join(command)
    assert " ".join(DEV_SERVER_FLAGS) in flags
    assert "system.forceSearchAttributesCacheRefreshOnRead=false" in SEARCH_ATTRIBUTE_CACHE


async def test_search_attributes_are_usable_at_once_and_read_from_the_cache():
    metrics = free_port()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=sa.ALL,
        dev_server_extra_args=[*DEV_SERVER_FLAGS, "--metrics-port", str(metrics)],
    )
    try:
        queue = f"dev-server-{uuid.uuid4()}"
        async with Worker(env.client, task_queue=queue, workflows=[Publishes]):
            before = cluster_metadata_reads(metrics)
            for n in range(RUNS):
                handle = await env.client.start_workflow(
                    Publishes.run, n, id=f"publishes-{uuid.uuid4()}", task_queue=queue
                )
                assert await handle.result() == n
                events = [e.event_type for e in (await handle.fetch_history()).events]
                assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events  # the first try
                attributes = (await handle.describe()).typed_search_attributes
                assert attributes.get(sa.STAGE) == "reported"
            after = cluster_metadata_reads(metrics)
        # The cache off (the CLI's default) reads them again at each start, upsert and record.
        assert after - before < RUNS
    finally:
        await env.shutdown()
