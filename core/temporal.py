"""One way to reach Temporal: the client factory, with the project's one data converter.

Pydantic JSON, then every payload encrypted (core.codec); failures too: their message and stack
trace travel in an encoded (so encrypted) attribute instead of in clear text.
"""

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Self

from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, pydantic_data_converter
from temporalio.converter import (
    ActivitySerializationContext,
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    SerializationContext,
    WorkflowSerializationContext,
)
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core.codec import EncryptionCodec, KeyRing, dev_key_ring, key_ring_from_settings
from core.settings import Settings, get_settings

BOUND_CONVERTERS = 4096  # one per workflow and per local activity in flight: above the sticky cache


# One pydantic JSON converter per process: its cache of type adapters is thread-safe (an
# lru_cache) and its serializer immutable, so every payload converter may share it.
SHARED_JSON = PydanticJSONPlainPayloadConverter()


class SharedPydanticPayloadConverter(CompositePayloadConverter):
    """The SDK's PydanticPayloadConverter around the one shared JSON converter. The SDK builds
    the payload converter class again twice per workflow activation and once per sandbox
    instance; each PydanticPayloadConverter built its own serializer and started with an empty
    cache of type adapters (measured: 3 % of the worker's samples)."""

    def __init__(self) -> None:
        super().__init__(
            *(
                SHARED_JSON if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


@dataclasses.dataclass(frozen=True)
class BindingDataConverter(DataConverter):
    """The SDK asks for a converter bound to each workflow (our codec binds ciphertexts to it)
    on every activation and for every local activity's payloads; each answer is a new
    DataConverter that builds its payload converter again. The same context gets the same
    converter back from a bounded cache (measured: about a tenth of the worker's CPU)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "_bound", OrderedDict())
        object.__setattr__(self, "_bound_lock", threading.Lock())

    def with_context(self, context: SerializationContext) -> Self:
        key = binding_of(context)
        if key is None:  # a context we cannot key: built each time, as the SDK does
            return super().with_context(context)
        bound: OrderedDict[Hashable, Self] = self._bound  # type: ignore[attr-defined]
        with self._bound_lock:  # type: ignore[attr-defined]
            found = bound.get(key)
            if found is not None:
                bound.move_to_end(key)
                return found
        made = super().with_context(context)
        with self._bound_lock:  # type: ignore[attr-defined]
            bound[key] = made
            if len(bound) > BOUND_CONVERTERS:
                bound.popitem(last=False)
        return made


def binding_of(context: SerializationContext) -> Hashable | None:
    """What a bound converter depends on. Our codec binds payloads to a workflow id and reads
    nothing else of the context (core/codec.py), and our payload and failure converters take no
    context: a workflow and each of its local activities (whose contexts differ by activity id,
    so that keying on the whole context missed for every one) share one converter."""
    if isinstance(context, WorkflowSerializationContext | ActivitySerializationContext):
        return ("workflow", context.workflow_id)
    try:
        hash(context)
    except TypeError:
        return None
    return context


def converter_for(ring: KeyRing) -> DataConverter:
    fields = {
        f.name: getattr(pydantic_data_converter, f.name)
        for f in dataclasses.fields(DataConverter)
        if f.init
    }
    fields.update(
        payload_converter_class=SharedPydanticPayloadConverter,
        payload_codec=EncryptionCodec(ring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
    return BindingDataConverter(**fields)


def data_converter(settings: Settings) -> DataConverter:
    """The converter with the settings' keys (raises KeyRingError on unusable keys)."""
    return converter_for(key_ring_from_settings(settings))


# The development converter (public development key): tests, bench and local tools. Processes
# that follow the settings (worker, API) go through `connect`, which uses `data_converter`.
DATA_CONVERTER = converter_for(dev_key_ring())


def runtime(settings: Settings) -> Runtime | None:
    """The SDK runtime exporting its metrics for Prometheus, when a bind address is set."""
    if not settings.worker_metrics_bind:
        return None
    bind = settings.worker_metrics_bind
    if ":" not in bind:  # a port alone: local only
        bind = f"127.0.0.1:{bind}"
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind)))


async def connect(settings: Settings | None = None, *, metrics: bool = False) -> Client:
    """A client; `metrics`: on the runtime exporting the SDK's metrics (the worker's)."""
    settings = settings or get_settings()
    exported = runtime(settings) if metrics else None
    tls: TLSConfig | bool = settings.temporal_tls
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes(),
            client_private_key=settings.temporal_tls_key.read_bytes(),
        )
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        tls=tls or bool(settings.temporal_api_key),
        api_key=settings.temporal_api_key,
        runtime=exported,
    )
