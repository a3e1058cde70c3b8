"""What the performance work changed in how the worker talks to Temporal: one bound converter per
workflow (cached, still bound), the sticky cache size and the SDK's Prometheus metrics."""

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext

from bench._common import free_port
from core import temporal
from core.codec import DecryptionError, EncryptionCodec, bound_workflow
from core.settings import Settings
from core.temporal import DATA_CONVERTER, runtime


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


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(temporal, "BOUND_CONVERTERS", 3)
    converter = temporal.converter_for(temporal.dev_key_ring())
    oldest = converter.with_context(context("w0"))
    for n in range(1, 4):
        converter.with_context(context(f"w{n}"))
    assert len(converter._bound) == 3  # type: ignore[attr-defined]
    assert converter.with_context(context("w0")) is not oldest  # dropped, built again


def test_worker_settings_size_the_cache_and_expose_metrics_only_when_asked() -> None:
    assert Settings(environment="development").worker_max_cached_workflows == 1000
    assert runtime(Settings(environment="development")) is None
    port = free_port()
    rt = runtime(Settings(environment="development", worker_metrics_bind=str(port)))
    assert rt is not None
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5, trust_env=False)
    assert answer.status_code == 200  # the SDK's Prometheus exporter, bound to 127.0.0.1
