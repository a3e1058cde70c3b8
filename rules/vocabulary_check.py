"""Is this value, comparison or action allowed by the vocabulary? Answers are French messages."""

from typing import Any

from models.pathway import DeadlineKind
from rules.deadlines import (
    FOLLOW_UP_TOO_LONG,
    MAX_DURATION,
    MAX_FOLLOW_UP,
    TOO_LONG,
    parse_duration,
)
from rules.vocabulary import ACTIONS, FACTS


def _code_problem(fact: str, value: Any) -> str | None:
    allowed = FACTS[fact].allowed()
    if allowed is not None and value not in allowed and value != FACTS[fact].default:
        shown = ", ".join(sorted(allowed))
        return f"« {value} » n'est pas une valeur de {fact} ; valeurs possibles : {shown}"
    return None


def _typed(fact: str, value: Any) -> str | None:
    kind = FACTS[fact].kind
    if kind == "bool" and not isinstance(value, bool):
        return f"{fact} vaut true ou false"
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        return f"{fact} est un nombre entier"
    if kind in ("code", "codes"):
        if not isinstance(value, str):
            return f"{fact} attend un code (texte)"
        return _code_problem(fact, value)
    return None


def check_leaf(fact: str, op: str, operand: Any) -> str | None:
    kind = FACTS[fact].kind
    if op in ("lt", "lte", "gt", "gte") and kind != "int":
        return f"« {op} » ne s'applique qu'aux nombres ; {fact} n'en est pas un"
    if op == "contains" and kind != "codes":
        return f"« contains » ne s'applique qu'aux listes ; {fact} n'en est pas une"
    if kind == "codes" and op != "contains":
        return f"{fact} est une liste : utilisez « contains »"
    if op in ("in", "not_in"):
        if not isinstance(operand, list) or not operand:
            return f"« {op} » attend une liste de valeurs"
        return next(filter(None, (_typed(fact, v) for v in operand)), None)
    return _typed(fact, operand)


def check_fact_value(fact: str, value: Any) -> str | None:
    if FACTS[fact].kind == "codes":
        if not isinstance(value, list):
            return f"{fact} est une liste de codes"
        return next(filter(None, (_typed(fact, v) for v in value)), None)
    return _typed(fact, value)


def check_action(name: str, params: dict[str, Any]) -> list[str]:
    spec = ACTIONS[name]
    problems = [f"paramètre inconnu « {p} » pour {name}" for p in params if p not in spec.params]
    for pname, pspec in spec.params.items():
        value = params.get(pname)
        if value is None or value == "":
            problems.append(f"{name} : paramètre « {pname} » obligatoire ({pspec.label})")
        elif pspec.kind == "code" and pspec.codes and value not in {c.value for c in pspec.codes}:
            shown = ", ".join(c.value for c in pspec.codes)
            problems.append(f"{name} : « {value} » n'est pas un {pname} possible ({shown})")
        elif pspec.kind == "duration":  # the same bounds as in `deadlines`
            follow_up = params.get("kind") == DeadlineKind.FOLLOW_UP_END
            try:
                parse_duration(
                    str(value),
                    MAX_FOLLOW_UP if follow_up else MAX_DURATION,
                    FOLLOW_UP_TOO_LONG if follow_up else TOO_LONG,
                )
            except ValueError as exc:
                problems.append(f"{name} : {exc}")
    return problems
