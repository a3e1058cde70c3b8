"""The audit trail: who read or changed which personal data, when and why. Append-only and
hash-chained: each row's hash covers the previous one, so an edited or deleted row shows."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.clock import now
from models.records import listing, when

GENESIS = "0" * 64


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    at: datetime = when(default_factory=now)
    actor: str = Field(max_length=80, description="compte (identifiant opaque)")
    action: str = Field(max_length=20, description="lecture | écriture | export | effacement…")
    household_id: str | None = Field(default=None, index=True, max_length=36)
    # Kept after the household is erased: its audit rows stay in its département's scope.
    departement: str | None = Field(default=None, index=True, max_length=3)
    record: str = Field(max_length=60, description="fiche ou enregistrement concerné")
    fields: list[str] = listing()
    purpose: str = Field(max_length=200, description="finalité de l'accès (libellé du code)")
    # Free text (a rectification's reason…) lives beside the chain in AuditNote; the link
    # covers its salted digest, so erasing the text (and its salt) leaves the chain intact.
    note_digest: str | None = Field(default=None, max_length=64)
    chain_version: int = Field(default=2, description="1 : SHA-256 seul (avant 0005) ; 2 : HMAC")
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The chain's last link, locked by each writer until its transaction commits."""

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default=GENESIS, max_length=64)


class AuditNote(SQLModel, table=True):
    """The free text of one audit row, erased with the household. Kept apart so erasing it
    rewrites this small table on PostgreSQL (VACUUM FULL), never the whole trail."""

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    household_id: str | None = Field(default=None, index=True, max_length=36)
    note: str = Field(max_length=500)
    salt: str = Field(max_length=32)


class Rectification(SQLModel, table=True):
    """A person's data corrected at their request: the history of what changed (R-EVAL-3)."""

    id: int | None = Field(default=None, primary_key=True)
    household_id: str = Field(index=True, max_length=36)
    person_id: int = Field(index=True)
    at: datetime = when(default_factory=now)
    actor: str = Field(max_length=80)
    field: str = Field(max_length=60)
    old_value: str | None = Field(default=None, max_length=500)
    new_value: str | None = Field(default=None, max_length=500)


class AnonymousPathway(SQLModel, table=True):
    """What remains of an erased pathway for statistics (R-OBS-1): no id, no name, no date
    finer than the month."""

    id: int | None = Field(default=None, primary_key=True)
    departement: str = Field(index=True, max_length=3)
    typology: str = Field(max_length=40)
    members_count: int
    last_stage: str = Field(max_length=40)
    exit_situation: str | None = Field(default=None, max_length=40)
    reported_month: str = Field(max_length=7, description="AAAA-MM")
    closed_month: str | None = Field(default=None, max_length=7)
