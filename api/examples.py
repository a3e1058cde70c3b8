"""Realistic bodies for each caseworker action (fictional people).

They serve three readers: the OpenAPI page (examples), `make demo`, and the tests.
"""

from typing import Any

from core import clock
from models.vocab_orientation import HOUSING_PLACES

HOUSING = {p.value for p in HOUSING_PLACES}


def now_iso() -> str:
    return clock.now().isoformat()


def first_contact(departement: str = "75", **overrides: Any) -> dict[str, Any]:
    body = {
        "departement": departement,
        "encountered_at": now_iso(),
        "contact_channel": "maraude",
        "reported_by_structure": "Maraude Samu social",
        "typology": "personne_isolee",
        "residential_situation": "rue",
        "time_without_housing": "1_6_mois",
        "referent_structure": "CHRS Les Amandiers",
        "referent_worker": "Référente Test",
        "members": [
            {
                "nominative_consent": False,
                "nickname": "Le Grand Jo",
                "birth_year": 1980,
                "sex": "homme",
                "informed_of_rights": True,
                "consent_given_at": now_iso(),
            }
        ],
    }
    body.update(overrides)
    return body


def flash() -> dict[str, Any]:
    return {
        "evaluated_at": now_iso(),
        "evaluator_structure": "115 de Paris",
        "vulnerability": "elevee",
        "immediate_needs": ["mise_a_l_abri", "soins"],
        "shelter_requested": True,
        "wishes": "un endroit calme",
        "expertise_needed": ["medicale"],
        "first_orientation": "adaptee",
    }


def in_depth(intensity: str = "moyen") -> dict[str, Any]:
    return {
        "evaluated_at": now_iso(),
        "evaluator_structure": "CHRS Les Amandiers",
        "health_cover": "css",
        "has_gp": False,
        "employment": "sans_activite",
        "resources": ["rsa"],
        "administrative_situation": "francaise",
        "accompaniment_intensity": intensity,
        "roadmap": ["ouvrir les droits CSS"],
    }


def commission(recommendation: str = "logement", place_type: str = "pension_de_famille") -> dict:
    body = {
        "decided_at": now_iso(),
        "commission": "unique",
        "recommendation": recommendation,
        "place_type": place_type,
        "measures": ["avdl"],
    }
    if recommendation != "logement" and place_type not in HOUSING:  # says why (R-COM-1)
        body["not_housing_reason"] = "souhait"
    return body


def orientation(place_type: str = "chrs") -> dict[str, Any]:
    return {"proposed_at": now_iso(), "structure": "CHRS Les Amandiers", "place_type": place_type}


def accepted() -> dict[str, Any]:
    return {"answer": "acceptee", "answered_at": now_iso()}


def refused(reason: str = "type_hebergement") -> dict[str, Any]:
    return {
        "answer": "refusee",
        "answered_at": now_iso(),
        "refused_by": "menage",
        "refusal_reason": reason,
    }


def placement(place_type: str = "chrs") -> dict[str, Any]:
    return {"started_at": now_iso(), "structure": "CHRS Les Amandiers", "place_type": place_type}


def review() -> dict[str, Any]:
    return {"held_at": now_iso(), "participants": "référente, chef de service"}


def exit_(situation: str = "autre_solution") -> dict[str, Any]:
    return {"exited_at": now_iso(), "exit_situation": situation}
