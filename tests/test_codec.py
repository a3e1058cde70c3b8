"""Every Temporal payload encrypted: the codec, its keys, a real history, the UI's endpoint."""

import base64
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from google.protobuf import json_format
from google.protobuf.message import Message
from pydantic import ValidationError
from sqlmodel import Session
from temporalio.api.common.v1 import Payload, SearchAttributes
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.converter import WorkflowSerializationContext
from temporalio.exceptions import ApplicationError

from api.accounts import create_user
from api.main import create_app
from core import clock
from core.codec import (
    DEV_KEY,
    DEV_KEY_ID,
    DecryptionError,
    EncryptionCodec,
    KeyRing,
    KeyRingError,
    key_ring_from_settings,
    new_key_entry,
)
from core.settings import Settings
from core.temporal import DATA_CONVERTER
from models.pathway import Action
from models.records import Household
from models.schemas import FlashEvaluationCreate
from tests import factories
from tests.conftest import login, new_id
from tests.pathway_helpers import body, history_text
from workflows.pathway import workflow_id

OLD, NEW = new_key_entry("k1"), new_key_entry("k2")
PERSONAL = ("Le Grand Jo", "CHRS Les Amandiers")


def plain(text: str) -> Payload:
    return DATA_CONVERTER.payload_converter.to_payloads([{"structure": text}])[0]


def codec(spec: str) -> EncryptionCodec:
    return EncryptionCodec(KeyRing.parse(spec))


async def test_round_trip_hides_the_payload_and_restores_it() -> None:
    original = plain("CHRS Les Amandiers")
    (sealed,) = await codec(OLD).encode([original])
    assert sealed.metadata["encoding"] == b"binary/encrypted"
    assert sealed.metadata["encryption-key-id"] == b"k1"
    assert b"Amandiers" not in sealed.SerializeToString()
    assert await codec(OLD).decode([sealed]) == [original]
    (again,) = await codec(OLD).encode([original])
    assert again.data[:12] != sealed.data[:12]  # a fresh nonce each time


async def test_rotation_old_payloads_still_decrypt_new_ones_use_the_new_key() -> None:
    (old,) = await codec(OLD).encode([plain("avant rotation")])
    rotated = codec(f"{NEW},{OLD}")
    assert await rotated.decode([old]) == [plain("avant rotation")]
    (new,) = await rotated.encode([plain("après")])
    assert new.metadata["encryption-key-id"] == b"k2"
    with pytest.raises(DecryptionError, match="clé inconnue"):
        await codec(OLD).decode([new])  # k2 is not in the old ring


async def test_tampered_ciphertext_is_refused() -> None:
    (sealed,) = await codec(OLD).encode([plain("x")])
    data = bytearray(sealed.data)
    data[-1] ^= 0x01
    tampered = Payload(metadata=sealed.metadata, data=bytes(data))
    with pytest.raises(DecryptionError, match="altérée"):
        await codec(OLD).decode([tampered])


async def test_plain_payloads_pass_through_decode() -> None:
    payloads = [plain("enregistré avant le chiffrement"), Payload()]
    assert await codec(OLD).decode(payloads) == payloads


async def test_failures_are_encrypted_message_and_stack_trace_included() -> None:
    failure = Failure()
    await DATA_CONVERTER.encode_failure(ApplicationError("Le Grand Jo refusé", type="X"), failure)
    assert "Grand Jo" not in failure.message
    assert failure.encoded_attributes.metadata["encoding"] == b"binary/encrypted"
    decoded = await DATA_CONVERTER.decode_failure(failure)
    assert isinstance(decoded, ApplicationError) and decoded.message == "Le Grand Jo refusé"


def test_keys_from_settings() -> None:
    ring = key_ring_from_settings(Settings(environment="development", encryption_keys=""))
    assert ring.current == DEV_KEY_ID
    prod = key_ring_from_settings(Settings(environment="production", encryption_keys=NEW))
    assert repr(prod) == "KeyRing(current='k2')"  # no key in a log line or a traceback
    for spec in ("", "  "):
        with pytest.raises(KeyRingError, match="SIAO_ENCRYPTION_KEYS"):
            key_ring_from_settings(Settings(environment="production", encryption_keys=spec))
    for spec in (f"dev:{DEV_KEY}", f"{NEW},old-dev:{DEV_KEY}"):  # refused by Settings
        with pytest.raises(ValidationError, match="développement"):
            Settings(environment="production", encryption_keys=spec)
    for bad in ("k1", "k1:pas du base64!", "k1:" + base64.b64encode(b"court").decode(), "a:,"):
        with pytest.raises(KeyRingError):
            KeyRing.parse(bad)
    with pytest.raises(KeyRingError, match="double"):
        KeyRing.parse(f"{OLD},{OLD}")


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload in a proto message, search attributes aside (the server indexes them)."""
    if isinstance(message, Payload):
        yield message
    elif not isinstance(message, SearchAttributes):
        for _, value in message.ListFields():
            items = (
                value.values()
                if isinstance(value, Mapping)
                else value
                if isinstance(value, Sequence) and not isinstance(value, str | bytes)
                else [value]
            )
            for item in items:
                if isinstance(item, Message):
                    yield from payloads_in(item)


# sdk-core's own marker entries (patch ids; a local activity's seq, attempt and times): written in
# clear by the SDK, outside the codec, and never our data (the raw history is checked whole below).
CORE_MARKER_ENTRIES = ("patch-data", "data")


def stored_payloads(event: HistoryEvent) -> list[Payload]:
    if event.HasField("marker_recorded_event_attributes"):
        event = HistoryEvent.FromString(event.SerializeToString())
        for key in CORE_MARKER_ENTRIES:
            event.marker_recorded_event_attributes.details.pop(key, None)
    return list(payloads_in(event))


async def test_history_on_the_server_is_encrypted_and_the_client_reads_it(ts_env, ts_pathway):
    hid = new_id()
    t = await ts_env.get_current_time()
    await ts_pathway.report(hid, t)
    flash = body(FlashEvaluationCreate, factories.flash())
    await ts_pathway.act(hid, Action.FLASH_EVALUATION, flash, t)
    assert (await ts_pathway.state(hid)).stage.value == "flash_evaluated"  # the client reads it

    history = await ts_env.client.get_workflow_handle(workflow_id(hid)).fetch_history()
    stored = [p for event in history.events for p in stored_payloads(event)]
    assert stored
    assert all(p.metadata["encoding"] == b"binary/encrypted" for p in stored)
    raw = history.to_json()
    everything = [p for event in history.events for p in payloads_in(event)]  # bookkeeping too
    for text in PERSONAL:
        assert text not in raw
        assert not any(text.encode() in p.data for p in everything)
    # The referent structure is also a search attribute, in clear by design (the server indexes
    # it); a nickname is nowhere, search attributes included.
    assert "Le Grand Jo" not in history_text(history)
    decoded = await DATA_CONVERTER.payload_codec.decode(stored)  # type: ignore[union-attr]
    assert any(b"CHRS Les Amandiers" in p.data for p in decoded)  # so it was there, encrypted


def codec_app(settings: Settings, engine: Any) -> FastAPI:
    """The real API (its codec routes are for supervisors only)."""
    return create_app(settings, engine)


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test")


def as_json(payloads: Sequence[Payload]) -> dict:
    return {"payloads": [json_format.MessageToDict(p) for p in payloads]}


def from_json(answer: dict) -> list[Payload]:
    return [json_format.ParseDict(p, Payload()) for p in answer["payloads"]]


def household_of_75(engine: Any) -> str:
    """A household row of 75 (its pathway's payloads are bound to its workflow id)."""
    hid = new_id()
    with Session(engine) as session:
        row = {"id": hid, "departement": "75", "workflow_id": workflow_id(hid)}
        session.add(
            Household.model_validate({**row, "encountered_at": clock.now(), "stage": "reported"})
        )
        session.commit()
    return hid


async def test_codec_endpoint_decodes_what_the_codec_encoded_and_back(settings, engine) -> None:
    codec = DATA_CONVERTER.payload_codec
    assert isinstance(codec, EncryptionCodec)
    original = [plain("CHRS Les Amandiers"), plain("Le Grand Jo")]
    context = WorkflowSerializationContext("default", workflow_id(household_of_75(engine)))
    sealed = await codec.with_context(context).encode(original)  # as the worker encodes
    headers = {
        "X-Namespace": "default",
        "Origin": "http://localhost:8233",
        **login(settings, engine, ["coordinateur"], ["75"]),
    }
    async with client(codec_app(settings, engine)) as http:
        decoded = await http.post("/codec/decode", json=as_json(sealed), headers=headers)
        assert decoded.status_code == 200, decoded.text
        assert from_json(decoded.json()) == original
        assert decoded.headers["access-control-allow-origin"] == "http://localhost:8233"

        encoded = await http.post("/codec/encode", json=as_json(original), headers=headers)
        assert encoded.status_code == 200, encoded.text
        assert await codec.decode(from_json(encoded.json())) == original

        empty = await http.post("/codec/decode", json={"payloads": []}, headers=headers)
        assert empty.json() == {"payloads": []}
        tampered = as_json(sealed)
        tampered["payloads"][0]["data"] = base64.b64encode(b"x" * 40).decode()
        refused = await http.post("/codec/decode", json=tampered, headers=headers)
        assert refused.status_code == 422 and "altérée" in refused.json()["detail"]


async def test_codec_cors_only_for_the_ui_origin_and_preflight_before_auth(settings, engine):
    preflight = {
        "Origin": "http://localhost:8233",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    async with client(codec_app(settings, engine)) as http:
        ok = await http.options("/codec/decode", headers=preflight)
        assert ok.status_code == 204
        assert ok.headers["access-control-allow-origin"] == "http://localhost:8233"
        assert "x-namespace" in ok.headers["access-control-allow-headers"]
        other = await http.options("/codec/decode", headers={**preflight, "Origin": "http://evil"})
        assert "access-control-allow-origin" not in other.headers
        anonymous = await http.post("/codec/decode", json={"payloads": []}, headers=preflight)
        assert anonymous.status_code == 401
        referent = login(settings, engine, ["referent"], ["75"])
        denied = await http.post("/codec/decode", json={"payloads": []}, headers=referent)
        assert denied.status_code == 403


async def test_a_supervisor_logged_in_gets_a_cookie_the_ui_codec_calls_carry(settings, engine):
    create_user(engine, "superviseur-ui", "mot-de-passe-long", ["coordinateur"], ["75"])
    async with client(codec_app(settings, engine)) as http:
        token = await http.post(
            "/auth/token", data={"username": "superviseur-ui", "password": "mot-de-passe-long"}
        )
        assert token.status_code == 200 and "siao_session" in token.cookies
        # The UI sends no bearer token, only the cookie (httpx keeps it like a browser).
        decoded = await http.post(
            "/codec/decode", json={"payloads": []}, headers={"Origin": "http://localhost:8233"}
        )
        assert decoded.status_code == 200
        wrong = await http.post(
            "/auth/token", data={"username": "superviseur-ui", "password": "faux"}
        )
        assert wrong.status_code == 401 and "incorrect" in wrong.json()["detail"]


async def test_default_key_and_secret_are_refused_outside_development(engine) -> None:
    with pytest.raises(RuntimeError, match="SIAO_ENCRYPTION_KEYS"):
        create_app(
            Settings(environment="production", secret_key="x" * 40, encryption_keys=""), engine
        )
    with pytest.raises(RuntimeError, match="SIAO_SECRET_KEY"):
        create_app(Settings(environment="production"), engine)
