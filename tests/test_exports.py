"""Anonymised exports (R-OBS-1, issue 12 item 7): on data built to single someone out, the file
an observatory receives lets nobody be singled out — checked with pycanon and, independently,
by grouping the file's rows here — holds no direct identifier, date or exact age, and is
delivered only within the caller's départements; per-territory tables mask small cells.

Households are written straight into SQL (no pathway runs: the export reads SQL only), in
départements and months no other test uses, and the real app is called with no Temporal."""

import csv
import io
import re
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pandas as pd
import pycanon.anonymity as canon
import pytest
from sqlmodel import Session, col, select

from api import export_dataset, exports, territories
from api.main import create_app
from models.audit import AuditEvent, AuditNote
from models.departements import DEPARTEMENTS
from models.evaluations import FlashEvaluation, InDepthEvaluation
from models.export_columns import (
    AGE_BANDS,
    ANY,
    COLUMNS,
    FIXED_LEVELS,
    QUASI_IDENTIFIERS,
    REGION_OF,
    SENSITIVE,
)
from models.exports import AnonymisedExportRequest
from models.records import Household, Person
from tests.conftest import login, ok

SECRET = "Zorglub"  # in every name, nickname and free text seeded here
YEAR = 2021  # the months of these households: no other test writes them
PERIOD = {"period_start": f"{YEAR}-01", "period_end": f"{YEAR}-12"}


@dataclass
class Profile:
    age: int | None
    sex: str
    admin: str
    vulnerability: str = "moyenne"
    expertise: list[str] = field(default_factory=list)
    typology: str = "personne_isolee"
    members: int = 1
    residential: str = "rue"
    stage: str = "in_depth_evaluated"


def seed(engine: Any, dep: str, profiles: list[Profile], month: int = 3) -> list[str]:
    """Households as the records hold them: names, nicknames, free texts, exact dates."""
    ids = []
    with Session(engine) as s:
        for i, p in enumerate(profiles):
            hid = str(uuid.uuid4())
            met = datetime(YEAR, month, 1 + i % 27, 14, 37, tzinfo=UTC)
            household = {
                "id": hid,
                "departement": dep,
                "typology": p.typology,
                "residential_situation": p.residential,
                "encountered_at": met,
                "referent_structure": f"{SECRET} accueil",
                "referent_worker": f"{SECRET} référente",
                "workflow_id": f"parcours-{hid}",
                "stage": p.stage,
                "vulnerability": p.vulnerability,
            }
            s.add(Household.model_validate(household))
            s.flush()
            for m in range(p.members):
                person = {
                    "household_id": hid,
                    "relationship": "lui_meme" if m == 0 else "enfant",
                    "nominative_consent": True,
                    "first_name": f"{SECRET}-prenom-{i}-{m}",
                    "last_name": f"{SECRET}-nom-{i}",
                    "nickname": f"{SECRET}-surnom-{i}",
                    "birth_year": YEAR - p.age if p.age is not None and m == 0 else YEAR - 4,
                    "sex": p.sex if m == 0 else "homme",
                }
                s.add(Person.model_validate(person))
            flash = {
                "household_id": hid,
                "submission_id": uuid.uuid4().hex,
                "evaluated_at": met,
                "evaluator_structure": f"{SECRET} maraude",
                "vulnerability": p.vulnerability,
                "shelter_requested": True,
                "wishes": f"{SECRET} souhaite un logement",
                "expertise_needed": p.expertise,
            }
            s.add(FlashEvaluation.model_validate(flash))
            in_depth = {
                "household_id": hid,
                "submission_id": uuid.uuid4().hex,
                "evaluated_at": met,
                "evaluator_structure": f"{SECRET} CHRS",
                "social_situation": f"{SECRET} situation",
                "administrative_situation": p.admin,
            }
            s.add(InDepthEvaluation.model_validate(in_depth))
            ids.append(hid)
        s.commit()
    return ids


ADMINS = ["francaise", "ue", "titre_sejour", "demandeur_asile"]
VULNERABILITIES = ["faible", "moyenne", "elevee"]
HEALTH = [[], ["addiction"], ["sante_mentale"], ["medicale", "addiction"]]


def young_men(count: int) -> list[Profile]:
    return [
        Profile(
            age=19 + i % 15,
            sex="homme",
            admin=ADMINS[i % 4],
            vulnerability=VULNERABILITIES[i % 3],
            expertise=HEALTH[i % 4],
        )
        for i in range(count)
    ]


@pytest.fixture
async def api(settings, engine) -> AsyncIterator[Any]:
    """The real app; no Temporal behind it (the routes under test read SQL only)."""

    async def no_temporal() -> Any:
        raise AssertionError("ces routes n'appellent pas Temporal")

    app = create_app(settings, engine, no_temporal)
    transport = httpx.ASGITransport(app=app)

    def client(roles: list[str], departements: list[str]) -> httpx.AsyncClient:
        headers = login(settings, engine, roles, departements)
        return httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers)

    yield client


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def singled_out(rows: list[dict[str, str]], k: int, ell: int) -> list[str]:
    """Independent of pycanon and pandas: group the rows by their quasi-identifiers; every group
    must hold k rows and ℓ distinct values of each sensitive attribute."""
    groups: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[q] for q in QUASI_IDENTIFIERS)].append(row)
    found = []
    for key, members in groups.items():
        if len(members) < k:
            found.append(f"{key}: {len(members)} ligne(s) < k={k}")
        for attribute in SENSITIVE:
            values = {m[attribute] for m in members}
            if len(values) < ell:
                found.append(f"{key}: « {attribute} » {sorted(values)} < ℓ={ell}")
    return found


AGE_LABELS = {label for _, _, label in AGE_BANDS} | {"non_renseigne"}
AGE_LABELS |= {v for level in FIXED_LEVELS["tranche_age"] for v in level.values()}


def assert_anonymous(response: httpx.Response, ids: list[str], k: int = 5, ell: int = 2) -> list:
    assert response.status_code == 200, response.text
    text = response.text
    rows = rows_of(text)
    assert list(rows[0]) == list(COLUMNS)
    assert singled_out(rows, k, ell) == []
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert canon.k_anonymity(frame, list(QUASI_IDENTIFIERS)) >= k
    assert canon.l_diversity(frame, list(QUASI_IDENTIFIERS), list(SENSITIVE)) >= ell
    assert int(response.headers["X-Export-K"]) >= k and int(response.headers["X-Export-L"]) >= ell
    # No direct identifier, free text, date, year or exact age.
    assert SECRET not in text and not any(hid in text for hid in ids)
    assert not re.search(r"\d{4}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\b(19|20)\d{2}\b", text)
    assert {row["tranche_age"] for row in rows} <= AGE_LABELS | {ANY}
    head = response.headers
    assert int(head["X-Export-Lignes"]) == len(rows)
    suppressed = len(ids) - len(rows)  # told only from 5 on, as every small count
    shown = str(suppressed) if suppressed == 0 or suppressed >= 5 else "< 5"
    assert head["X-Export-Supprimes"] == shown
    return rows


async def test_a_90_year_old_woman_among_40_young_men_cannot_be_singled_out(api, engine):
    dep = "15"
    woman = Profile(age=90, sex="femme", admin="deboute", vulnerability="critique")
    woman.expertise = ["medicale"]
    ids = seed(engine, dep, [*young_men(40), woman])
    raw = raw_dataset(engine, dep)
    assert canon.k_anonymity(raw, list(QUASI_IDENTIFIERS)) == 1  # she stands alone
    async with api(["observateur"], [dep]) as observer:
        r = await observer.post("/exports/anonymised", json={"departements": [dep], **PERIOD})
    rows = assert_anonymous(r, ids)
    assert not [row for row in rows if row["tranche_age"] == "65+" or row["sexe"] == "femme"]
    for row in rows:  # her rare situation, if it left at all, hides among ℓ others
        if row["situation_administrative"] == "deboute":
            same = [o for o in rows if all(o[q] == row[q] for q in QUASI_IDENTIFIERS)]
            assert len(same) >= 5 and len({o["situation_administrative"] for o in same}) >= 2
    assert "territoire=0" in r.headers["X-Export-Generalisation"]  # the département is kept
    assert {row["territoire"] for row in rows} == {dep}


@pytest.mark.parametrize("max_suppression", [10, 20])
async def test_a_k_anonymous_group_sharing_one_administrative_situation_is_broken(
    api, engine, max_suppression
):
    dep = "46" if max_suppression == 10 else "52"
    mothers = [
        Profile(
            age=27 + i,
            sex="femme",
            admin="sans_titre",  # all six: k-anonymous, and yet everyone knows their status
            typology="famille_monoparentale",
            members=3,
            residential="hotel_115",
            vulnerability=VULNERABILITIES[i % 3],
            expertise=HEALTH[i % 4],
        )
        for i in range(6)
    ]
    ids = seed(engine, dep, [*young_men(30), *mothers])
    raw = raw_dataset(engine, dep)
    group = raw[raw["sexe"] == "femme"].reset_index(drop=True)  # pycanon reads positions
    assert len(group) == 6 and group[list(QUASI_IDENTIFIERS)].nunique().max() == 1
    assert canon.l_diversity(group, list(QUASI_IDENTIFIERS), ["situation_administrative"]) == 1
    body = {"departements": [dep], "max_suppression": max_suppression, **PERIOD}
    async with api(["coordinateur"], [dep]) as coordinator:
        r = await coordinator.post("/exports/anonymised", json=body)
    rows = assert_anonymous(r, ids)
    statuses = [row for row in rows if row["situation_administrative"] == "sans_titre"]
    if max_suppression == 20:  # six of 36 may go: the group is suppressed, the rest kept fine
        assert statuses == [] and r.headers["X-Export-Supprimes"] == "6"
        assert {row["sexe"] for row in rows} == {"homme"}
    else:  # at most 3 of 36 may go: generalised until the mothers hide among the men
        assert len(statuses) == 6 and r.headers["X-Export-Supprimes"] == "0"


def raw_dataset(engine: Any, dep: str) -> Any:
    request = AnonymisedExportRequest.model_validate({"departements": [dep], **PERIOD})
    start, end = export_dataset.bounds(request)
    with Session(engine) as session:
        return export_dataset.dataset(session, [dep], start, end)


async def test_the_parquet_file_reads_back_and_each_export_is_audited(api, engine):
    dep = "58"
    ids = seed(engine, dep, young_men(24))
    body = {"departements": [dep], "format": "parquet", "k": 6, "l": 3, **PERIOD}
    async with api(["observateur"], [dep]) as observer:
        r = await observer.post("/exports/anonymised", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.apache.parquet"
    assert r.headers["content-disposition"].endswith(f'{dep}-{YEAR}-01-{YEAR}-12.parquet"')
    frame = pd.read_parquet(io.BytesIO(r.content))
    assert list(frame.columns) == list(COLUMNS) and len(frame) == int(r.headers["X-Export-Lignes"])
    assert canon.k_anonymity(frame, list(QUASI_IDENTIFIERS)) >= 6
    assert canon.l_diversity(frame, list(QUASI_IDENTIFIERS), list(SENSITIVE)) >= 3
    assert singled_out(frame.to_dict("records"), 6, 3) == []
    assert SECRET.encode() not in r.content and not any(h.encode() in r.content for h in ids)
    with Session(engine) as s:
        event, note = s.exec(
            select(AuditEvent, AuditNote)
            .join(AuditNote, col(AuditNote.seq) == col(AuditEvent.seq))
            .where(AuditEvent.departement == dep, AuditEvent.record == "export anonymisé")
        ).one()
    assert event.action == "export" and event.household_id is None
    assert event.fields == sorted(COLUMNS)
    assert f"k=6 (mesuré {r.headers['X-Export-K']})" in note.note
    assert f"ℓ=3 (mesuré {r.headers['X-Export-L']})" in note.note
    assert f"{len(frame)} ligne(s)" in note.note and "parquet" in note.note


async def test_k_below_5_or_l_below_2_is_refused_in_french(api):
    async with api(["observateur"], ["90"]) as observer:
        for field_, value, bound in (("k", 4, 5), ("l", 1, 2)):
            r = await observer.post("/exports/anonymised", json={field_: value})
            assert r.status_code == 422, r.text
            assert r.json()["detail"].startswith("Saisie invalide")
            assert {"champ": field_, "message": f"doit être supérieur ou égal à {bound}"} in (
                r.json()["erreurs"]
            )
        later = await observer.post("/exports/anonymised", json={"period_end": "2099-01"})
        assert later.status_code == 422 and "mois à venir" in later.text
        reversed_ = {"period_start": "2021-06", "period_end": "2021-01"}
        r = await observer.post("/exports/anonymised", json=reversed_)
        assert r.status_code == 422 and "précéder" in r.text


async def test_too_few_households_or_one_shared_situation_is_refused_not_delivered(api, engine):
    seed(engine, "09", young_men(3))
    seed(engine, "32", [Profile(age=30 + i, sex="homme", admin="francaise") for i in range(12)])
    async with api(["coordinateur"], ["09", "32"]) as coordinator:
        for dep in ("09", "32"):
            body = {"departements": [dep], **PERIOD}
            r = await coordinator.post("/exports/anonymised", json=body)
            assert r.status_code == 409, r.text
            detail = r.json()["detail"]
            assert detail.startswith("Export impossible : avec k = 5 et ℓ = 2, ce périmètre ne")
            # One message for both: neither the small count nor the shared situation is told.
            assert "3" not in detail and "francaise" not in detail and "situation" not in detail
    with Session(engine) as s:  # a refused export wrote nothing
        rows = s.exec(select(AuditEvent).where(col(AuditEvent.departement).in_(["09", "32"])))
        assert not [e for e in rows if e.record == "export anonymisé"]


async def test_who_may_export_and_where(api, engine):
    dep = "90"
    body = {"departements": [dep], **PERIOD}
    async with (
        api(["observateur"], [dep]) as observer,
        api(["referent"], [dep]) as caseworker,
        api(["observateur"], ["93"]) as elsewhere,
    ):
        empty = await observer.post("/exports/anonymised", json=body)  # nobody met that year
        assert empty.status_code == 200 and empty.text == ",".join(COLUMNS) + "\n"
        refused = await caseworker.post("/exports/anonymised", json=body)
        assert refused.status_code == 403 and "Accès refusé" in refused.json()["detail"]
        across = await elsewhere.post("/exports/anonymised", json=body)
        assert across.status_code == 403 and f"{dep} hors de votre périmètre" in across.text
        # Without départements: the caller's own, never another's.
        mine = await elsewhere.post("/exports/anonymised", json={})
        assert mine.status_code in (200, 409), mine.text


async def test_per_territory_counts_mask_small_cells(api, engine):
    profiles = [
        *(Profile(age=30, sex="homme", admin="ue", stage="reported") for _ in range(12)),
        *(Profile(age=30, sex="homme", admin="ue", stage="flash_evaluated") for _ in range(3)),
        *(Profile(age=30, sex="homme", admin="ue", stage="admitted") for _ in range(7)),
    ]
    seed(engine, "2B", profiles)
    # Départements no other test fills (test_exactly_once reports a household in 976).
    seed(engine, "973", [Profile(age=40, sex="femme", admin="ue", stage="housed")] * 3)
    async with (
        api(["observateur"], ["2B", "973"]) as observer,
        api(["referent"], ["2B"]) as caseworker,
    ):
        table = ok(await observer.get("/statistics/territories"))
        assert (await caseworker.get("/statistics/territories")).status_code == 403
    assert [row["departement"] for row in table["rows"]] == ["2B", "973"]
    corse, guyane = table["rows"]
    assert corse["by_stage"]["reported"] == 12 and corse["by_stage"]["flash_evaluated"] == "< 5"
    # 22 - 12 - 0… would give the 3 back: the smallest other cell is masked too.
    assert corse["by_stage"]["admitted"] == "< 5" and corse["total"] == 22
    assert corse["by_stage"]["closed"] == 0
    assert guyane["by_stage"]["housed"] == "< 5" and guyane["total"] == "< 5"
    assert table["stages"][0] == "reported" and "< 5" in table["masking"]


def test_secondary_suppression_leaves_no_masked_cell_recoverable():
    cells, total = territories.masked_row({"a": 3, "b": 6, "c": 9, "d": 0})
    assert cells == {"a": "< 5", "b": "< 5", "c": 9, "d": 0} and total == 18
    cells, total = territories.masked_row({"a": 3, "b": 2, "c": 9})
    assert cells == {"a": "< 5", "b": "< 5", "c": 9} and total == 14
    assert territories.masked_row({"a": 4}) == ({"a": "< 5"}, "< 5")


def test_every_departement_has_its_region_and_hierarchies_are_unambiguous():
    assert set(REGION_OF) == set(DEPARTEMENTS)
    for qi, levels in exports.hierarchies(list(DEPARTEMENTS)).items():
        seen: set[str] = set()
        for level, values in levels.items():  # anjana reads a column's level from its values
            assert not (set(values) & seen), (qi, level)
            seen |= set(values)
        assert set(levels[max(levels)]) == {ANY}, qi
