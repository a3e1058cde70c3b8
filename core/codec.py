"""Every Temporal payload encrypted: AES-256-GCM, the key id in the metadata, a key ring.

An encoded payload has the metadata `encoding: binary/encrypted` and `encryption-key-id: <id>`;
its data is a random 12-byte nonce followed by the ciphertext (with its GCM tag) of the original
Payload proto, serialized — its own metadata (json/plain…) included. The ring holds several keys:
the current one encrypts, every one decrypts, so a rotation (a new key put first, the old ones kept
after it) leaves yesterday's histories readable. Payloads without that encoding pass through
decoding unchanged: histories recorded before encryption still replay.

Each ciphertext is bound to its workflow. The SDK hands the codec a serialization context (the
workflow's id, for a workflow's own payloads and for its activities'); the id goes in clear in
the metadata (`encryption-workflow-id`: a pathway's id holds no personal data) and is the
AES-GCM associated data, so it cannot be changed without the decryption failing. Decoding in a
context refuses a payload bound to another workflow (moved from another history); a scheduled
run (`<schedule action id>-<time>`) reads what its schedule bound to the action's id. The codec
endpoint (api/routers/codec.py) reads the bound id to decide who may see the payload in clear.
Ciphertexts from before the binding carry no id: the worker still reads them, the endpoint does
not decrypt them.

A new key: `python -m core.codec [id]` prints an `id:base64key` entry for SIAO_ENCRYPTION_KEYS.
"""

import base64
import binascii
import copy
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

from core.settings import DEV_ENCRYPTION_KEY as DEV_KEY
from core.settings import DEV_ENCRYPTION_KEY_ID as DEV_KEY_ID
from core.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
WORKFLOW_ID = "encryption-workflow-id"
NONCE_SIZE = 12
KEY_SIZE = 32  # AES-256
TAG_SIZE = 16

# DEV_KEY (core.settings): public, used when SIAO_ENCRYPTION_KEYS is empty in development only;
# Settings refuses it in every other environment.


class KeyRingError(ValueError):
    """Keys that cannot be used; the message (in French) says what to fix, never a key."""


class DecryptionError(ValueError):
    """An encrypted payload that cannot be read: unknown key id, or altered data."""


@dataclass(frozen=True)
class KeyRing:
    keys: Mapping[str, bytes] = field(repr=False)  # never in a log line or a traceback
    current: str

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeyRingError(f"Clé de chiffrement courante inconnue : « {self.current} ».")
        for key_id, key in self.keys.items():
            if len(key) != KEY_SIZE:
                raise KeyRingError(
                    f"Clé de chiffrement « {key_id} » : {KEY_SIZE} octets attendus (AES-256), "
                    f"{len(key)} reçus."
                )

    @classmethod
    def parse(cls, spec: str) -> "KeyRing":
        """`id:base64key,id:base64key,…`: the first key is the current one."""
        keys: dict[str, bytes] = {}
        for entry in spec.split(","):
            key_id, colon, encoded = (part.strip() for part in entry.partition(":"))
            if not colon or not key_id or not encoded:
                raise KeyRingError(
                    "SIAO_ENCRYPTION_KEYS mal formé : « id:clé_base64 » séparés par des virgules "
                    "attendu (la première clé chiffre, les suivantes restent lisibles)."
                )
            if key_id in keys:
                raise KeyRingError(f"Identifiant de clé de chiffrement en double : « {key_id} ».")
            try:
                keys[key_id] = base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise KeyRingError(f"Clé de chiffrement « {key_id} » : base64 invalide.") from exc
        return cls(keys, next(iter(keys)))


def dev_key_ring() -> KeyRing:
    return KeyRing({DEV_KEY_ID: base64.b64decode(DEV_KEY)}, DEV_KEY_ID)


def key_ring_from_settings(settings: Settings) -> KeyRing:
    """The configured ring (Settings refused the public key outside development); the public
    development key when none is configured, in development only."""
    spec = settings.encryption_keys.strip()
    if not spec:
        if settings.in_development:
            return dev_key_ring()
        raise KeyRingError(
            f"SIAO_ENCRYPTION_KEYS est vide alors que l'environnement est « "
            f"{settings.environment} » : hors développement, les historiques Temporal sont "
            "chiffrés avec des clés propres à l'environnement. Générez-en une avec "
            "`python -m core.codec` et renseignez SIAO_ENCRYPTION_KEYS."
        )
    return KeyRing.parse(spec)


def _associated_data(workflow_id: str) -> bytes:
    return b"siao/workflow-id\0" + workflow_id.encode()


def encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


def bound_workflow(payload: Payload) -> str | None:
    """The workflow an encrypted payload is bound to (None: encrypted before the binding). The
    id is authenticated only once the payload decrypts."""
    bound = payload.metadata.get(WORKFLOW_ID)
    return bound.decode("utf-8", "replace") if bound is not None else None


SCHEDULED_RUN = re.compile(r"-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _same_workflow(bound: str, current: str) -> bool:
    # A Schedule encodes its action's input under the action's id; each run's id is that id
    # followed by the scheduled time, and a run is handed the previous run's result (its last
    # completion result), bound to that sibling's id.
    action = SCHEDULED_RUN.sub("", current)
    return current == bound or (action != current and action == SCHEDULED_RUN.sub("", bound))


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    def __init__(self, ring: KeyRing) -> None:
        self._ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys.items()}
        self._current = ring.current
        self._workflow_id: str | None = None  # set by `with_context`

    def with_context(self, context: SerializationContext) -> "EncryptionCodec":
        """The codec for one workflow's payloads (and its activities'): it binds what it
        encrypts to that workflow and refuses what another workflow's history holds."""
        workflow_id = (
            context.workflow_id
            if isinstance(context, WorkflowSerializationContext | ActivitySerializationContext)
            else None
        )
        if not workflow_id or workflow_id == self._workflow_id:
            return self
        bound = copy.copy(self)  # the same ciphers
        bound._workflow_id = workflow_id
        return bound

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_SIZE)
        metadata = {"encoding": ENCODING, KEY_ID: self._current.encode()}
        aad = None
        if self._workflow_id is not None:
            metadata[WORKFLOW_ID] = self._workflow_id.encode()
            aad = _associated_data(self._workflow_id)
        sealed = self._ciphers[self._current].encrypt(nonce, payload.SerializeToString(), aad)
        return Payload(metadata=metadata, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if not encrypted(payload):
            return payload  # recorded before encryption: readable as it is
        bound = bound_workflow(payload)
        if bound is not None and self._workflow_id and not _same_workflow(bound, self._workflow_id):
            raise DecryptionError(
                f"Donnée chiffrée d'un autre workflow (« {bound} ») trouvée dans l'historique de "
                f"« {self._workflow_id} » : refusée."
            )
        key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(
                f"Donnée chiffrée avec une clé inconnue (« {key_id} ») : cette clé a-t-elle été "
                "retirée de SIAO_ENCRYPTION_KEYS ?"
            )
        data = payload.data
        if len(data) < NONCE_SIZE + TAG_SIZE:
            raise DecryptionError("Donnée chiffrée tronquée : illisible.")
        aad = _associated_data(bound) if bound is not None else None
        try:
            plain = cipher.decrypt(data[:NONCE_SIZE], data[NONCE_SIZE:], aad)
        except InvalidTag as exc:
            raise DecryptionError(
                f"Donnée chiffrée altérée (ou clé « {key_id} » différente de celle qui l'a "
                "chiffrée) : refusée."
            ) from exc
        return Payload.FromString(plain)


def new_key_entry(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_SIZE)).decode()}"


if __name__ == "__main__":
    print(new_key_entry(sys.argv[1] if len(sys.argv) > 1 else "k1"))
