"""One walk over an activation's (a completion's) payloads gives what the SDK's three walks give
(core/payload_walk.py), each payload through the codec once; the worker runs with it."""

import dataclasses
from collections.abc import Sequence

import temporalio.bridge.worker as bridge
from temporalio.api.common.v1 import Payload
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import DataConverter, PayloadCodec, WorkflowSerializationContext

from core import payload_walk
from core.temporal import DATA_CONVERTER

WORKFLOW_ID = "pathway-walk-test"


class Tagging(PayloadCodec):
    """A deterministic codec that counts: each payload it sees is tagged once more."""

    def __init__(self) -> None:
        self.seen = 0

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen += len(payloads)
        return [Payload(metadata={**p.metadata, "tag": b"x"}, data=b"<" + p.data) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen += len(payloads)
        return [Payload(metadata=dict(p.metadata), data=p.data[1:]) for p in payloads]


def json(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


def an_activation(encode: bool) -> WorkflowActivation:
    """A new pathway's first activation (start, update) and a local activity's result."""
    act = WorkflowActivation(run_id="run-1")
    init = act.jobs.add().initialize_workflow
    init.workflow_id, init.workflow_type = WORKFLOW_ID, "PathwayWorkflow"
    init.arguments.extend([json('{"household_id": "h-1"}')])
    act.jobs.add().do_update.input.extend([json('{"action": "report"}'), json("null")])
    act.jobs.add().resolve_activity.result.completed.result.CopyFrom(json('{"state": {}}'))
    if encode:  # what the server hands over: every payload as the codec left it
        for job in act.jobs:
            for seq in (job.initialize_workflow.arguments, job.do_update.input):
                for p in seq:
                    p.data = b"<" + p.data
        result = act.jobs[2].resolve_activity.result.completed.result
        result.data = b"<" + result.data
    return act


def a_completion() -> WorkflowActivationCompletion:
    """A local activity scheduled, search attributes upserted, an update answered."""
    comp = WorkflowActivationCompletion(run_id="run-1")
    commands = comp.successful.commands
    commands.add().schedule_local_activity.arguments.extend([json('{"state": {}}')])
    commands.add().upsert_workflow_search_attributes.search_attributes.indexed_fields[
        "SiaoStage"
    ].CopyFrom(json('"reported"'))
    commands.add().update_response.completed.CopyFrom(json('{"stage": "reported"}'))
    return comp


def tagging_converter() -> tuple[DataConverter, Tagging]:
    codec = Tagging()
    return dataclasses.replace(DataConverter(), payload_codec=codec), codec


async def test_one_walk_decodes_an_activation_as_the_sdks_three_walks_do():
    ours, theirs = an_activation(encode=True), an_activation(encode=True)
    ours_dc, ours_codec = tagging_converter()
    sdk_dc, _ = tagging_converter()
    await payload_walk.decode_activation(
        ours, ours_dc, decode_headers=True, storage_concurrency_limit=1
    )
    await payload_walk.SDK_DECODE(theirs, sdk_dc, decode_headers=True, storage_concurrency_limit=1)
    assert ours == theirs == an_activation(encode=False)
    assert ours_codec.seen == 4  # each payload through the codec once


async def test_one_walk_encodes_a_completion_as_the_sdks_three_walks_do():
    ours, theirs = a_completion(), a_completion()
    ours_dc, ours_codec = tagging_converter()
    sdk_dc, _ = tagging_converter()
    await payload_walk.encode_completion(
        ours, ours_dc, encode_headers=True, storage_concurrency_limit=1
    )
    await payload_walk.SDK_ENCODE(theirs, sdk_dc, encode_headers=True, storage_concurrency_limit=1)
    assert ours == theirs
    assert ours_codec.seen == 2  # the local activity's argument, the update's answer
    upsert = ours.successful.commands[1].upsert_workflow_search_attributes
    assert upsert.search_attributes.indexed_fields["SiaoStage"] == json(
        '"reported"'
    )  # never encoded


async def test_our_encrypted_payloads_decode_to_the_same_activation():
    context = WorkflowSerializationContext(namespace="default", workflow_id=WORKFLOW_ID)
    converter = DATA_CONVERTER.with_context(context)
    plain = an_activation(encode=False)
    encrypted = WorkflowActivation()
    encrypted.CopyFrom(plain)
    for seq in (encrypted.jobs[0].initialize_workflow.arguments, encrypted.jobs[1].do_update.input):
        sealed = await converter._encode_payload_sequence(list(seq))
        del seq[:]
        seq.extend(sealed)
    result = encrypted.jobs[2].resolve_activity.result.completed.result
    result.CopyFrom((await converter._encode_payload_sequence([result]))[0])
    assert encrypted != plain
    await payload_walk.decode_activation(
        encrypted, converter, decode_headers=True, storage_concurrency_limit=1
    )
    assert encrypted == plain


async def test_a_converter_with_external_storage_keeps_the_sdks_walks(monkeypatch):
    calls: list[str] = []

    async def sdk_decode(*args: object, **kwargs: object) -> str:
        calls.append("decode")
        return "sdk"

    monkeypatch.setattr(payload_walk, "SDK_DECODE", sdk_decode)
    stored = dataclasses.replace(DataConverter(), external_storage=object())  # type: ignore[arg-type]
    answer = await payload_walk.decode_activation(
        an_activation(encode=False), stored, decode_headers=True, storage_concurrency_limit=4
    )
    assert (answer, calls) == ("sdk", ["decode"])


def test_the_worker_installs_the_one_walk_on_the_sdk_it_was_written_for():
    # Fails on a temporalio upgrade that changed the two functions: read core/payload_walk.py.
    assert payload_walk.sdk_shape_known()
    assert payload_walk.install()
    assert bridge.decode_activation is payload_walk.decode_activation
    assert bridge.encode_completion is payload_walk.encode_completion
