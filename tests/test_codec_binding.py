"""The codec decrypts across départements no more (issue 8, item 5): each ciphertext is bound to
its workflow (AES-GCM associated data), the codec endpoint decrypts only the pathways of the
caller's households, answers the same for another département's and for an unknown one, and
writes every decryption (and every refusal) to the audit trail."""

import base64
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, func, select
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    NexusSerializationContext,
    WorkflowSerializationContext,
)

from api.main import create_app
from core.codec import WORKFLOW_ID, DecryptionError, EncryptionCodec, KeyRing, new_key_entry
from core.temporal import DATA_CONVERTER
from models.audit import AuditEvent
from tests.conftest import login, new_id
from tests.test_codec import as_json, from_json, plain, stored_payloads
from workflows.pathway import workflow_id

RING = KeyRing.parse(new_key_entry("k1"))


def in_workflow(codec: EncryptionCodec, wid: str) -> EncryptionCodec:
    return codec.with_context(WorkflowSerializationContext(namespace="default", workflow_id=wid))


async def test_a_ciphertext_is_bound_to_its_workflow_and_fails_elsewhere() -> None:
    codec = EncryptionCodec(RING)
    mine, other = workflow_id(new_id()), workflow_id(new_id())
    (sealed,) = await in_workflow(codec, mine).encode([plain("CHRS Les Amandiers")])
    assert sealed.metadata[WORKFLOW_ID] == mine.encode()  # in clear: an id, no personal data
    assert await in_workflow(codec, mine).decode([sealed]) == [plain("CHRS Les Amandiers")]
    assert await codec.decode([sealed]) == [plain("CHRS Les Amandiers")]  # no context: its id

    try:  # moved into another pathway's history
        await in_workflow(codec, other).decode([sealed])
        raise AssertionError("a moved ciphertext was decrypted")
    except DecryptionError as exc:
        assert "autre workflow" in str(exc)
    relabelled = Payload(
        metadata={**sealed.metadata, WORKFLOW_ID: other.encode()}, data=sealed.data
    )
    for reader in (codec, in_workflow(codec, other)):  # its label changed: the tag fails
        try:
            await reader.decode([relabelled])
            raise AssertionError("a relabelled ciphertext was decrypted")
        except DecryptionError as exc:
            assert "altérée" in str(exc)

    activity = ActivitySerializationContext(
        namespace="default",
        activity_id="1",
        activity_type="apply_action",
        activity_task_queue="q",
        workflow_id=mine,
        workflow_type="PathwayWorkflow",
        is_local=False,
    )
    (for_activity,) = await codec.with_context(activity).encode([plain("x")])
    assert for_activity.metadata[WORKFLOW_ID] == mine.encode()
    nexus = NexusSerializationContext(endpoint="e", service="s", operation="o")
    assert codec.with_context(nexus) is codec  # no workflow: not bound

    (legacy,) = await codec.encode([plain("avant la liaison")])  # no context: not bound
    assert WORKFLOW_ID not in legacy.metadata
    assert await in_workflow(codec, other).decode([legacy]) == [plain("avant la liaison")]

    # A Schedule binds its action's input to the action's id; each run adds the time.
    (scheduled,) = await in_workflow(codec, "siao-controle-coherence").encode([plain("x")])
    run = in_workflow(codec, "siao-controle-coherence-2026-11-30T02:00:00Z")
    assert await run.decode([scheduled]) == [plain("x")]
    # ...and hands each run the previous run's result, bound to that sibling run.
    (result,) = await run.encode([plain("rapport")])
    following = in_workflow(codec, "siao-controle-coherence-2026-12-01T02:00:00Z")
    assert await following.decode([result]) == [plain("rapport")]
    with pytest.raises(DecryptionError):  # another schedule's run is another workflow
        await in_workflow(codec, "siao-liste-ofii-2026-12-01T02:00:00Z").decode([result])


async def test_a_real_history_is_bound_to_its_pathway(ts_env, ts_pathway) -> None:
    hid = new_id()
    await ts_pathway.report(hid, await ts_env.get_current_time())
    history = await ts_env.client.get_workflow_handle(workflow_id(hid)).fetch_history()
    stored = [p for event in history.events for p in stored_payloads(event)]
    assert stored
    assert {p.metadata[WORKFLOW_ID] for p in stored} == {workflow_id(hid).encode()}


def decoded_rows(engine: Any, household_id: str, action: str) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(col(AuditEvent.household_id) == household_id, AuditEvent.action == action)
        ).one()


async def test_the_codec_endpoint_decodes_only_the_callers_pathways_and_audits(
    ts_env, ts_pathway, settings, engine
) -> None:
    ours, theirs = new_id(), new_id()  # households of 75 and of 93, with real histories
    t = await ts_env.get_current_time()
    await ts_pathway.report(ours, t, "75")
    await ts_pathway.report(theirs, t, "93")

    async def payloads_of(hid: str) -> list[Payload]:
        history = await ts_env.client.get_workflow_handle(workflow_id(hid)).fetch_history()
        return [p for event in history.events for p in stored_payloads(event)]

    our_payloads, their_payloads = await payloads_of(ours), await payloads_of(theirs)
    codec = DATA_CONVERTER.payload_codec
    assert isinstance(codec, EncryptionCodec)
    (unknown,) = await in_workflow(codec, workflow_id(new_id())).encode([plain("x")])
    (legacy,) = await codec.encode([plain("Le Grand Jo")])  # encrypted before the binding

    coordinator_75 = login(settings, engine, ["coordinateur"], ["75"])
    before = decoded_rows(engine, ours, "déchiffrement")
    refused_before = decoded_rows(engine, theirs, "déchiffrement refusé")
    app = create_app(settings, engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as http:

        async def decode(payloads: list[Payload], headers: dict[str, str]) -> list[Payload]:
            r = await http.post("/codec/decode", json=as_json(payloads), headers=headers)
            assert r.status_code == 200, r.text
            return from_json(r.json())

        mixed = [*our_payloads, *their_payloads, unknown, legacy]
        answer = await decode(mixed, coordinator_75)
        n = len(our_payloads)
        assert answer[:n] == await codec.decode(our_payloads)  # in clear: theirs is 75
        assert any(b"Amandiers" in p.data for p in answer[:n])
        assert answer[n:] == [*their_payloads, unknown, legacy]  # all sent back encrypted

        # Another département's pathway answers exactly like an unknown one: unchanged.
        coordinator_93 = login(settings, engine, ["coordinateur"], ["93"])
        assert await decode(our_payloads, coordinator_93) == our_payloads
        assert await decode(their_payloads, coordinator_93) == await codec.decode(their_payloads)

        # Relabelled as one of ours, a payload of 93 does not decrypt: 422, nothing shown.
        forged = Payload(
            metadata={**their_payloads[0].metadata, WORKFLOW_ID: workflow_id(ours).encode()},
            data=their_payloads[0].data,
        )
        r = await http.post("/codec/decode", json=as_json([forged]), headers=coordinator_75)
        assert r.status_code == 422 and "altérée" in r.json()["detail"]
        assert "Grand Jo" not in r.text

        # Bodies of the protocol: unknown Payload fields are refused by the proto parser.
        odd = {"payloads": [{"metadata": {}, "data": "", "inconnu": 1}]}
        r = await http.post("/codec/decode", json=odd, headers=coordinator_75)
        assert r.status_code == 422
        bad = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"x" * 10).decode()}}]}
        assert (
            await http.post("/codec/decode", json=bad, headers=coordinator_75)
        ).status_code == 200

    assert decoded_rows(engine, ours, "déchiffrement") == before + 1  # one row a request
    assert decoded_rows(engine, theirs, "déchiffrement refusé") == refused_before + 1
    assert decoded_rows(engine, theirs, "déchiffrement") >= 1  # the 93 coordinator's own
