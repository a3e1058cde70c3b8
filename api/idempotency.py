"""Idempotency of an action: the id of its held entry, the digest of what was sent, what a
reused key conflicts with, and the update id that makes a retry find the first try's update."""

import hashlib
import json
import uuid
from datetime import UTC

from pydantic import BaseModel
from sqlmodel import Session, col, select

from api.deps import ActionContext
from models.pathway import Action
from models.records import Submission

SUBMISSION_ID_LENGTH = 64  # the length of Submission.id and of the records' submission_id


def submission_id(action: Action, idempotency_key: str | None, actor: str) -> str:
    """The staged entry's id, and the base of its update id. A client's key is scoped to its
    account (another account's identical key is another entry) and stands through its digest,
    which fits the columns whatever the key's length."""
    if idempotency_key is None:
        return f"{action.value}:{uuid.uuid4()}"
    prefix = f"{action.value}:"
    digest = hashlib.sha256(f"{actor}\0{idempotency_key}".encode()).hexdigest()
    return prefix + digest[: SUBMISSION_ID_LENGTH - len(prefix)]


def request_digest(body: BaseModel | None) -> str:
    """SHA-256 of the body as the client sent it (fields it left out are not filled with their
    defaults, so a retry that omits a default date digests the same)."""
    sent = body.model_dump(mode="json", exclude_unset=True) if body is not None else {}
    canonical = json.dumps(sent, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_conflict(existing: Submission, household_id: str, action: Action, digest: str) -> str:
    """What differs from the entry first staged under this key ("" when it is a true retry)."""
    if existing.action != action:
        earlier = next((a.label for a in Action if a.value == existing.action), existing.action)
        return f"cette clé a déjà servi pour une autre action (« {earlier} »)"
    if existing.household_id != household_id:
        return "cette clé a déjà servi pour un autre ménage"
    if existing.request_digest is not None and existing.request_digest != digest:
        return "cette clé a déjà servi pour la même action avec un autre contenu"
    return ""


def same_key_elsewhere(session: Session, ctx: ActionContext, action: Action) -> Submission | None:
    """An entry of another action staged under the same key by the same account (the key is
    part of each action's entry id, so it is looked up under each of the other actions)."""
    if ctx.idempotency_key is None:
        return None
    others = [
        submission_id(other, ctx.idempotency_key, ctx.actor) for other in Action if other != action
    ]
    return session.exec(select(Submission).where(col(Submission.id).in_(others))).first()


FIRST_CONTACTS = uuid.UUID("6f1d3c52-6a0e-4b52-9a55-3c1b8f0e2d71")  # a namespace of our own


def household_for_key(sid: str, keyed: bool) -> str:
    """A first contact's household id: derived from its (account-scoped) key, so every retry —
    even one staged again after its entry was purged — names the same household; random
    without a key. Chosen by the server either way: nothing for a client to probe."""
    return str(uuid.uuid5(FIRST_CONTACTS, sid)) if keyed else str(uuid.uuid4())


def update_id(submission: Submission) -> str:
    """One update per staged entry: a retry finds the update in flight (or its result); an
    entry staged again after a refusal gets a fresh update, since Temporal keeps the old
    refusal under the old id."""
    created = submission.created_at
    if created.tzinfo is not None:  # as PostgreSQL gives it back; SQLite gives naive UTC
        created = created.astimezone(UTC).replace(tzinfo=None)
    return f"{submission.id}@{created.isoformat()}"
