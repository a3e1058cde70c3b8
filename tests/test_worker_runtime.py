"""What the performance work changed in how the worker talks to Temporal: one bound converter per
workflow (cached, still bound), one JSON converter shared by every payload converter the SDK
builds, the sticky cache size and the SDK's Prometheus metrics."""

import uuid

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    WorkflowSerializationContext,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench._common import free_port
from bench.bare import BareWorkflow
from core import temporal
from core.codec import DecryptionError, EncryptionCodec, bound_workflow
from core.settings import Settings
from core.temporal import DATA_CONVERTER, runtime
from models.pathway import PathwayState, Stage


def context(workflow_id: str) -> WorkflowSerializationContext:
    return WorkflowSerializationContext(namespace="default", workflow_id=workflow_id)


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_the_same_workflow_gets_the_same_bound_converter_back() -> None:
    first, again = (
        DATA_CONVERTER.with_context(context("a")),
        DATA_CONVERTER.with_context(context("a")),
    )
    other = DATA_CONVERTER.with_context(context("b"))
    assert first is again and first is not other
    codec_a, codec_b = first.payload_codec, other.payload_codec
    assert isinstance(codec_a, EncryptionCodec) and isinstance(codec_b, EncryptionCodec)
    (sealed,) = await codec_a.encode([plain("x")])
    assert bound_workflow(sealed) == "a"  # cached, and still bound to its own workflow
    with pytest.raises(DecryptionError):
        await codec_b.decode([sealed])
    assert await codec_a.decode([sealed]) == [plain("x")]


def test_a_local_activity_context_is_cached_and_binds_to_its_workflow() -> None:
    ctx = ActivitySerializationContext(
        namespace="default",
        activity_id="1",
        activity_type="apply_action",
        activity_task_queue="q",
        workflow_id="w",
        workflow_type="PathwayWorkflow",
        is_local=True,
    )
    bound = DATA_CONVERTER.with_context(ctx)
    assert bound is DATA_CONVERTER.with_context(ctx)
    assert isinstance(bound.payload_codec, EncryptionCodec)
    assert bound.payload_codec.with_context(context("w")) is bound.payload_codec


async def test_a_workflow_and_its_local_activities_share_one_bound_converter() -> None:
    def local(activity_id: str, workflow_id: str = "w2") -> ActivitySerializationContext:
        return ActivitySerializationContext(
            namespace="default",
            activity_id=activity_id,
            activity_type="record_action",
            activity_task_queue="q",
            workflow_id=workflow_id,
            workflow_type="PathwayWorkflow",
            is_local=True,
        )

    converter = temporal.converter_for(temporal.dev_key_ring())
    bound = converter.with_context(context("w2"))
    assert converter.with_context(local("1")) is bound  # was built again for each activity
    assert converter.with_context(local("2")) is bound
    assert converter.with_context(local("1", workflow_id="w3")) is not bound
    # Why keying on the workflow id alone is right: only the codec reads the context.
    plain_dc = DataConverter.with_context(converter, local("9"))  # the SDK's, uncached
    assert plain_dc.payload_converter is converter.payload_converter
    assert plain_dc.failure_converter is converter.failure_converter
    codec = converter.with_context(local("3")).payload_codec
    assert isinstance(codec, EncryptionCodec)
    (sealed,) = await codec.encode([plain("x")])
    assert bound_workflow(sealed) == "w2"  # still bound to its workflow


def test_every_payload_converter_the_sdk_builds_shares_one_json_converter() -> None:
    assert DATA_CONVERTER.payload_converter_class is temporal.SharedPydanticPayloadConverter
    built = [temporal.SharedPydanticPayloadConverter() for _ in range(2)]  # as the SDK does
    jsons = [b.converters[b"json/plain"] for b in built]
    assert jsons[0] is jsons[1] is temporal.SHARED_JSON
    state = PathwayState(household_id="h", departement="75", stage=Stage.REPORTED)
    (payload,) = built[0].to_payloads([state])
    assert built[1].from_payloads([payload], [PathwayState]) == [state]
    # The same encodings, in the same order, as the SDK's own pydantic converter.
    assert list(built[0].converters) == list(PydanticPayloadConverter().converters)


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(temporal, "BOUND_CONVERTERS", 3)
    converter = temporal.converter_for(temporal.dev_key_ring())
    oldest = converter.with_context(context("w0"))
    for n in range(1, 4):
        converter.with_context(context(f"w{n}"))
    assert len(converter._bound) == 3  # type: ignore[attr-defined]
    assert converter.with_context(context("w0")) is not oldest  # dropped, built again


async def test_worker_settings_size_the_cache_and_expose_metrics_only_when_asked(
    ts_env: WorkflowEnvironment,
) -> None:
    assert Settings(environment="development").worker_max_cached_workflows == 1000
    assert runtime(Settings(environment="development")) is None
    port = free_port()
    rt = runtime(Settings(environment="development", worker_metrics_bind=str(port)))
    assert rt is not None
    client = await Client.connect(ts_env.client.service_client.config.target_host, runtime=rt)
    async with Worker(client, task_queue=f"metrics-{uuid.uuid4()}", workflows=[BareWorkflow]) as w:
        handle = await client.start_workflow(
            BareWorkflow.run, id=f"metrics-{uuid.uuid4()}", task_queue=w.task_queue
        )
        for n in range(2):
            await handle.execute_update(BareWorkflow.touch, n)
        await handle.result()
        # The SDK's Prometheus exporter, bound to 127.0.0.1: what the README says to watch.
        async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    for name in (
        "temporal_workflow_task_schedule_to_start_latency_count",
        "temporal_sticky_cache_size",
        "temporal_worker_task_slots_available",
        "temporal_workflow_task_execution_latency_count",
    ):
        assert f"\n{name}{{" in text, name
