"""`GET /alerts` (issue 11, item 6): the alerts meant for the caller — a lead referent's
structure, a coordinator's départements — open or closed, by kind, never another's."""

import uuid
from datetime import timedelta

from sqlmodel import Session

from api import examples
from core import clock
from models.records import Alert, AlertKind
from models.vocab import Recipient
from tests.conftest import as_account, login, ok


async def test_alerts_reach_the_lead_referent_and_the_coordinator(http, worked, settings, engine):
    structure = f"Accueil de jour {uuid.uuid4().hex[:6]}"
    body = examples.first_contact(referent_structure=structure)
    hid = ok(await http.post("/households", json=body), 201)["household_id"]
    now = clock.now()
    with Session(engine) as s:
        for kind, to, resolved in (
            (AlertKind.FLASH, Recipient.LEAD_REFERENT, None),
            (AlertKind.FLASH, Recipient.SIAO_COORDINATOR, None),
            (AlertKind.REVIEW, Recipient.LEAD_REFERENT, now),
        ):
            s.add(
                Alert(household_id=hid, kind=kind, recipient=to, recipient_structure=structure,
                      due_at=now - timedelta(days=1), resolved_at=resolved, policy_version="t")
            )  # fmt: skip
        s.commit()
    mine = as_account(http, login(settings, engine, ["referent"], ["75"], [structure]))
    other = as_account(http, login(settings, engine, ["referent"], ["75"], ["Autre structure"]))
    async with mine, other:
        opened = [a for a in ok(await mine.get("/alerts")) if a["household_id"] == hid]
        assert [(a["kind"], a["recipient"]) for a in opened] == [("flash", "lead_referent")]
        closed = [
            a
            for a in ok(await mine.get("/alerts", params={"open": "false"}))
            if a["household_id"] == hid
        ]
        assert [a["kind"] for a in closed] == ["review"] and closed[0]["resolved_at"]
        assert [a for a in ok(await other.get("/alerts")) if a["household_id"] == hid] == []
    coordinated = [
        a
        for a in ok(await http.get("/alerts", params={"kind": "flash"}))
        if a["household_id"] == hid
    ]
    assert sorted(a["recipient"] for a in coordinated) == ["lead_referent", "siao_coordinator"]
    assert (await http.get("/alerts", params={"kind": "inconnu"})).status_code == 422
