"""Accompaniment measures (issue 10, item 5; R-RES-1, R-HOUS-2): the pure table and planning
(the re-evaluation follows the intensity), then over HTTP with a real worker — mobilise, a full
service, the deadline read back from the pathway, transfer, end, no rupture on admission, and
what each role sees."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import Session, col, select

from api.redaction import HIDDEN
from core import clock
from models.decisions import DeadlineDurations
from models.measures import Measure
from models.pathway import Action, ActionInput, Deadline, DeadlineKind, PathwayState, Stage
from models.records import Submission, TimelineEvent
from models.transitions import EVALUATED, GuardFacts, Refusal, next_stage, refused
from models.vocab import AccompanimentIntensity
from rules import planning
from tests import factories, hunt
from tests.conftest import as_account, login, ok
from workflows import presentation

A, D, S = Action.ACCOMPANIMENT_CHANGE, DeadlineKind, Stage
T0 = datetime(2025, 1, 10, tzinfo=UTC)


def _deadline(kind: DeadlineKind, missed: bool = False) -> Deadline:
    return Deadline(kind=kind, due_at=T0, duration="P3M", policy_version="1", missed=missed)


def test_a_change_of_accompaniment_keeps_the_stage_once_evaluated() -> None:
    for stage in EVALUATED:
        assert refused(stage, A, GuardFacts()) is None and next_stage(stage, A) is stage
    for stage in (S.REPORTED, S.FLASH_EVALUATED):
        assert refused(stage, A, GuardFacts()) is Refusal.OUT_OF_STAGE
    assert refused(S.CLOSED, A, GuardFacts()) is Refusal.PATHWAY_CLOSED


def test_the_reevaluation_is_rearmed_only_when_the_intensity_changes() -> None:
    pending = [_deadline(D.REEVALUATION), _deadline(D.REVIEW)]
    kept, armed = planning.deadline_plan(pending, A, S.ADMITTED, S.ADMITTED, True)
    assert [d.kind for d in kept] == [D.REVIEW] and armed == {D.REEVALUATION}
    kept, armed = planning.deadline_plan(pending, A, S.ADMITTED, S.ADMITTED, False)
    assert kept == pending and armed == set()
    # A missed re-evaluation stays missed: only the re-evaluation itself clears it.
    late = [_deadline(D.REEVALUATION, missed=True)]
    assert planning.deadline_plan(late, A, S.ADMITTED, S.ADMITTED, True) == (late, set())
    # Housed, nothing waits on the intensity.
    housed = [_deadline(D.FOLLOW_UP_END)]
    assert planning.deadline_plan(housed, A, S.HOUSED, S.HOUSED, True) == (housed, set())
    # The in-depth evaluation still clears and re-arms it, whatever the intensity.
    ev = Action.IN_DEPTH_EVALUATION
    kept, armed = planning.deadline_plan(late, ev, S.ADMITTED, S.ADMITTED, False)
    # ...and the DLS watch too (armed only when a filing date is recorded: planning.arm).
    assert kept == [] and armed == {D.REEVALUATION, D.DLS_RENEWAL}


def test_the_new_period_is_the_new_intensitys() -> None:
    durations = DeadlineDurations(
        policy_id="national",
        policy_version="1",
        flash="PT72H",
        in_depth="P2M",
        orientation_response="P15D",
        reevaluation={"leger": "P6M", "moyen": "P3M", "intensif": "P1M"},
        review="P3M",
        follow_up_window="P2Y",
    )
    for level, due in [("intensif", datetime(2025, 2, 10)), ("leger", datetime(2025, 7, 10))]:
        intensity = next(i for i in AccompanimentIntensity if i == level)
        [armed] = planning.arm({D.REEVALUATION}, durations, intensity, T0, {})
        assert (armed.kind, armed.due_at) == (D.REEVALUATION, due.replace(tzinfo=UTC)), level


def test_the_pathway_keeps_the_measures_and_shows_them_in_french() -> None:
    state = PathwayState(household_id="h", departement="75", stage=S.ADMITTED)
    inp = ActionInput(
        action=A,
        occurred_at=T0,
        actor="a",
        measures=["avdl", "empp"],
        accompaniment_intensity=AccompanimentIntensity.INTENSIF,
    )
    after = planning.after_action(state, inp, S.ADMITTED, S.ADMITTED)
    assert after.measures == ["avdl", "empp"] and state.measures == []
    details = presentation.current_details(after)
    assert (
        "**Mesures d'accompagnement** : AVDL (accompagnement vers et dans le logement), " in details
    )
    assert "EMPP (équipe mobile psychiatrie-précarité) (intensité intensif)" in details
    review = ActionInput(action=Action.REVIEW, occurred_at=T0, actor="a")
    assert planning.after_action(after, review, S.ADMITTED, S.ADMITTED).measures == after.measures


# -- over HTTP, with a worker ---------------------------------------------------------------


STEPS = [
    ("flash-evaluation", factories.flash),
    ("in-depth-evaluation", factories.in_depth),
    ("commission-decision", lambda: factories.commission("hebergement", "chrs")),
    ("orientation", factories.orientation),
    ("orientation/response", factories.accepted),
    ("admission", factories.placement),
]


async def _household(http: httpx.AsyncClient, steps: int = len(STEPS)) -> str:
    hid = ok(await http.post("/households", json=factories.first_contact("75")), 201)
    for path, body in STEPS[:steps]:
        ok(await http.post(f"/households/{hid['household_id']}/{path}", json=body()))
    return str(hid["household_id"])


async def _service(http: httpx.AsyncClient, kind: str = "avdl", **kw: Any) -> int:
    body = {"departement": "75", "kind": kind, "operator": f"Opérateur {kind}", "capacity": 5}
    return int(ok(await http.post("/measure-services", json={**body, **kw}), 201)["id"])


async def _mobilise(http: httpx.AsyncClient, hid: str, sid: int, **kw: Any) -> dict[str, Any]:
    return ok(await http.post(f"/households/{hid}/measures", json={"service_id": sid, **kw}), 201)


def _reevaluation(pathway: dict[str, Any]) -> datetime:
    [due] = [d["due_at"] for d in pathway["deadlines"] if d["kind"] == "reevaluation"]
    return datetime.fromisoformat(due)


async def test_intensity_moves_the_reevaluation_and_a_full_service_refuses(http, worked) -> None:
    hid = await _household(http)
    before = _reevaluation(ok(await http.get(f"/households/{hid}/pathway")))
    sid = await _service(http, capacity=1)
    started = (clock.now() - timedelta(hours=3)).isoformat()
    mobilised = await _mobilise(http, hid, sid, started_at=started)  # moyen, as evaluated
    measure = mobilised["measure"]
    assert (measure["kind"], measure["intensity"], measure["active"]) == ("avdl", "moyen", True)
    assert mobilised["pathway"]["measures"] == ["avdl"]
    assert _reevaluation(mobilised["pathway"]) == before  # the intensity did not change

    changed_at = clock.now() - timedelta(hours=2)
    body = {"intensity": "intensif", "changed_at": changed_at.isoformat()}
    changed = ok(await http.post(f"/measures/{measure['id']}/intensity", json=body))
    pathway = ok(await http.get(f"/households/{hid}/pathway"))
    assert pathway["accompaniment_intensity"] == "intensif"
    assert _reevaluation(pathway) == changed_at + timedelta(days=21)  # 75: intensif P21D
    assert _reevaluation(changed["pathway"]) == _reevaluation(pathway)
    assert [
        (c["what"], c["from_intensity"], c["to_intensity"]) for c in changed["measure"]["changes"]
    ] == [("mobilisation", None, "moyen"), ("intensite", "moyen", "intensif")]
    r = await http.post(f"/measures/{measure['id']}/intensity", json={"intensity": "intensif"})
    assert r.status_code == 409 and "déjà « intensif »" in r.json()["detail"]

    other = await _household(http)
    r = await http.post(f"/households/{other}/measures", json={"service_id": sid})
    assert r.status_code == 409
    assert r.json()["detail"] == (
        "Action impossible : le service Opérateur avdl est complet (1 ménage(s) accompagné(s)). "
        "Rien n'a été modifié."
    )
    [listed] = [s for s in ok(await http.get("/measure-services")) if s["id"] == sid]
    assert (listed["active"], listed["remaining"]) == (1, 0)
    r = await http.post(f"/households/{hid}/measures", json={"service_id": await _service(http)})
    assert r.status_code == 409 and "déjà d'une mesure de ce type" in r.json()["detail"]


async def test_transfer_keeps_intensity_and_history_and_end_needs_a_motive(http, worked, engine):
    hid = await _household(http)
    first = (await _mobilise(http, hid, await _service(http, "asll"), intensity="intensif"))[
        "measure"
    ]
    r = await http.post(
        f"/measures/{first['id']}/transfer", json={"service_id": await _service(http)}
    )
    assert r.status_code == 409 and "même type" in r.json()["detail"]
    target = await _service(http, "asll", operator="Relais ASLL")
    moved = ok(
        await http.post(f"/measures/{first['id']}/transfer", json={"service_id": target}), 201
    )
    new = moved["measure"]
    assert (new["intensity"], new["transferred_from"], new["operator"]) == (
        "intensif",
        first["id"],
        "Relais ASLL",
    )
    assert moved["pathway"]["measures"] == ["asll"]
    measures = {m["id"]: m for m in ok(await http.get(f"/households/{hid}/measures"))}
    old = measures[first["id"]]
    assert (old["active"], old["end_reason"]) == (False, "relais")
    assert [c["what"] for c in old["changes"]] == ["mobilisation", "fin"]
    assert [c["what"] for c in measures[new["id"]]["changes"]] == ["transfert"]

    r = await http.post(f"/measures/{new['id']}/end", json={"reason": "autre"})
    assert r.status_code == 422 and "précisez" in r.text
    ended = ok(await http.post(f"/measures/{new['id']}/end", json={"reason": "perdu_de_vue"}))
    assert (ended["measure"]["active"], ended["measure"]["end_reason"]) == (False, "perdu_de_vue")
    assert ended["pathway"]["measures"] == []
    assert ended["pathway"]["accompaniment_intensity"] == "moyen"  # the evaluation's, again
    r = await http.post(f"/measures/{new['id']}/end", json={"reason": "objectifs_atteints"})
    assert r.status_code == 409 and "la mesure est terminée" in r.json()["detail"]
    with Session(engine) as session:  # the refused end left nothing staged
        pending = session.exec(select(Submission).where(Submission.household_id == hid)).all()
        assert all(s.status == "applied" for s in pending)


async def test_measures_follow_the_household_to_its_place_and_wait_for_evaluation(
    http, worked, engine
) -> None:
    reported = await _household(http, 0)
    sid = await _service(http, "iml")
    r = await http.post(f"/households/{reported}/measures", json={"service_id": sid})
    assert r.status_code == 409 and r.json()["stage"] == "reported"
    with Session(engine) as session:
        assert session.exec(select(Measure).where(Measure.household_id == reported)).all() == []
        staged = select(Submission.action).where(Submission.household_id == reported)
        assert session.exec(staged).all() == ["report"]  # the refused change left no entry

    hid = await _household(http, 3)  # the commission has decided
    mobilised = (await _mobilise(http, hid, sid))["measure"]
    for path, body in STEPS[3:]:  # orientation, acceptance, admission: a new place
        ok(await http.post(f"/households/{hid}/{path}", json=body()))
    pathway = ok(await http.get(f"/households/{hid}/pathway"))
    assert (pathway["stage"], pathway["measures"]) == ("admitted", ["iml"])
    [kept] = ok(await http.get(f"/households/{hid}/measures"))
    assert (kept["id"], kept["active"], kept["changes"][-1]["what"]) == (
        mobilised["id"],
        True,
        "mobilisation",
    )

    # An exit to social housing: the measure outlives the pathway, and may be ended later.
    ok(await http.post(f"/households/{hid}/exit", json=factories.exit_("logement_social")))
    [kept] = ok(await http.get(f"/households/{hid}/measures"))
    assert kept["active"] is True
    r = await http.post(f"/households/{hid}/measures", json={"service_id": sid})
    assert r.status_code == 409 and r.json()["detail"] == "Action refusée : le parcours est clos."
    done = {"reason": "objectifs_atteints"}
    ended = ok(await http.post(f"/measures/{kept['id']}/end", json=done))
    assert ended["pathway"] is None and ended["measure"]["end_reason"] == "objectifs_atteints"
    with Session(engine) as session:
        rows = select(TimelineEvent.action).where(TimelineEvent.household_id == hid)
        kinds = session.exec(rows.order_by(col(TimelineEvent.id))).all()
        assert kinds[-2:] == ["exit", "accompaniment_change"]


async def test_each_role_sees_what_it_needs_to_know(http, worked, settings, engine) -> None:
    hid = await _household(http)  # hosted at hunt.STRUCTURE
    empp = (await _mobilise(http, hid, await _service(http, "empp")))["measure"]
    await _mobilise(http, hid, await _service(http, "avdl"))
    readers = {
        "commission": login(settings, engine, ["commission"], ["75"]),
        "gestionnaire": login(settings, engine, ["gestionnaire"], ["75"], [hunt.STRUCTURE]),
        "referent": login(settings, engine, ["referent"], ["75"]),
    }
    for role, headers in readers.items():
        async with as_account(http, headers) as reader:
            r = await reader.get(f"/households/{hid}/measures")
            kinds = sorted(m["kind"] for m in ok(r))
            pathway = ok(await reader.get(f"/households/{hid}/pathway"))
        if role == "referent":
            assert kinds == ["avdl", "empp"] and pathway["measures"] == ["avdl", "empp"]
            continue
        assert kinds == ["avdl", HIDDEN] and "empp" not in r.text, role
        [masked] = [m for m in r.json() if m["id"] == empp["id"]]
        assert (masked["operator"], masked["service_id"]) == (HIDDEN, None)
        assert pathway["measures"] == ["avdl"], role

    elsewhere = {
        "gestionnaire": login(settings, engine, ["gestionnaire"], ["75"], ["Autre CHRS"]),
        "coordinateur": login(settings, engine, ["coordinateur"], ["93"]),
    }
    for role, headers in elsewhere.items():
        async with as_account(http, headers) as outsider:
            r = await outsider.get(f"/households/{hid}/measures")
            assert r.status_code == 404 and r.json()["detail"] == "Ménage inconnu.", role
            if role == "coordinateur":
                r = await outsider.post(f"/measures/{empp['id']}/end", json={"reason": "autre"})
                assert r.status_code == 422  # the body first: « autre » needs its words
                body = {"reason": "objectifs_atteints"}
                r = await outsider.post(f"/measures/{empp['id']}/end", json=body)
                assert r.status_code == 404 and r.json()["detail"] == "Mesure inconnue."
    async with as_account(http, readers["commission"]) as commission:
        r = await commission.post(f"/measures/{empp['id']}/end", json={"reason": "perdu_de_vue"})
        assert r.status_code == 403
