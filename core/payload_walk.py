"""Each workflow activation's payloads decoded, and each completion's encoded, in one walk.

temporalio 1.35 walks every activation, and every completion, three times: storage references,
external storage, then our codec — each walk in Python over the whole message, each copying
every payload list back. With no external storage configured the first two walks change
nothing; together the six were 12.6 % of the worker's samples under load. One walk here applies
the same three steps, in the SDK's order, to each payload list as it is reached: the same
payloads come out (tests/test_payload_walk.py compares them with the SDK's on a pathway's
activation and completion). A converter with external storage keeps the SDK's three walks,
whose second may run its retrievals concurrently.

The SDK's two functions are replaced in its module by `install()` (the worker's start); a test
fails if an upgrade changes their signature, and `install()` then keeps the SDK's.
"""

import inspect
from collections.abc import Awaitable, Callable, Sequence

import temporalio.bridge.worker as bridge
from temporalio.api.common.v1 import Payload
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import DataConverter
from temporalio.converter._extstore import StorageOperationMetrics
from temporalio.worker._command_aware_visitor import CommandAwarePayloadVisitor

Step = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]

SDK_DECODE = bridge.decode_activation
SDK_ENCODE = bridge.encode_completion
SDK_PARAMETERS = {
    name: [message, "data_converter", headers, "storage_concurrency_limit"]
    for name, message, headers in (
        ("decode_activation", "activation", "decode_headers"),
        ("encode_completion", "completion", "encode_headers"),
    )
}


def _chain(*steps: Step) -> Step:
    async def run(payloads: Sequence[Payload]) -> list[Payload]:
        out = list(payloads)
        for step in steps:
            out = await step(out)
        return out

    return run


async def _walk(
    sdk: Callable[..., Awaitable[StorageOperationMetrics]],
    message: WorkflowActivation | WorkflowActivationCompletion,
    data_converter: DataConverter,
    headers: bool,
    storage_concurrency_limit: int,
    steps: Step,
) -> StorageOperationMetrics:
    if data_converter.external_storage is not None:  # the SDK's walks, retrievals in parallel
        return await sdk(message, data_converter, headers, storage_concurrency_limit)
    visitor = CommandAwarePayloadVisitor(skip_search_attributes=True, skip_headers=not headers)
    await visitor.visit(bridge._Visitor(steps), message)
    return StorageOperationMetrics()


async def decode_activation(
    activation: WorkflowActivation,
    data_converter: DataConverter,
    decode_headers: bool,
    storage_concurrency_limit: int,
) -> StorageOperationMetrics:
    steps = _chain(
        data_converter._decode_reference_payload_sequence,
        data_converter._external_retrieve_payload_sequence,
        data_converter._decode_payload_sequence,
    )
    return await _walk(
        SDK_DECODE, activation, data_converter, decode_headers, storage_concurrency_limit, steps
    )


async def encode_completion(
    completion: WorkflowActivationCompletion,
    data_converter: DataConverter,
    encode_headers: bool,
    storage_concurrency_limit: int,
) -> StorageOperationMetrics:
    steps = _chain(
        data_converter._encode_payload_sequence,
        data_converter._external_store_payload_sequence,
        data_converter._encode_reference_payload_sequence,
    )
    return await _walk(
        SDK_ENCODE, completion, data_converter, encode_headers, storage_concurrency_limit, steps
    )


def sdk_shape_known() -> bool:
    """The SDK's functions take what ours take, and its visitor's adapter is where it was."""
    return (
        list(inspect.signature(SDK_DECODE).parameters) == SDK_PARAMETERS["decode_activation"]
        and list(inspect.signature(SDK_ENCODE).parameters) == SDK_PARAMETERS["encode_completion"]
        and hasattr(bridge, "_Visitor")
    )


def install() -> bool:
    """Ours in the SDK's module (idempotent); False, and the SDK's kept, on an unknown SDK."""
    if not sdk_shape_known():
        return False
    bridge.decode_activation = decode_activation
    bridge.encode_completion = encode_completion
    return True
