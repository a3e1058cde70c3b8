"""Households that hold every sensitive value, and a scanner that hunts for them in answers.

The bodies are the documented examples (tests/factories.py) with the sensitive values of
models/sensitivity.py in every field that takes them, and free text marked « SECRET- ». The
scanner walks an answer's JSON: a sensitive code, a secret text, a rule that names a situation,
a due date the reader does not meet, or (for readers of nothing) the person's name is a leak.
"""

from datetime import datetime
from pathlib import Path
from typing import Any

from core import clock
from models.pathway import DeadlineKind
from models.sensitivity import SENSITIVE_FACTS, SENSITIVE_VALUES, Sensitivity, sensitive_codes
from models.users import Role
from models.vocab import (
    AdministrativeSituation,
    Coded,
    Expertise,
    HealthCover,
    ImmediateNeed,
    SelfAssessedHealth,
    Vulnerability,
)
from models.vocab_orientation import ExitSituation
from rules.document import parse_document
from rules.sensitivity import classify
from tests import factories

SECRET = "SECRET-"
NICKNAME = "Josette Témoin"
STRUCTURE = "CHRS Les Amandiers"
POLICIES = Path(__file__).parent.parent / "policies"
K = DeadlineKind
# Who meets which deadline (README, « Privacy and access »): only they see its due date.
MEETS: dict[Role, frozenset[DeadlineKind]] = {
    Role.ECOUTANT_115: frozenset({K.FLASH}),
    Role.VEILLE_SOCIALE: frozenset({K.FLASH}),
    Role.GESTIONNAIRE: frozenset({K.ORIENTATION_RESPONSE}),
    Role.COMMISSION: frozenset({K.LONG_STAY}),  # its decision is what an abnormal stay awaits
}
ALWAYS_SENSITIVE = {Role.REFERENT, Role.COORDINATEUR}  # they accompany the household
AGENDA = {"in_depth_evaluated", "commission"}  # commission members: sensitive while on agenda


def secret(field: str) -> str:
    return f"{SECRET}{field}"


# -- bodies ---------------------------------------------------------------------------------


def first_contact(residential: str = "detention") -> dict[str, Any]:
    person = {
        "nominative_consent": False,
        "nickname": NICKNAME,
        "birth_year": clock.now().year - 22,
        "sex": "femme",
        "informed_of_rights": True,
        "consent_given_at": factories.first_contact()["members"][0]["consent_given_at"],
    }
    return factories.first_contact("75", residential_situation=residential, members=[person])


def flash(vulnerability: str = "critique", first_orientation: str = "dna") -> dict[str, Any]:
    return {
        **factories.flash(),
        "vulnerability": vulnerability,
        "immediate_needs": [str(n) for n in ImmediateNeed if n is not ImmediateNeed.AUCUN],
        "expertise_needed": [str(e) for e in Expertise],
        "first_orientation": first_orientation,
        "wishes": secret("wishes"),
    }


def in_depth(i: int = 2) -> dict[str, Any]:
    """The i-th evaluation cycles through every administrative situation, health cover and
    self-assessed health (i=2: demandeur d'asile)."""
    return {
        **factories.in_depth(),
        "administrative_situation": str(list(AdministrativeSituation)[i % 9]),
        "health_cover": str(list(HealthCover)[i % len(HealthCover)]),
        "self_assessed_health": str(list(SelfAssessedHealth)[i % len(SelfAssessedHealth)]),
        "health_rights_up_to_date": False,
        "has_gp": True,
        "mobile_health_team_offered": True,
        "employment": "rqth",
        "resources": ["ada", "aah", "rsa"],
        "social_situation": secret("social_situation"),
        "housing_wishes": secret("housing_wishes"),
        "accompaniment_wishes": secret("accompaniment_wishes"),
        "accompaniment_needed": secret("accompaniment_needed"),
        "roadmap": [secret("roadmap")],
        "wants_housing": True,
    }


def commission() -> dict[str, Any]:  # partenariale: the rules route violences and santé there
    body = factories.commission("hebergement", "dna")
    return {**body, "commission": "partenariale", "notes": secret("commission_notes")}


def refused() -> dict[str, Any]:
    return {
        **factories.refused("sante_securite"),
        "refused_by": "structure",
        "refusal_detail": secret("refusal_detail"),
    }


def review() -> dict[str, Any]:
    return {**factories.review(), "participants": secret("participants"), "notes": secret("n")}


# The steps that take a new household to each stage, every body sensitive.
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("flash-evaluation", flash()),
    ("in-depth-evaluation", in_depth()),
    ("commission-decision", commission()),
    ("orientation", factories.orientation()),
    ("orientation/response", factories.accepted()),
    ("admission", factories.placement()),
    ("housing", factories.placement("pension_de_famille")),
]
STAGE_STEPS = {  # stage → how many STEPS lead there
    "reported": 0,
    "flash_evaluated": 1,
    "in_depth_evaluated": 2,
    "commission": 3,
    "orientation_proposed": 4,
    "accepted": 5,
    "admitted": 6,
    "housed": 7,
}
# The rich household: every sensitive value a pathway can hold, hosted at STRUCTURE.
RICH: list[tuple[str, dict[str, Any]]] = [
    ("flash-evaluation", flash()),
    *[("in-depth-evaluation", in_depth(i)) for i in (0, 1, 3, 4, 5, 6, 7, 8, 2)],
    ("commission-decision", commission()),
    ("orientation", factories.orientation()),
    ("orientation/response", refused()),
    ("commission-decision", commission()),
    ("orientation", factories.orientation("dna")),
    ("orientation/response", factories.accepted()),
    ("admission", factories.placement("dna")),
    ("review", review()),
]
# Closed households for the values a pathway holds once: vulnerability, first orientation,
# residential situation at the first contact, exit situation.
_EXITS = ["dispositif_asile", "retour_au_pays", "hopital", "lhss", "detention"]
_RESIDENTIAL = ["dispositif_asile", "dispositif_medical", "detention", "rue", "rue"]
_FIRST = ["dna", "sante", "adaptee", "autre", "adaptee"]
VARIANTS: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = [
    (
        _RESIDENTIAL[i],
        [
            ("flash-evaluation", flash(str(v), _FIRST[i])),
            ("exit", factories.exit_(_EXITS[i])),
        ],
    )
    for i, v in enumerate(Vulnerability)
]
assert {str(e) for e in SENSITIVE_VALUES[ExitSituation]} == set(_EXITS)


# -- the scanner ----------------------------------------------------------------------------


def _all_coded() -> list[type[Coded]]:
    found, todo = [], list(Coded.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return [c for c in found if c is not Sensitivity]


def scannable_codes() -> set[str]:
    """Sensitive codes no non-sensitive value is spelled like (« autre », « aucune »…)."""
    sensitive = sensitive_codes()
    plain = {str(v) for c in _all_coded() for v in c if v not in SENSITIVE_VALUES.get(c, {})}
    return set(sensitive) - plain


def policy_secrets(departement: str = "75") -> tuple[set[str], set[str]]:
    """(rule ids that name a situation, reasons the rules write) for the policy on disk."""
    national = parse_document("_national.yaml", (POLICIES / "_national.yaml").read_text())
    local = parse_document(f"{departement}.yaml", (POLICIES / f"{departement}.yaml").read_text())
    rules = {r.id: r for r in [*national.rules, *local.rules]}
    shown = classify(rules.values()).shown_rules
    reasons = {
        dict(c.params)["reason"]
        for r in rules.values()
        if r.id not in shown
        for c in r.then
        if "reason" in dict(c.params)
    }
    return set(rules) - shown, reasons


def _strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            if path.endswith("facts") and k in SENSITIVE_FACTS:
                out.append((f"{path}.{k}", f"fait:{k}"))
            out += _strings(v, f"{path}.{k}")
        return out
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _strings(v, f"{path}[{i}]")]
    return []


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


class Scanner:
    def __init__(self) -> None:
        self.codes = scannable_codes()
        self.rules, self.reasons = policy_secrets()

    def leaks(self, answer: Any, due: set[datetime], reads: bool = True) -> list[str]:
        found = []
        for path, text in _strings(answer):
            if text.startswith("fait:"):
                found.append(f"{path} (fait sensible)")
            elif {text} & (self.codes | self.rules | self.reasons) or SECRET in text:
                found.append(f"{path} = {text}")
            elif not reads and NICKNAME in text:
                found.append(f"{path} = {text} (nom, pour qui ne lit pas la fiche)")
            elif (moment := _instant(text)) is not None and moment in due:
                found.append(f"{path} = {text} (échéance que ce rôle ne tient pas)")
        return found


def missing_values(answers: list[Any]) -> set[str]:
    """The scanned codes none of these (full) answers holds: a hunt for them would be empty."""
    seen = {text for answer in answers for _, text in _strings(answer)}
    return scannable_codes() - seen


def hidden_due_dates(pathway: dict[str, Any], role: Role) -> set[datetime]:
    """The due dates (as the coordinator reads them) of the deadlines `role` does not meet."""
    meets = MEETS.get(role, frozenset())
    return {
        moment
        for d in pathway.get("deadlines", [])
        if d["kind"] not in meets and (moment := _instant(d["due_at"]))
    }
