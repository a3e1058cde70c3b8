"""Audit-trail test helpers: a household written directly (no pathway needed), and the chain's
link as anyone holding only the database can compute it."""

import hashlib
import json
import uuid
from datetime import UTC

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import clock
from models.audit import AuditEvent
from models.records import Household, Person


def seeded_household(engine: Engine, departement: str = "75") -> tuple[str, int]:
    """A household and its one member, written directly (no pathway needed here)."""
    hid = str(uuid.uuid4())
    with Session(engine) as session:
        row = {"departement": departement, "workflow_id": f"parcours-{hid}", "stage": "reported"}
        session.add(Household.model_validate({"id": hid, "encountered_at": clock.now(), **row}))
        session.flush()
        person = Person.model_validate(
            {"household_id": hid, "nominative_consent": False, "nickname": "Jo"}
        )
        session.add(person)
        session.commit()
        assert person.id is not None
        return hid, person.id


def sha256_link(prev: str, row: AuditEvent) -> str:
    """What anyone can compute from the database alone (the chain's algorithm before keys)."""
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    body = {
        "prev": prev,
        "seq": row.seq,
        "at": at.astimezone(UTC).isoformat(),
        "actor": row.actor,
        "action": row.action,
        "household_id": row.household_id,
        "record": row.record,
        "fields": list(row.fields),
        "purpose": row.purpose,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
