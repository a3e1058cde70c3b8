"""The access matrix's routes: each with its permission, a valid body, and the household it
needs (tests/test_access_matrix.py). Every operation of the API must be here or in PUBLIC."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from api.permissions import Permission
from core import clock
from tests import factories, hunt

P = Permission
RICH, NONE, CREATE = "rich", "none", "create"  # the rich household, no household, a new one
PUBLIC = {  # any account (its own session), or nobody yet
    ("GET", "/health"),
    ("POST", "/auth/token"),
    ("GET", "/auth/me"),
    ("POST", "/auth/logout"),
    ("POST", "/auth/password"),
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {hid}: the household; {pid}: its person; {uid}: an account; {mid}: a measure
    permission: Permission
    body: Callable[[], dict[str, Any] | str] | None = None  # a str: a CSV file (text/csv)
    stage: str = NONE  # RICH, CREATE, or the stage (hunt.STAGE_STEPS) of a new household
    place: str = "occupied"  # {plid}: a new place of this status ("vacant": an emergency one);
    # {vid}: how far the household went in a new vacancy's protocol (tests/test_access_matrix.py)


def _policy() -> dict[str, Any]:
    return {"yaml": (hunt.POLICIES / "75.yaml").read_text()}


def _account() -> dict[str, Any]:
    name = f"compte-{uuid.uuid4().hex[:8]}"
    return {
        "username": name,
        "roles": ["ecoutant_115"],
        "departements": ["75"],
        "password": "une phrase de passe assez longue",
    }


def _structure() -> dict[str, Any]:
    return {
        "name": f"CHU {uuid.uuid4().hex[:6]}",
        "departement": "75",
        "kind": "chu",
        "commune": "75056",
    }


def _assignment() -> dict[str, Any]:
    return {"household_id": "{hid}", "reason": "appel au 115"}


def _measure_service() -> dict[str, Any]:
    return {"departement": "75", "kind": "asll", "operator": "ASLL Paris", "capacity": 20}


def _intensity() -> dict[str, Any]:
    return {"intensity": "intensif"}


def _service_ref() -> dict[str, Any]:  # mobilise, or transfer to, a new AVDL service
    return {"service_id": "{msid}"}


def _end() -> dict[str, Any]:
    return {"reason": "autre", "detail": f"{hunt.SECRET}fin de mesure"}


def _night() -> dict[str, Any]:
    return {"until": clock.now().date().isoformat(), "reason": "rendez-vous médical"}


def _proposal() -> dict[str, Any]:
    return {"household_id": "{hid}"}


def _yes() -> dict[str, Any]:
    return {"answer": "acceptee"}


def _expired() -> dict[str, Any]:
    return {"answer": "refusee", "refusal_reason": "orientation_expiree"}


def _admitted() -> dict[str, Any]:
    return {"admitted_on": clock.now().date().isoformat()}


# A commission member of 75, created by tests/test_access_matrix.py's backend.
MEMBER = f"membre-{uuid.uuid4().hex[:8]}"


def commission_session() -> dict[str, Any]:  # partenariale: the rules route hunt's households
    return {"departement": "75", "kind": "partenariale", "members": [MEMBER], "partners": ["EMPP"]}


def _session_decision() -> dict[str, Any]:
    return {**hunt.commission(), "members_present": [MEMBER]}


def _calls_csv() -> str:  # the phone system's export: yesterday's calls
    yesterday = clock.today_paris() - timedelta(days=1)
    return f"date;reçus;décrochés\n{yesterday:%d/%m/%Y};5 230;1 480\n"


def _call_request() -> dict[str, Any]:
    kind, outcome = "mise_a_l_abri", "non_pourvue_faute_de_place"
    return {"departement": "75", "kind": kind, "outcome": outcome, "household_id": "{hid}"}


def outreach_team() -> dict[str, Any]:  # {tid}: a new team of 75
    return {
        "departement": "75",
        "name": f"Maraude {uuid.uuid4().hex[:6]}",
        "kind": "maraude",
        "communes": ["75056", "75118"],
        "hours": [{"days": ["lundi", "jeudi"], "opens": "20:00", "closes": "02:00"}],
    }


H = "/households/{hid}"
VP = "/vacancies/{vid}/proposals/{hid}"  # {vid}: a vacancy of hunt.STRUCTURE, {hid} at `place`
C = "/commissions/{cid}"  # {cid}: a new open session of 75 (commission_session)
ROUTES = [
    Route("POST", "/households", P.REPORT, hunt.first_contact, CREATE),
    Route("POST", f"{H}/flash-evaluation", P.FLASH, hunt.flash, "reported"),
    Route("POST", f"{H}/in-depth-evaluation", P.IN_DEPTH, hunt.in_depth, "flash_evaluated"),
    Route("POST", f"{H}/commission-decision", P.COMMISSION, hunt.commission, "in_depth_evaluated"),
    Route("POST", f"{H}/orientation", P.ORIENTATION, factories.orientation, "commission"),
    Route(
        "POST",
        f"{H}/orientation/response",
        P.ORIENTATION_RESPONSE,
        hunt.refused,
        "orientation_proposed",
    ),
    Route("POST", f"{H}/admission", P.ADMISSION, factories.placement, "accepted"),
    Route(
        "POST",
        f"{H}/housing",
        P.HOUSING,
        lambda: factories.placement("pension_de_famille"),
        "accepted",
    ),
    Route("POST", f"{H}/review", P.REVIEW, hunt.review, "commission"),
    Route("POST", f"{H}/follow-up", P.REVIEW, hunt.review, "housed"),
    Route("POST", f"{H}/landlord-solicitation", P.SOLICITATION, factories.review, "housed"),
    Route("POST", f"{H}/exit", P.EXIT, factories.exit_, "admitted"),
    Route("GET", f"{H}/pathway", P.READ, None, RICH),
    Route("GET", "/households?departement=75", P.LIST, None, RICH),
    Route("GET", H, P.READ, None, RICH),
    Route("GET", f"{H}/access-report", P.RIGHTS, None, RICH),
    Route("GET", f"{H}/export", P.RIGHTS, None, RICH),
    Route(
        "PATCH",
        f"{H}/persons/{{pid}}",
        P.RIGHTS,
        lambda: {"nickname": "Jo", "reason": "demande"},
        "reported",
    ),
    Route("DELETE", H, P.RIGHTS, None, "reported"),
    Route("GET", "/audit?household_id={hid}", P.AUDIT, None, RICH),
    Route("GET", "/audit/verify", P.AUDIT),
    Route("GET", "/policies", P.POLICY_READ),
    Route("POST", "/policies/75/validate", P.POLICY_EDIT, _policy),
    Route("POST", "/policies/75/dry-run", P.POLICY_EDIT, _policy),
    Route("PUT", "/policies/75", P.POLICY_EDIT, _policy),
    Route("POST", "/codec/encode", P.CODEC, lambda: {"payloads": []}),
    Route("POST", "/codec/decode", P.CODEC, lambda: {"payloads": []}),
    Route("GET", "/statistics", P.STATISTICS),
    Route("GET", "/statistics/territories", P.STATISTICS),
    Route("POST", "/exports/anonymised", P.ANONYMISED_EXPORT, lambda: {"departements": ["75"]}),
    Route("GET", "/users", P.USERS),
    Route("POST", "/users", P.USERS, _account),
    Route("PATCH", "/users/{uid}", P.USERS, lambda: {"display_name": "Compte renommé"}),
    Route("POST", "/users/{uid}/password", P.USERS, lambda: {"password": "une phrase de passe"}),
    Route("POST", "/structures", P.OFFER_MANAGE, _structure),
    Route("GET", "/structures", P.OFFER_READ),
    Route("POST", "/structures/{sid}/places", P.OFFER_MANAGE, lambda: {"label": "Chambre 1"}),
    Route("GET", "/places?status=vacant", P.OFFER_READ),
    Route("POST", "/places/{plid}/vacancy", P.OFFER_DECLARE, lambda: {"reason": "fin de séjour"}),
    Route("POST", "/places/{plid}/departure", P.OFFER_DECLARE, lambda: {}),
    Route("GET", "/places/{plid}/history", P.OFFER_READ),
    Route("GET", "/offer?departement=75", P.OFFER_READ),
    Route("GET", "/offer/emergency", P.EMERGENCY_SHELTER),
    Route("POST", "/places/{plid}/assign", P.EMERGENCY_SHELTER, _assignment, "reported", "vacant"),
    Route("POST", "/places/{plid}/prolongation", P.EMERGENCY_SHELTER, _night, place="sheltered"),
    Route("GET", "/alerts?open=false", P.ALERTS),
    Route("GET", "/vacancies", P.OFFER_READ),
    Route("GET", "/vacancies/{vid}", P.OFFER_READ, place="vacancy"),
    Route("POST", "/vacancies/{vid}/proposals", P.ORIENTATION, _proposal, "commission", "vacancy"),
    Route("POST", f"{VP}/structure-answer", P.OFFER_DECLARE, _yes, "commission", "proposed"),
    Route("POST", f"{VP}/household-answer", P.ORIENTATION_RESPONSE, _yes, "commission", "agreed"),
    Route("POST", f"{VP}/withdrawal", P.ORIENTATION, _expired, "commission", "proposed"),
    Route("POST", f"{VP}/admission", P.ADMISSION, _admitted, "commission", "accepted"),
    Route("GET", "/vacancies/{vid}/candidates", P.ORIENTATION, place="vacancy"),
    Route("GET", "/vacancies/{vid}/candidates/{hid}", P.ORIENTATION, None, "commission", "vacancy"),
    Route("POST", "/measure-services", P.OFFER_MANAGE, _measure_service),
    Route("GET", "/measure-services?kind=avdl", P.MEASURES_READ),
    Route("GET", f"{H}/measures", P.MEASURES_READ, None, RICH),
    # {msid}: a new AVDL service of 75; {mid}: an active AVDL measure of the household.
    Route("POST", f"{H}/measures", P.MEASURES_MANAGE, _service_ref, "admitted"),
    Route("POST", "/measures/{mid}/intensity", P.MEASURES_MANAGE, _intensity, "admitted"),
    Route("POST", "/measures/{mid}/transfer", P.MEASURES_MANAGE, _service_ref, "admitted"),
    Route("POST", "/measures/{mid}/end", P.MEASURES_MANAGE, _end, "admitted"),
    Route("POST", "/commissions", P.COMMISSION_SESSIONS_MANAGE, commission_session),
    Route("GET", "/commissions?status=ouverte", P.COMMISSION_SESSIONS),
    Route("GET", C, P.COMMISSION_SESSIONS),
    Route("GET", f"{C}/agenda", P.COMMISSION_SESSIONS, None, "in_depth_evaluated"),
    Route("POST", f"{C}/decisions/{{hid}}", P.COMMISSION, _session_decision, "in_depth_evaluated"),
    Route("POST", f"{C}/close", P.COMMISSION_SESSIONS_MANAGE),
    Route("POST", "/calls/daily?departement=75", P.CALLS_IMPORT, _calls_csv),
    Route("GET", "/calls/daily?departement=75", P.CALLS_READ),
    Route("POST", "/calls/requests", P.CALLS_RECORD, _call_request, "reported"),
    Route("GET", "/calls/requests?departement=75", P.CALLS_READ),
    Route("POST", "/coverage/teams", P.COVERAGE_MANAGE, outreach_team),
    Route("GET", "/coverage/teams", P.COVERAGE_READ),
    Route("PUT", "/coverage/teams/{tid}", P.COVERAGE_MANAGE, outreach_team),
    Route("GET", "/coverage/white-zones?departement=75", P.COVERAGE_READ),
    Route("GET", "/coverage/white-zones.html?departement=75", P.COVERAGE_READ),
    Route("GET", "/ofii-lists?departement=75", P.OFII_LIST),
    # {month}: a month whose OFII list of 75 exists (tests/ofii_fixtures.py); the answer is CSV.
    Route("GET", "/ofii-lists/75/{month}.csv", P.OFII_LIST),
    Route("GET", "/reports/activity?departement=75&year=2026", P.REPORTS),
    Route("GET", "/reports/activity?departement=75&year=2026&format=csv", P.REPORTS),
    Route("GET", "/reports/activity.html?departement=75&year=2026", P.REPORTS),
    Route("GET", "/reports/quality?departement=75&year=2026", P.REPORTS),
    Route(
        "GET", "/reports/indicators/menages_heberges/households?departement=75&year=2026", P.REPORTS
    ),
]


def template(route: Route) -> tuple[str, str]:
    path = route.path.split("?")[0].replace("{hid}", "{household_id}").replace("/75", "/{dep}")
    path = path.replace("{pid}", "{person_id}").replace("{uid}", "{user_id}")
    path = path.replace("{sid}", "{structure_id}").replace("{plid}", "{place_id}")
    path = path.replace("{mid}", "{measure_id}").replace("{vid}", "{vacancy_id}")
    path = path.replace("{cid}", "{commission_id}")
    path = path.replace("{tid}", "{team_id}")
    path = path.replace("/indicators/menages_heberges/", "/indicators/{code}/")
    return route.method, path.replace("{dep}", "{departement}")
