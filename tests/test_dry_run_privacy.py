"""A policy dry-run tells counts, not people: cells under 5 masked, household ids only to a caller
who may read those households (with the rules that fired as that caller may see them), and every
dry-run in the audit trail."""

import uuid
from typing import Any

import httpx
from sqlmodel import Session, col, select

from api.accounts import create_user
from api.main import create_app
from core import clock
from core.security import create_token
from models.audit import AuditEvent
from models.records import Household

DEP = "971"  # a département of its own: its counts are this test's
CANDIDATE = f"""
departement: "{DEP}"
version: "2026.9"
effective_date: 2026-12-01
author: "Équipe politique du SIAO"
description: "Essai : repérer les situations irrégulières"
rules:
  - id: sans-papiers
    title: Situation irrégulière ou déboutée
    when: {{event: in_depth_recorded, administrative_situation: [sans_titre, deboute]}}
    then:
      - flag: {{kind: dls_renewal}}
cases:
  - name: situation irrégulière
    facts: {{event: in_depth_recorded, administrative_situation: sans_titre}}
    expect:
      - flag: {{kind: dls_renewal}}
"""


def _households(engine: Any) -> list[str]:
    ids = []
    with Session(engine) as session:
        for situation in ["sans_titre"] * 3 + ["francaise"] * 6:
            hid = str(uuid.uuid4())
            household = {
                "id": hid,
                "departement": DEP,
                "encountered_at": clock.now(),
                "workflow_id": f"parcours-{hid}",
                "stage": "in_depth_evaluated",
                "facts": {"event": "in_depth_recorded", "administrative_situation": situation},
            }
            session.add(Household.model_validate(household))
            ids.append(hid)
        session.commit()
    return ids[:3]


async def _dry_run(app: Any, settings: Any, engine: Any, roles: list[str]) -> tuple[dict, int]:
    user = create_user(engine, f"agent-{uuid.uuid4().hex[:10]}", None, roles, [DEP])
    assert user.id is not None
    token = create_token(settings, user.id, user.username)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://t",
        headers={"Authorization": f"Bearer {token}"},
    ) as http:
        r = await http.post(f"/policies/{DEP}/dry-run", json={"yaml": CANDIDATE})
    assert r.status_code == 200, r.text
    return r.json(), user.id


def _audit(engine: Any, user_id: int) -> list[AuditEvent]:
    with Session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.actor == f"agent-{user_id}")
        return list(session.exec(query.order_by(col(AuditEvent.seq))))


async def test_dry_run_gives_masked_counts_and_people_only_to_their_readers(settings, engine):
    irregular = _households(engine)
    app = create_app(settings, engine)

    # A policy editor reads no household: counts only, the three people hidden under « < 5 ».
    report, editor = await _dry_run(app, settings, engine, ["redacteur"])
    (count,) = [c for c in report["counts"] if c["rule_id"] == "sans-papiers"]
    assert (count["before"], count["after"]) == (0, "< 5")
    assert report["changed"] == "< 5" and report["pathways"] == 9
    assert report["examples"] == []
    assert not any(hid in str(report) for hid in irregular)
    (row,) = _audit(engine, editor)  # audited, though it named nobody
    assert (row.action, row.record, row.household_id) == (
        "simulation",
        "simulation de politique",
        None,
    )

    # A coordinator who also edits policies reads those households, and the rules that fired.
    report, coordinator = await _dry_run(app, settings, engine, ["redacteur", "coordinateur"])
    assert {e["household_id"] for e in report["examples"]} == set(irregular)
    assert all(e["rules_after"] == ["sans-papiers"] for e in report["examples"])
    read = {r.household_id for r in _audit(engine, coordinator)}
    assert read == {None, *irregular}  # each household shown is in its access report

    # A 115 call handler who edits policies reads the households, not what the rules say of them.
    report, _ = await _dry_run(app, settings, engine, ["redacteur", "ecoutant_115"])
    assert {e["household_id"] for e in report["examples"]} == set(irregular)
    assert all(e["rules_after"] == [] and e["actions_after"] == [] for e in report["examples"])
