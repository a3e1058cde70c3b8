"""The audit chain under load and under attack, on the test database (SQLite, or PostgreSQL with
SIAO_TEST_DATABASE_URL): each row commits with the write it records, 40 concurrent writers
never fail and the chain verifies, a non-UTC session time zone changes nothing, someone holding
only the database cannot rebuild the chain, and its head goes to the log."""

import asyncio
import base64
import os
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from structlog.testing import capture_logs

from activities import audit, audit_check, housekeeping
from api.main import create_app
from core.settings import Settings
from models.audit import AuditEvent, AuditHead, Rectification
from models.records import Person
from tests.audit_helpers import seeded_household, sha256_link
from tests.conftest import login, ok

WRITERS = 40


async def no_temporal():  # these routes never reach Temporal
    raise RuntimeError("Temporal n'est pas utilisé ici")


@pytest.fixture
async def http(settings, engine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine, no_temporal)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://siao.test",
        headers=login(settings, engine, ["coordinateur"], ["75"]),
        timeout=120,
    ) as client:
        yield client


def counts(engine: Engine, hid: str) -> tuple[int, int]:
    """(rectifications, their audit rows) for the household."""
    with Session(engine) as session:
        changes = session.exec(
            select(func.count()).select_from(Rectification).where(Rectification.household_id == hid)
        ).one()
        audited = session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.household_id == hid, AuditEvent.action == "rectification")
        ).one()
    return changes, audited


async def test_a_write_whose_audit_row_fails_is_not_committed(http, engine, monkeypatch):
    hid, pid = seeded_household(engine)

    def unavailable(*args, **kwargs):
        raise RuntimeError("journal d'audit indisponible")

    monkeypatch.setattr(audit, "record", unavailable)
    r = await http.patch(
        f"/households/{hid}/persons/{pid}", json={"nickname": "Josette", "reason": "demande"}
    )
    assert r.status_code == 500
    with Session(engine) as session:
        person = session.get(Person, pid)
        assert person is not None and person.nickname == "Jo"  # nothing committed, unaudited
    assert counts(engine, hid) == (0, 0)


async def test_a_null_sex_is_refused_in_french_and_nothing_changes(http, engine):
    """Found by schemathesis: `"sex": null` reached the NOT NULL column (a 500). The sex is
    erased with « non_renseigne », never with null."""
    hid, pid = seeded_household(engine)
    body = {"sex": None, "birth_year": None, "last_name": "", "reason": "demande"}
    r = await http.patch(f"/households/{hid}/persons/{pid}", json=body)
    assert r.status_code == 422, r.text
    assert counts(engine, hid) == (0, 0)
    erased = {"sex": "non_renseigne", "reason": "demande de la personne"}
    assert ok(await http.patch(f"/households/{hid}/persons/{pid}", json=erased))["sex"] == (
        "non_renseigne"
    )


async def test_forty_concurrent_requests_never_fail_and_the_chain_verifies(http, engine):
    """40 caseworkers rectify at once (each their own household): no error, every change
    audited once, the chain verifies."""
    people = [seeded_household(engine) for _ in range(WRITERS)]
    rounds = 10

    async def writer(hid: str, pid: int) -> list[int]:
        statuses = []
        for j in range(rounds):
            body = {"nickname": f"Jo {j}", "reason": "demande de la personne"}
            r = await http.patch(f"/households/{hid}/persons/{pid}", json=body)
            statuses.append(r.status_code)
        return statuses

    results = await asyncio.gather(*(writer(hid, pid) for hid, pid in people))
    assert [s for statuses in results for s in statuses if s != 200] == []
    assert all(counts(engine, hid) == (rounds, rounds) for hid, _ in people)
    assert audit_check.verify(engine) is None
    assert ok(await http.get("/audit/verify")) == {"intact": True, "premiere_rupture": None}


def test_forty_concurrent_writers_each_row_with_its_write(engine):
    """40 threads, each write and its audit row in one transaction: 0 errors, every write
    audited exactly once, the chain verifies."""
    hid, pid = seeded_household(engine)
    rounds, errors = 25, []
    start = threading.Barrier(WRITERS)

    def writer(i: int) -> None:
        start.wait()
        for j in range(rounds):

            def work(session: Session, j: int = j) -> None:
                session.add(
                    Rectification(
                        household_id=hid,
                        person_id=pid,
                        actor=f"agent-{i}",
                        field="nickname",
                        old_value=None,
                        new_value=f"{i}-{j}",
                    )
                )
                audit.record(
                    engine,
                    actor=f"agent-{i}",
                    action="rectification",
                    record="fiche personne",
                    household_id=hid,
                    fields=["nickname"],
                    purpose="charge",
                    session=session,
                )

            try:
                audit.transaction(engine, work)
            except Exception as exc:
                errors.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counts(engine, hid) == (WRITERS * rounds, WRITERS * rounds)
    with Session(engine) as session:
        seqs = session.exec(select(AuditEvent.seq).order_by(col(AuditEvent.seq))).all()
    assert seqs == list(range(1, len(seqs) + 1))  # no gap, no fork
    assert audit_check.verify(engine) is None


async def test_the_chain_verifies_with_a_non_utc_session_time_zone(settings, engine, db_url):
    """PostgreSQL hands times back in the session's time zone; SQLite has none (naive UTC)."""
    args = {"options": "-c TimeZone=Pacific/Chatham"} if db_url.startswith("postgresql") else {}
    chatham = create_engine(db_url, connect_args=args)
    try:
        hid, _ = seeded_household(chatham)
        for _ in range(2):
            audit.record(
                chatham, actor="agent-1", action="lecture", record="fiche", household_id=hid,
                purpose="consultation",
            )  # fmt: skip
        with Session(chatham) as session:
            row = session.exec(select(AuditEvent).where(AuditEvent.household_id == hid)).first()
        assert row is not None
        if db_url.startswith("postgresql"):
            assert row.at.utcoffset() not in (None, timedelta(0))  # really read as +12:45/+13:45
        assert audit_check.verify(chatham) is None and audit_check.verify(engine) is None
        app = create_app(settings, chatham, no_temporal)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://siao.test",
            headers=login(settings, chatham, ["coordinateur"], ["75"]),
        ) as client:
            verdict = ok(await client.get("/audit/verify"))
        assert verdict == {"intact": True, "premiere_rupture": None}
    finally:
        chatham.dispose()


def _rewrite_from(engine: Engine, seq: int, purpose: str, link) -> None:
    """The attacker: edit row `seq`, then relink every later row and the head."""
    with Session(engine) as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.seq >= seq).order_by(col(AuditEvent.seq))
        ).all()
        prev = rows[0].prev_hash
        for row in rows:
            if row.seq == seq:
                row.purpose = purpose
            row.prev_hash, row.hash = prev, link(prev, row)
            prev = row.hash
            session.add(row)
        session.execute(update(AuditHead).where(col(AuditHead.id) == 1).values(hash=prev))
        session.commit()


def test_a_database_only_attacker_cannot_rebuild_the_chain(engine):
    hid, _ = seeded_household(engine)
    for _ in range(3):
        audit.record(
            engine, actor="agent-7", action="lecture", record="fiche ménage", household_id=hid,
            purpose="consultation de la fiche ménage",
        )  # fmt: skip
    assert audit_check.verify(engine) is None
    with Session(engine) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.seq >= 1)).all()
        saved = {r.seq: (r.purpose, r.prev_hash, r.hash) for r in rows}
        head = session.get(AuditHead, 1)
        assert head is not None
        head_hash = head.hash
        target = session.exec(
            select(AuditEvent.seq)
            .where(AuditEvent.household_id == hid)
            .order_by(col(AuditEvent.seq))
        ).first()
    assert target is not None
    try:
        _rewrite_from(engine, target, "rien", sha256_link)
        assert audit_check.verify(engine) == target
        guessed = b"une cle devinee " * 4
        _rewrite_from(engine, target, "rien", lambda p, r: audit.digest(p, r, guessed))
        assert audit_check.verify(engine) == target
    finally:  # put everything back, so later tests see an intact chain
        with Session(engine) as session:
            for seq, (purpose, prev, hash_) in saved.items():
                session.execute(
                    update(AuditEvent)
                    .where(col(AuditEvent.seq) == seq)
                    .values(purpose=purpose, prev_hash=prev, hash=hash_)
                )
            session.execute(update(AuditHead).where(col(AuditHead.id) == 1).values(hash=head_hash))
            session.commit()
    assert audit_check.verify(engine) is None


async def test_the_worker_logs_the_chain_head_at_start_and_then_periodically(engine):
    audit.record(engine, actor="agent-1", action="lecture", record="fiche", purpose="ancre")
    with capture_logs() as logs:
        task = asyncio.create_task(
            housekeeping.run_periodically(engine, interval=timedelta(seconds=0.2))
        )
        try:
            for _ in range(200):
                if sum(e["event"] == "audit_chain_head" for e in logs) >= 2:
                    break
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
    anchors = [e for e in logs if e["event"] == "audit_chain_head"]
    assert len(anchors) >= 2  # at once, then every interval (an hour in the worker)
    seq, hash_ = audit_check.chain_head(engine)
    assert (anchors[-1]["seq"], anchors[-1]["hash"]) == (seq, hash_)
    with Session(engine) as session:
        row = session.exec(select(AuditEvent).where(AuditEvent.seq == seq)).one()
    assert row.hash == hash_  # the logged hash names the row it anchors


def test_the_audit_key_is_refused_at_its_default_outside_development(engine):
    for key in (audit.DEV_AUDIT_KEY, "trop courte"):  # refused by Settings, wherever read
        with pytest.raises(ValidationError, match="SIAO_AUDIT_KEY"):
            Settings(environment="production", audit_key=key)
    with pytest.raises(RuntimeError, match="SIAO_AUDIT_KEY"):  # never the public one instead
        audit.key_from_settings(Settings(environment="production", audit_key=""))
    strong = base64.b64encode(os.urandom(48)).decode()
    assert audit.key_from_settings(Settings(environment="production", audit_key=strong))
    dev = Settings(environment="development", audit_key="")
    assert audit.key_from_settings(dev) == audit.DEV_AUDIT_KEY.encode()
    production = Settings(
        environment="production",
        secret_key=base64.b64encode(os.urandom(48)).decode(),
        encryption_keys="k1:" + base64.b64encode(os.urandom(32)).decode(),
        audit_key="",
    )
    with pytest.raises(RuntimeError, match="SIAO_AUDIT_KEY"):
        create_app(production, engine)


def test_one_transaction_mixing_single_and_batched_appends_chains(engine):
    """A single append takes the head through SQL Core, a batch through the ORM: in any order
    within one transaction they continue each other, and a retry of the whole stays whole."""
    hid, _ = seeded_household(engine)
    before, _ = audit_check.chain_head(engine)
    kw: dict[str, Any] = {
        "actor": "agent-1",
        "action": "lecture",
        "record": "fiche",
        "purpose": "test",
    }

    def work(session: Session) -> None:
        audit.append(session, household_id=hid, **kw)  # alone: at once
        audit.append(session, household_id=hid, flush=False, **kw)  # a page: the ORM's head
        audit.append(session, household_id=hid, flush=False, note="vu", **kw)
        session.flush()
        audit.append(session, household_id=hid, **kw)  # the ORM's head is held: shared
        audit.append(session, household_id=hid, note="encore", **kw)

    audit.transaction(engine, work)
    with Session(engine) as session:
        seqs = session.exec(
            select(AuditEvent.seq).where(col(AuditEvent.seq) > before).order_by(col(AuditEvent.seq))
        ).all()
    assert seqs == list(range(before + 1, before + 6))
    assert audit_check.chain_head(engine)[0] == before + 5
    assert audit_check.verify(engine) is None
