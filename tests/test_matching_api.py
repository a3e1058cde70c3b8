"""Housing first and matching through the real API on a real dev server (issue 11, « Done
when »): the no-income household gets housing with accompaniment towards rights proposed and
confirmed; a vacancy's candidates come ranked with their reasons, the proposal keeps the list
it came from, a refused household keeps its seniority, and a non-candidate's absence is
explained. Lozère (48) keeps these households apart from other tests' (national ranking)."""

import uuid
from typing import Any

import httpx
from sqlmodel import Session, col, select

from api import examples
from models.evaluations import CommissionDecision
from models.matching import CandidateSnapshot
from models.records import Alert, Household
from tests.conftest import as_account, login, ok
from tests.pathway_helpers import eventually

DEP = "48"
KIND = "residence_accueil"


async def _household(c: httpx.AsyncClient, vulnerability: str, decide: str | None = KIND) -> str:
    hid = ok(await c.post("/households", json=examples.first_contact(DEP)), 201)["household_id"]
    flash = {**examples.flash(), "vulnerability": vulnerability}
    ok(await c.post(f"/households/{hid}/flash-evaluation", json=flash))
    in_depth = {**examples.in_depth(), "wants_housing": True}
    ok(await c.post(f"/households/{hid}/in-depth-evaluation", json=in_depth))
    if decide is not None:
        body = examples.commission("logement" if decide == KIND else "hebergement", decide)
        ok(await c.post(f"/households/{hid}/commission-decision", json=body))
    return hid


async def _vacancy(c: httpx.AsyncClient, name: str, requirements: list[Any]) -> str:
    body = {"name": name, "departement": DEP, "kind": KIND, "commune": "48095"}
    sid = ok(await c.post("/structures", json={**body, "requirements": requirements}), 201)["id"]
    place = {"label": "Studio 1", "status": "vacant"}
    pid = ok(await c.post(f"/structures/{sid}/places", json=place), 201)["id"]

    async def opened() -> str:
        found = ok(await c.get("/vacancies", params={"place_id": pid}))
        assert len(found) == 1, found  # the workflow writes its row first
        return str(found[0]["id"])

    return await eventually(opened)


async def test_no_income_gets_housing_with_accompaniment_proposed_then_confirmed(
    http, worked, engine
):
    hid = ok(await http.post("/households", json=examples.first_contact()), 201)["household_id"]
    ok(await http.post(f"/households/{hid}/flash-evaluation", json=examples.flash()))
    in_depth = {
        **examples.in_depth(),
        "resources": ["aucune"],
        "wants_housing": True,
        "syplo": "non_inscrit",
    }
    state = ok(await http.post(f"/households/{hid}/in-depth-evaluation", json=in_depth))
    assert state["proposed_place"] == "logement_ordinaire" and state["proposal_reason"] is None
    assert "acces_droits" in state["proposed_accompaniments"]
    with Session(engine) as s:
        (alert,) = s.exec(
            select(Alert).where(
                Alert.household_id == hid, Alert.rule_id == "sans-ressources-accompagnement"
            )
        ).all()
        assert alert.recipient == "lead_referent"

    # Another answer than housing must say why, from a list where income has no place.
    shelter = examples.commission("hebergement", "chrs")
    del shelter["not_housing_reason"]
    refused = await http.post(f"/households/{hid}/commission-decision", json=shelter)
    assert refused.status_code == 422 and "logement d'abord" in refused.text
    ressources = {**shelter, "not_housing_reason": "ressources"}
    refused = await http.post(f"/households/{hid}/commission-decision", json=ressources)
    assert refused.status_code == 422

    confirmed = {
        **examples.commission("logement", "logement_ordinaire"),
        "measures": ["acces_droits"],
    }
    ok(await http.post(f"/households/{hid}/commission-decision", json=confirmed))
    with Session(engine) as s:
        (decision,) = s.exec(
            select(CommissionDecision).where(CommissionDecision.household_id == hid)
        ).all()
        assert decision.follows_proposal is True
        assert decision.proposed_place == "logement_ordinaire"
        assert s.get(Household, hid).recommended_place == "logement_ordinaire"  # type: ignore[union-attr]
    detail = ok(await http.get(f"/households/{hid}"))
    assert detail["proposed_place"] == "logement_ordinaire"

    # Where people work: the flag filters the list, whose items carry the name and the flags.
    page = ok(await http.get("/households", params={"flag": "syplo_labelling", "limit": 200}))
    (item,) = [i for i in page["items"] if i["id"] == hid]
    assert item["name"] == "Le Grand Jo" and "syplo_labelling" in item["flags"]
    assert all("syplo_labelling" in i["flags"] for i in page["items"])
    page = ok(await http.get("/households", params={"flag": "dls_renewal", "limit": 200}))
    assert hid not in [i["id"] for i in page["items"]]
    wrong = await http.get("/households", params={"flag": "inconnu"})
    assert wrong.status_code == 422


async def test_candidates_ranked_explained_snapshotted_and_absences_explained(
    http, worked, settings, engine
):
    name = f"Résidence accueil {uuid.uuid4().hex[:6]}"
    c48 = as_account(http, login(settings, engine, ["coordinateur"], [DEP]))
    manager = as_account(http, login(settings, engine, ["gestionnaire"], [DEP], [name]))
    async with c48, manager:
        low = await _household(c48, "faible")
        first = await _household(c48, "critique")
        second = await _household(c48, "critique")  # same vulnerability, a later request
        unevaluated = ok(await c48.post("/households", json=examples.first_contact(DEP)), 201)
        elsewhere = await _household(c48, "critique", decide="chrs")
        # Men only, say: a requirement on the applicant's sex.
        men = [{"fact": "applicant_sex", "rule": "must", "codes": ["homme"]}]
        vid = await _vacancy(c48, name, men)
        woman_body = examples.first_contact(DEP)
        woman_body["members"][0]["sex"] = "femme"
        woman = ok(await c48.post("/households", json=woman_body), 201)["household_id"]
        for path, body in (
            ("flash-evaluation", examples.flash()),
            ("in-depth-evaluation", examples.in_depth()),
            ("commission-decision", examples.commission("logement", KIND)),
        ):
            ok(await c48.post(f"/households/{woman}/{path}", json=body))

        ranked = ok(await c48.get(f"/vacancies/{vid}/candidates"))
        assert ranked["criteria"] == ["vulnerabilite", "sejour_long", "anciennete"]
        assert [c["household_id"] for c in ranked["candidates"]] == [first, second, low]
        assert ranked["total"] == 3 and ranked["policy_version"]
        top = ranked["candidates"][0]
        assert top["rank"] == 1 and top["values"][0]["value"] == "critique"
        assert (
            ok(await c48.get(f"/vacancies/{vid}/candidates"))["candidates"] == ranked["candidates"]
        )  # stable

        async def why(hid: str) -> dict[str, Any]:
            return dict(ok(await c48.get(f"/vacancies/{vid}/candidates/{hid}")))

        assert (await why(second))["rank"] == 2
        absent = await why(unevaluated["household_id"])
        assert not absent["candidate"] and "étape" in " ".join(absent["reasons"])
        absent = await why(elsewhere)
        assert not absent["candidate"] and "préconisé" in " ".join(absent["reasons"])
        absent = await why(woman)
        assert not absent["candidate"] and "applicant_sex" in " ".join(absent["reasons"])

        ok(await c48.post(f"/vacancies/{vid}/proposals", json={"household_id": first}))
        with Session(engine) as s:
            (snap,) = s.exec(
                select(CandidateSnapshot).where(CandidateSnapshot.vacancy_id == vid)
            ).all()
            assert snap.proposed_rank == 1 and snap.total == 3
            assert [c["household_id"] for c in snap.candidates] == [first, second, low]
            before = s.get(Household, first).seniority_since  # type: ignore[union-attr]

        refusal = {"answer": "refusee", "refusal_reason": "public_non_correspondant"}
        url = f"/vacancies/{vid}/proposals/{first}/structure-answer"
        ok(await manager.post(url, json=refusal))
        with Session(engine) as s:  # the national policy: a structure's refusal keeps it
            assert s.get(Household, first).seniority_since == before  # type: ignore[union-attr]
        absent = await why(first)
        assert not absent["candidate"] and "déjà proposé" in " ".join(absent["reasons"])
        ranked = ok(await c48.get(f"/vacancies/{vid}/candidates"))
        assert [c["household_id"] for c in ranked["candidates"]] == [second, low]

        # The list and the single answers agree, for every household made here.
        with Session(engine) as s:
            ours = s.exec(
                select(Household.id).where(Household.departement == DEP).order_by(col(Household.id))
            ).all()
        listed = {c["household_id"] for c in ranked["candidates"]}
        for hid in ours:
            assert (await why(hid))["candidate"] is (hid in listed), hid
