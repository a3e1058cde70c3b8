"""A trail written before migration 0005 (plain SHA-256 links), upgraded."""

import uuid

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlmodel import Session, col, select

from activities import audit, audit_check
from core import clock
from core.db import make_engine
from core.settings import ROOT
from models.audit import GENESIS, AuditEvent
from tests.audit_helpers import sha256_link


def test_rows_written_before_the_upgrade_still_verify_and_chain_on(tmp_path):
    """A trail from before migration 0005 (plain SHA-256 links) upgraded: it still verifies,
    its rows get their household's département, new rows chain on under the key."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0004")
    old = make_engine(url)
    hid = str(uuid.uuid4())
    prev = GENESIS
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO household (id, departement, typology, residential_situation, "
                "time_without_housing, contact_channel, encountered_at, workflow_id, stage, "
                "overdue, facts, thematic_referents, flags, created_at, updated_at) VALUES "
                "(:id, '93', 'x', 'x', 'x', 'x', :t, 'w', 'reported', 0, '{}', '[]', '[]', :t, :t)"
            ),
            {"id": hid, "t": clock.now()},
        )
        for seq in (1, 2):
            row = AuditEvent(
                seq=seq, at=clock.now(), actor="agent-1", action="lecture", record="fiche",
                household_id=hid, fields=[], purpose="consultation", prev_hash=prev, hash="",
            )  # fmt: skip
            row.hash = sha256_link(prev, row)
            conn.execute(
                text(
                    "INSERT INTO auditevent (seq, at, actor, action, household_id, record, "
                    "fields, purpose, prev_hash, hash) VALUES (:seq, :at, 'agent-1', 'lecture', "
                    ":hid, 'fiche', '[]', 'consultation', :prev, :hash)"
                ),
                {"seq": seq, "at": row.at, "hid": hid, "prev": prev, "hash": row.hash},
            )
            prev = row.hash
        conn.execute(text("INSERT INTO audithead (id, seq, hash) VALUES (1, 2, :h)"), {"h": prev})
    old.dispose()
    command.upgrade(cfg, "head")
    upgraded = make_engine(url)
    try:
        assert audit_check.verify(upgraded) is None
        audit.record(
            upgraded, actor="agent-1", action="lecture", record="fiche", household_id=hid,
            purpose="consultation", note="texte libre",
        )  # fmt: skip
        assert audit_check.verify(upgraded) is None
        with Session(upgraded) as session:
            rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
        assert [(r.chain_version, r.departement) for r in rows] == [(1, "93"), (1, "93"), (2, "93")]
    finally:
        upgraded.dispose()
