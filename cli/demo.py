"""`make demo`: walk a handful of households through the API to different stages.

A newcomer then sees real pathways in the Temporal UI at once: stages, French timer summaries,
one pathway already overdue (met four days ago, flash evaluation not yet entered); and the offer:
three vacancies of a CHRS, one without a proposal past its delay, one whose household was proposed
nine days ago and still awaits the structure's answer (both overdue), one awaiting an answer.
"""

import secrets
import sys
import time
from datetime import timedelta

import httpx
from sqlmodel import Session, select

from api import examples
from api.accounts import create_user
from core import clock
from core.db import get_engine
from core.security import hash_password
from core.settings import development_unless_set, get_settings
from models.users import User

STEPS = [
    ("flash-evaluation", examples.flash),
    ("in-depth-evaluation", examples.in_depth),
    ("commission-decision", lambda: examples.commission("hebergement", "chrs")),
    ("orientation", examples.orientation),
    ("orientation/response", examples.accepted),
    ("admission", examples.placement),
    ("commission-decision", examples.commission),
    ("orientation", lambda: examples.orientation("pension_de_famille")),
    ("orientation/response", examples.accepted),
    ("housing", lambda: examples.placement("pension_de_famille")),
    ("follow-up", examples.review),
]
# (département, how many steps to walk, typology, days since the encounter)
HOUSEHOLDS = [
    ("75", 0, "personne_isolee", 4),  # flash evaluation missing after 72 h: overdue
    ("75", 0, "famille_monoparentale", 0),
    ("75", 1, "couple_avec_enfants", 1),
    ("93", 2, "personne_isolee", 2),
    ("93", 4, "couple_sans_enfant", 3),
    ("75", 6, "personne_isolee", 5),
    ("93", 10, "famille_monoparentale", 6),
    ("75", 11, "personne_isolee", 7),
]


DEMO_ACCOUNT = "demo-coordination"


def demo_token(http: httpx.Client) -> str:
    """A coordinator account for the demo (75 and 93), created on first use."""
    password = secrets.token_urlsafe(12)
    with Session(get_engine()) as session:
        exists = session.exec(select(User).where(User.username == DEMO_ACCOUNT)).first()
        if exists is not None:
            exists.password_hash = hash_password(password)
            session.add(exists)
            session.commit()
    if exists is None:
        create_user(
            get_engine(),
            DEMO_ACCOUNT,
            password,
            ["coordinateur"],
            ["75", "93"],
            display_name="Coordination (démo)",
        )
    answer = http.post("/auth/token", data={"username": DEMO_ACCOUNT, "password": password})
    answer.raise_for_status()
    return str(answer.json()["access_token"])


DEMO_STRUCTURE = "CHRS Les Amandiers (démo)"


def _at_commission(http: httpx.Client) -> str:
    created = http.post("/households", json=examples.first_contact("75")).raise_for_status()
    household_id = str(created.json()["household_id"])
    for path, make in STEPS[:3]:
        http.post(f"/households/{household_id}/{path}", json=make()).raise_for_status()
    return household_id


def offer(http: httpx.Client) -> None:
    """Three vacancies of a CHRS, as the Temporal UI shows them (`vacance-<place>-<n>`)."""
    body = {"name": DEMO_STRUCTURE, "departement": "75", "kind": "chrs", "commune": "75056"}
    sid = http.post("/structures", json=body).raise_for_status().json()["id"]
    ago = [10, 10, 0]  # days since each place became vacant (declared after the fact)
    for days, proposed in zip(ago, [None, 9, 0], strict=True):
        place = {"label": f"Chambre {days}{proposed}", "status": "occupied"}
        pid = http.post(f"/structures/{sid}/places", json=place).raise_for_status().json()["id"]
        when = (clock.now() - timedelta(days=days)).isoformat()
        vacancy = {"reason": "fin de séjour", "occurred_at": when}
        http.post(f"/places/{pid}/vacancy", json=vacancy).raise_for_status()
        vid = f"vacance-{pid}-1"
        for _ in range(100):  # the vacancy's workflow writes its row first
            if http.get(f"/vacancies/{vid}").status_code == 200:
                break
            time.sleep(0.1)
        if proposed is not None:
            at = (clock.now() - timedelta(days=proposed)).isoformat()
            proposal = {"household_id": _at_commission(http), "proposed_at": at}
            http.post(f"/vacancies/{vid}/proposals", json=proposal).raise_for_status()
        print(f"{vid}  75  {http.get(f'/vacancies/{vid}').raise_for_status().json()['step']}")


def main() -> int:
    development_unless_set()  # like `make up`, whose API it walks through
    settings = get_settings()
    base = f"http://127.0.0.1:{settings.api_port}"
    with httpx.Client(base_url=base, timeout=30) as http:
        try:
            http.get("/health").raise_for_status()
        except httpx.HTTPError:
            print(f"L'API ne répond pas sur {base} : lancez d'abord `make up`.")
            return 1
        http.headers["Authorization"] = f"Bearer {demo_token(http)}"
        for departement, steps, typology, days_ago in HOUSEHOLDS:
            met = (clock.now() - timedelta(days=days_ago)).isoformat()
            body = examples.first_contact(departement, typology=typology, encountered_at=met)
            created = http.post("/households", json=body)
            created.raise_for_status()
            household_id = created.json()["household_id"]
            stage = created.json()["pathway"]["stage"]
            for path, make in STEPS[:steps]:
                response = http.post(f"/households/{household_id}/{path}", json=make())
                response.raise_for_status()
                stage = response.json()["stage"]
            print(f"parcours-{household_id}  {departement}  {stage}")
        offer(http)
    print(f"\nVoir : http://localhost:{settings.temporal_ui_port}/namespaces/default/workflows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
