"""The 115 call log (issue 12, item 2) through the real API: the phone system's daily counts
imported from a French CSV — refused whole, line by line, in French — and re-imported without
duplicates; requests recorded by the call handlers, counted apart from calls and from people;
a household link outside the caller's reach is a 404; an erasure unlinks, the count stays."""

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from api import examples
from models.audit import AuditEvent
from models.calls import CallDay, CallRequest, CsvRefused, decode, parse_daily_csv
from tests.conftest import as_account, login, new_id, ok

pytestmark = pytest.mark.devserver

TODAY = date(2026, 3, 10)


def _days(engine, departement: str, first: date, last: date) -> list[CallDay]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(CallDay)
                .where(
                    CallDay.departement == departement, CallDay.day >= first, CallDay.day <= last
                )
                .order_by(col(CallDay.day))
            )
        )


def _csv(text: str) -> dict:
    return {"content": text.encode(), "headers": {"Content-Type": "text/csv"}}


# --- The file, read line by line (no server needed) -------------------------------------------


def test_a_french_export_is_read_header_dates_and_thousands():
    text = "Date;Reçus;Décrochés;\n\n02/03/2026;5 230;1 480;\n2026-03-03;4980;1512\n"
    days = parse_daily_csv(text, TODAY)
    assert [(d.line, d.day, d.received, d.answered) for d in days] == [
        (3, date(2026, 3, 2), 5230, 1480),
        (4, date(2026, 3, 3), 4980, 1512),
    ]
    # UTF-8 with its BOM, or Windows-1252 as a French spreadsheet saves it.
    assert decode("\ufeffdate;reçus\n".encode()) == "date;reçus\n"
    assert decode("date;reçus\n".encode("cp1252")) == "date;reçus\n"


def test_every_bad_line_is_named_with_its_number_and_reason():
    text = (
        "date;reçus;décrochés\n"
        "01/03/2026;100;40\n"  # 2: good
        "31/02/2026;100;40\n"  # 3: no such day
        "02/03/2026;cent;40\n"  # 4: not a number
        "03/03/2026;100;140\n"  # 5: more answered than received
        "04/03/2026;100\n"  # 6: a field missing
        "01/03/2026;90;30\n"  # 7: the day again
        "11/03/2026;10;5\n"  # 8: tomorrow
        "05/03/2026;-3;0\n"  # 9: negative
    )
    with pytest.raises(CsvRefused) as refused:
        parse_daily_csv(text, TODAY)
    messages = {e.line: e.message for e in refused.value.errors}
    assert sorted(messages) == [3, 4, 5, 6, 7, 8, 9]
    assert messages[3] == "ligne 3 : date « 31/02/2026 » invalide (JJ/MM/AAAA attendu)"
    assert messages[4] == "ligne 4 : appels reçus « cent » n'est pas un nombre entier"
    assert messages[5] == "ligne 5 : plus d'appels décrochés (140) que reçus (100)"
    assert messages[6].startswith("ligne 6 : 2 champ(s) au lieu de 3")
    assert messages[7] == "ligne 7 : le 01/03/2026 figure déjà ligne 2"
    assert messages[8] == "ligne 8 : le 11/03/2026 est dans le futur"
    assert "ligne 9" in messages[9] and "nombre entier" in messages[9]
    with pytest.raises(CsvRefused, match="erreur"):
        parse_daily_csv("date;reçus;décrochés\n\n", TODAY)  # no day at all


# --- Through the API ---------------------------------------------------------------------------


async def test_import_is_idempotent_per_departement_and_day(http, engine):
    first, last = date(2021, 5, 1), date(2021, 5, 3)
    body = "date;reçus;décrochés\n01/05/2021;5 230;1 480\n02/05/2021;4 980;1 512\n"
    done = ok(await http.post("/calls/daily?departement=75", **_csv(body)))
    assert done == {
        "departement": "75",
        "days": 2,
        "replaced": 0,
        "first_day": "2021-05-01",
        "last_day": "2021-05-02",
    }
    # Re-imported with a corrected day and a new one, as an uploaded file: one row a day.
    again = "2021-05-02;5 000;1 600\n2021-05-03;4 700;1 400\n"
    files = {"file": ("appels.csv", again.encode("cp1252"), "text/csv")}
    done = ok(await http.post("/calls/daily", params={"departement": "75"}, files=files))
    assert (done["days"], done["replaced"]) == (2, 1)
    stored = [(d.day.day, d.received, d.answered) for d in _days(engine, "75", first, last)]
    assert stored == [(1, 5230, 1480), (2, 5000, 1600), (3, 4700, 1400)]
    # The same day in another département is another row.
    ok(await http.post("/calls/daily?departement=93", **_csv("01/05/2021;80;60\n")))
    assert [d.received for d in _days(engine, "93", first, last)] == [80]

    read = ok(await http.get("/calls/daily", params={"from": "2021-05-01", "to": "2021-05-03"}))
    assert [(r["departement"], r["day"], r["received"]) for r in read] == [
        ("75", "2021-05-01", 5230),
        ("75", "2021-05-02", 5000),
        ("75", "2021-05-03", 4700),
        ("93", "2021-05-01", 80),
    ]
    assert all(r["requests"] == 0 for r in read)
    for period in ({"to": "0"}, {"from": "2021-13-01"}, {"from": "2021-05-03", "to": "2021-05-01"}):
        r = await http.get("/calls/daily", params=period)
        assert r.status_code == 422 and r.json()["erreurs"][0]["champ"] in (
            "query.to",
            "query.from",
        ), r.text


async def test_a_bad_file_is_refused_whole_in_french_and_nothing_is_saved(http, engine, settings):
    day = date(2021, 6, 1)
    body = "date;reçus;décrochés\n01/06/2021;100;40\n02/06/2021;100;140\n03/06/2021;abc;1\n"
    r = await http.post("/calls/daily?departement=75", **_csv(body))
    assert r.status_code == 422, r.text
    answer = r.json()
    assert (
        answer["detail"].startswith("Fichier refusé")
        and "rien n'a été enregistré" in (answer["detail"])
    )
    assert [(e["ligne"], e["message"]) for e in answer["erreurs"]] == [
        (3, "ligne 3 : plus d'appels décrochés (140) que reçus (100)"),
        (4, "ligne 4 : appels reçus « abc » n'est pas un nombre entier"),
    ]
    assert _days(engine, "75", day, date(2021, 6, 3)) == []  # not even the good line

    refused = await http.post("/calls/daily?departement=75", json={"date": "2021-06-01"})
    assert refused.status_code == 415 and "CSV" in refused.json()["detail"]
    empty = await http.post("/calls/daily?departement=75", **_csv(""))
    assert empty.status_code == 422 and "fichier vide" in empty.json()["erreurs"][0]["message"]
    # Another département's counts, or a role that does not import them: refused.
    other = await http.post("/calls/daily?departement=13", **_csv("01/06/2021;1;1\n"))
    assert other.status_code == 403
    async with as_account(http, login(settings, engine, ["ecoutant_115"], ["75"])) as handler:
        denied = await handler.post("/calls/daily?departement=75", **_csv("01/06/2021;1;1\n"))
        assert denied.status_code == 403
    assert _days(engine, "13", day, day) == _days(engine, "75", day, day) == []


async def test_requests_calls_and_people_are_counted_apart(http, worked, engine, settings):
    """One household calls twice, someone unknown once: 3 requests, 1 household, its people —
    beside the day's 120 calls received and 40 answered, never added to them."""
    body = examples.first_contact("93", contact_channel="115")
    body["members"].append(
        {**body["members"][0], "nickname": "La Petite", "relationship": "conjoint"}
    )
    hid = ok(await http.post("/households", json=body), 201)["household_id"]
    at = "2024-02-10T21:{:02d}:00+01:00"
    handler_headers = login(settings, engine, ["ecoutant_115"], ["93"])
    async with as_account(http, handler_headers) as handler:
        for minute, kind, outcome, household in (
            (5, "mise_a_l_abri", "non_pourvue_faute_de_place", hid),
            (40, "information", "pourvue", hid),
            (55, "mise_a_l_abri", "pourvue", None),
        ):
            request: dict[str, Any] = {"departement": "93", "kind": kind, "outcome": outcome}
            request |= {"received_at": at.format(minute), "household_id": household}
            recorded = ok(await handler.post("/calls/requests", json=request), 201)
            assert recorded["day"] == "2024-02-10" and recorded["household_id"] == household
            assert recorded["recorded_at"] > recorded["received_at"]  # the server's time
        # A handler records; reading the log is the coordination's.
        assert (await handler.get("/calls/requests")).status_code == 403
        wrong = {
            "departement": "93",
            "kind": "information",
            "outcome": "non_pourvue_faute_de_place",
        }
        r = await handler.post("/calls/requests", json=wrong)
        assert r.status_code == 422 and "mise à l'abri" in r.json()["erreurs"][0]["message"]
    ok(await http.post("/calls/daily?departement=93", **_csv("10/02/2024;120;40\n")))

    window = {"departement": "93", "from": "2024-02-10", "to": "2024-02-10"}
    [day] = ok(await http.get("/calls/daily", params=window))
    assert day | {"imported_at": None} == {
        "departement": "93",
        "day": "2024-02-10",
        "received": 120,
        "answered": 40,
        "requests": 3,
        "shelter_requests": 2,
        "unmet_for_lack_of_place": 1,
        "households_known": 1,
        "people_known": 2,
        "imported_at": None,
    }
    listed = ok(await http.get("/calls/requests", params=window))
    assert [(r["kind"], r["household_id"]) for r in listed] == [
        ("mise_a_l_abri", None),
        ("information", hid),
        ("mise_a_l_abri", hid),
    ]  # the latest first
    with Session(engine) as s:  # the read named the household in the audit trail
        read = s.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.household_id == hid, AuditEvent.record == "demandes au 115")
        ).one()
    assert read == 2

    # The person's export holds the requests linked to the household; erasure unlinks them and
    # the 115's activity keeps its count.
    export = ok(await http.get(f"/households/{hid}/export"))
    assert len(export["demandes_115"]) == 2
    assert (await http.delete(f"/households/{hid}")).status_code == 204
    [day] = ok(await http.get("/calls/daily", params=window))
    assert (day["requests"], day["households_known"], day["people_known"]) == (3, 0, 0)
    with Session(engine) as s:
        assert s.exec(select(CallRequest).where(CallRequest.household_id == hid)).all() == []


async def test_a_household_link_outside_the_callers_reach_is_404(http, worked, engine, settings):
    hid = ok(await http.post("/households", json=examples.first_contact("93")), 201)["household_id"]
    with Session(engine) as s:
        before = s.exec(select(func.count()).select_from(CallRequest)).one()
    async with as_account(http, login(settings, engine, ["ecoutant_115"], ["75"])) as handler:
        request = {"departement": "75", "kind": "mise_a_l_abri", "outcome": "pourvue"}
        for household in (hid, new_id()):  # another département's household, or none at all
            r = await handler.post("/calls/requests", json=request | {"household_id": household})
            assert r.status_code == 404 and r.json()["detail"] == "Ménage inconnu."
        r = await handler.post("/calls/requests", json=request | {"departement": "93"})
        assert r.status_code == 403
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(CallRequest)).one() == before
