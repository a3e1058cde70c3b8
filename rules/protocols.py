"""The `protocols` and `refusal_consequences` sections of policy files (issue 10): the delays of
the orientation protocol by structure kind, and what each refusal reason costs the household.

Each file is checked on its own (a département gives only what it changes), with its lines;
the terms of one structure kind are then resolved field by field: national default ← national
kind entry ← département default ← département kind entry; consequences: national ← département,
per reason (a reason listed nowhere keeps seniority: ProtocolTerms.consequence).
"""

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.vocab_orientation import RefusalReason
from rules.deadlines import parse_duration
from rules.policy_text import Issue, Path_, line_of, load

if TYPE_CHECKING:
    from models.offer import StructureKind
    from models.protocol import ProtocolTerms

# The codes of models.offer.StructureKind and models.protocol.Consequence, spelled out here so
# that checking a policy file never loads the database models (SQLModel, SQLAlchemy) into the
# rules engine's child process, whose start must stay quick (rules/isolated.py); a test keeps
# them equal to the enums. Resolving terms (`resolve`) imports the models when first asked.
STRUCTURE_KINDS = (
    "chu",
    "chrs",
    "hotel",
    "residence_sociale",
    "pension_de_famille",
    "residence_accueil",
    "fjt",
    "ftm",
    "iml",
    "lhss",
    "act",
    "autre",
)
PARK = "mise_en_attente"
CONSEQUENCES = ("conserve_anciennete", "perte_anciennete", PARK, "jusqu_a_reevaluation")
DEFAULT = "default"
MAX_DELAY = timedelta(days=366)
DELAY_TOO_LONG = (
    "la durée « {value} » dépasse un an : les délais d'un protocole d'orientation sont d'un an "
    "au plus"
)
PARK_TOO_LONG = "la durée « {value} » dépasse un an : une mise en attente dure un an au plus"
MIN_HOUSEHOLDS, MAX_HOUSEHOLDS = 1, 5
CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DURATIONS = ("propose", "manager_answer", "household_answer", "admission", "escalation")


class _DelayEntry(BaseModel):
    """One entry under `protocols` (the default or a structure kind): only some fields."""

    model_config = ConfigDict(extra="forbid")
    propose: str | None = None
    households_per_unit: int | None = Field(None, strict=True)
    manager_answer: str | None = None
    household_answer: str | None = None
    admission: str | None = None
    escalation: str | None = None
    night_release: str | None = None

    @field_validator(*DURATIONS, "households_per_unit", "night_release", mode="before")
    @classmethod
    def _given(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("valeur vide : donnez une valeur ou retirez la ligne")
        return value

    @field_validator(*DURATIONS)
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value, MAX_DELAY, DELAY_TOO_LONG)
        return value

    @field_validator("night_release")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not CLOCK_TIME.match(value):
            raise ValueError(f"« {value} » : une heure HH:MM est attendue (ex. 09:00)")
        return value

    @field_validator("households_per_unit")
    @classmethod
    def _households(cls, value: int) -> int:
        if not MIN_HOUSEHOLDS <= value <= MAX_HOUSEHOLDS:
            raise ValueError(
                f"{value} ménage(s) par place : de {MIN_HOUSEHOLDS} à {MAX_HOUSEHOLDS} ménages "
                "proposés par place"
            )
        return value


class _ConsequenceEntry(BaseModel):
    """One entry under `refusal_consequences`; codes and durations are checked by hand."""

    model_config = ConfigDict(extra="forbid")
    consequence: str
    duration: str | None = None


_MESSAGES = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "string_type": "un texte est attendu (une durée ISO 8601, ex. P7D, ou un code)",
    "int_type": "un nombre entier est attendu",
    "model_type": "un dictionnaire est attendu",
}


def _message(err: Any) -> str:
    return _MESSAGES.get(err["type"], str(err["msg"]).removeprefix("Value error, "))


def _choices(codes: Any) -> str:
    return ", ".join(str(c) for c in codes)


def protocol_issues(file: str, text: str, protocols: Any, consequences: Any) -> list[Issue]:
    """The problems of one file's `protocols` and `refusal_consequences`, with their lines."""
    found: list[tuple[Path_, str, bool]] = []  # lines are looked up only if something is wrong

    def issue(path: Path_, message: str, at_key: bool = False) -> None:
        found.append((path, message, at_key))

    kinds = [DEFAULT, *STRUCTURE_KINDS]
    for key, entry in (protocols or {}).items():
        path: Path_ = ("protocols", key)
        if key not in kinds:
            known = _choices(kinds)
            message = f"type de structure inconnu « {key} » ; types possibles : {known}"
            issue(path, message, at_key=True)
            continue
        try:
            _DelayEntry.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                issue(path + tuple(err["loc"]), _message(err))
    reasons = {r.value for r in RefusalReason}
    for key, entry in (consequences or {}).items():
        path = ("refusal_consequences", key)
        if key not in reasons:
            known = _choices(r.value for r in RefusalReason)
            message = f"motif de refus inconnu « {key} » ; motifs possibles : {known}"
            issue(path, message, at_key=True)
            continue
        try:
            rule = _ConsequenceEntry.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                issue(path + tuple(err["loc"]), _message(err))
            continue
        for problem_path, problem in _consequence_problems(rule):
            issue(path + problem_path, problem)
    if not found:
        return []
    root, _ = load(file, text)
    return [
        Issue(
            file,
            _key_line(root, path) if at_key else line_of(root, path),
            ".".join(map(str, path)),
            message,
        )
        for path, message, at_key in found
    ]


def _key_line(root: yaml.Node | None, path: Path_) -> int | None:
    """The line of the key `path[-1]` itself (its value may start on the next line)."""
    section = line_of(root, path[:-1])
    node = root
    for step in path[:-1]:
        if not isinstance(node, yaml.MappingNode):
            return section
        node = next((v for k, v in node.value if k.value == step), None)
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if key.value == path[-1]:
                return int(key.start_mark.line) + 1
    return section


def _consequence_problems(rule: _ConsequenceEntry) -> list[tuple[Path_, str]]:
    if rule.consequence not in CONSEQUENCES:
        known = _choices(CONSEQUENCES)
        return [
            (
                ("consequence",),
                f"conséquence inconnue « {rule.consequence} » ; conséquences possibles : {known}",
            )
        ]
    park = PARK
    if rule.consequence == park and rule.duration is None:
        return [(("consequence",), f"« {park} » demande une durée (duration, ex. P30D)")]
    if rule.consequence != park and rule.duration is not None:
        message = f"une durée ne s'applique qu'à « {park} », pas à « {rule.consequence} »"
        return [(("duration",), message)]
    if rule.duration is not None:
        try:
            parse_duration(rule.duration, MAX_DELAY, PARK_TOO_LONG)
        except ValueError as exc:
            return [(("duration",), str(exc))]
    return []


class Sections(Protocol):
    """What resolution reads of a checked policy file (rules/document.PolicyDocument)."""

    @property
    def protocols(self) -> dict[str, Any]: ...

    @property
    def refusal_consequences(self) -> dict[str, Any]: ...


def merged_delays(files: list[Sections], kind: "StructureKind") -> dict[str, Any]:
    """The fields given for `kind`, in order: each file's default, then its kind entry."""
    merged: dict[str, Any] = {}
    for doc in files:
        for key in (DEFAULT, kind.value):
            merged.update((doc.protocols or {}).get(key) or {})
    return merged


def resolve(
    national: Sections, local: Sections | None, kind: "StructureKind", version: str
) -> "ProtocolTerms":
    """The protocol terms of a `kind` structure: national ← département, field by field.
    Both files must have passed `protocol_issues`."""
    from models.protocol import ProtocolDelays, ProtocolTerms

    files = [national, *([local] if local is not None else [])]
    consequences: dict[str, Any] = {}
    for doc in files:
        consequences.update(doc.refusal_consequences or {})
    return ProtocolTerms.model_validate(
        {
            "policy_version": version,
            "delays": ProtocolDelays.model_validate(merged_delays(files, kind)),
            "consequences": consequences,  # codes to RefusalReason and ConsequenceRule
        }
    )
