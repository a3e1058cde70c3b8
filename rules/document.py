"""A policy file as policy staff write it: YAML read with line numbers, checked against the
vocabulary. Every problem is reported with its file, line and field, in French (Issue,
PolicyInvalid: rules/policy_text.py, which also refuses what is not UTF-8 or plain YAML)."""

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.indicators import DEFINITIONS, Indicator
from models.vocab_orientation import RankingCriterion
from rules.conditions import Condition, parse_condition
from rules.policy_text import Issue, Path_, PolicyInvalid, line_of, load
from rules.vocabulary import ACTIONS, FACTS, default_facts
from rules.vocabulary_check import check_action, check_fact_value


@dataclass(frozen=True)
class ActionCall:
    name: str
    params: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.params)})"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    description: str
    when: Condition
    then: tuple[ActionCall, ...]


@dataclass(frozen=True)
class Case:
    name: str
    facts: dict[str, Any]
    expect: frozenset[ActionCall]


class _RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)
    title: str = Field(min_length=3)
    description: str = ""
    when: Any
    then: list[Any] = Field(min_length=1)


class _CaseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=3)
    facts: dict[str, Any]
    expect: list[Any]


class _PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    departement: str
    version: str = Field(min_length=1)
    effective_date: date
    author: str = Field(min_length=2)
    description: str = Field(min_length=3)
    deadlines: dict[str, Any] = Field(default_factory=dict)
    protocols: dict[str, Any] = Field(default_factory=dict)
    refusal_consequences: dict[str, Any] = Field(default_factory=dict)
    ranking: list[str] = Field(default_factory=list, max_length=len(RankingCriterion))
    targets: dict[str, float] = Field(default_factory=dict)
    rules: list[_RuleModel] = Field(default_factory=list)
    cases: list[_CaseModel] = Field(default_factory=list)


@dataclass(frozen=True)
class PolicyDocument:
    file: str
    departement: str
    version: str
    effective_date: date
    author: str
    description: str
    deadlines: dict[str, Any]
    rules: tuple[Rule, ...]
    cases: tuple[Case, ...]
    # Checked with their lines in PolicyBook._build (rules/protocols.py), like `deadlines`.
    protocols: dict[str, Any] = field(default_factory=dict)
    refusal_consequences: dict[str, Any] = field(default_factory=dict)
    # The order of a vacancy's candidates (models/vocab_orientation.RankingCriterion); empty:
    # the national one.
    ranking: tuple[RankingCriterion, ...] = ()
    # The CPO targets, per indicator (models/indicators.Indicator): the report shows the gap.
    targets: dict[Indicator, float] = field(default_factory=dict)


def parse_document(file: str, text: str) -> PolicyDocument:
    """Parse and check one policy file; raise PolicyInvalid with every problem found."""
    root, raw = load(file, text)
    issues: list[Issue] = []

    def issue(path: Path_, message: str) -> None:
        issues.append(Issue(file, line_of(root, path), ".".join(map(str, path)), message))

    try:
        model = _PolicyModel.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            issue(tuple(err["loc"]), _french(err))
        raise PolicyInvalid(issues) from exc

    rules = []
    for i, r in enumerate(model.rules):
        when = parse_condition(r.when, ("rules", i, "when"), issue)
        then = tuple(
            filter(None, (_action(a, ("rules", i, "then", j), issue) for j, a in enumerate(r.then)))
        )
        rules.append(Rule(r.id, r.title, r.description, when, then))
    cases = []
    for i, c in enumerate(model.cases):
        facts = default_facts()
        for name, value in c.facts.items():
            if name not in FACTS:
                issue(("cases", i, "facts", name), f"fait inconnu « {name} »")
            elif (problem := check_fact_value(name, value)) is not None:
                issue(("cases", i, "facts", name), problem)
            else:
                facts[name] = value
        expect = frozenset(
            filter(
                None, (_action(a, ("cases", i, "expect", j), issue) for j, a in enumerate(c.expect))
            )
        )
        cases.append(Case(c.name, facts, expect))
    ranking: list[RankingCriterion] = []
    for i, name in enumerate(model.ranking):
        criterion = next((c for c in RankingCriterion if c.value == name), None)
        if criterion is None:
            known = ", ".join(c.value for c in RankingCriterion)
            issue(("ranking", i), f"critère inconnu « {name} » ; critères possibles : {known}")
        elif criterion in ranking:
            issue(("ranking", i), f"critère « {name} » en double")
        else:
            ranking.append(criterion)
    targets: dict[Indicator, float] = {}
    for name, value in model.targets.items():
        indicator = next((c for c in Indicator if c.value == name), None)
        if indicator is None:
            known = ", ".join(c.value for c in Indicator)
            issue(("targets", name), f"indicateur inconnu « {name} » ; indicateurs : {known}")
        elif value < 0 or (DEFINITIONS[indicator].unit == "%" and value > 100):
            issue(("targets", name), f"cible « {value} » hors limites pour « {name} »")
        else:
            targets[indicator] = value
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if rule.id in seen:
            issue(("rules", i, "id"), f"identifiant « {rule.id} » en double")
        seen.add(rule.id)
    if issues:
        raise PolicyInvalid(issues)
    return PolicyDocument(
        file,
        model.departement,
        model.version,
        model.effective_date,
        model.author,
        model.description,
        model.deadlines,
        tuple(rules),
        tuple(cases),
        model.protocols,
        model.refusal_consequences,
        tuple(ranking),
        targets,
    )


def _action(raw: Any, path: Path_, issue: Any) -> ActionCall | None:
    """`- escalate: {to: lead_referent, reason: "…"}` → ActionCall, or an issue."""
    if not (isinstance(raw, dict) and len(raw) == 1):
        issue(path, "une action s'écrit « nom_de_l_action: {paramètres} »")
        return None
    ((name, params),) = raw.items()
    if name not in ACTIONS:
        issue(path, f"action inconnue « {name} » ; actions possibles : {', '.join(ACTIONS)}")
        return None
    params = params or {}
    if not isinstance(params, dict):
        issue(path + (name,), "les paramètres s'écrivent en dictionnaire {nom: valeur}")
        return None
    problems = check_action(name, params)
    for problem in problems:
        issue(path + (name,), problem)
    if problems:
        return None
    return ActionCall(name, tuple(sorted((k, str(v)) for k, v in params.items())))


MESSAGES = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "string_too_short": "trop court",
    "string_pattern_mismatch": "format invalide (minuscules, chiffres, - et _)",
    "too_short": "au moins un élément",
    "date_from_datetime_parsing": "date invalide (AAAA-MM-JJ)",
    "date_parsing": "date invalide (AAAA-MM-JJ)",
    "date_type": "date invalide (AAAA-MM-JJ)",
    "string_type": "un texte est attendu",
    "list_type": "une liste est attendue",
    "dict_type": "un dictionnaire est attendu",
    "model_type": "un dictionnaire est attendu",
}


def _french(err: Any) -> str:
    return MESSAGES.get(err["type"], f"valeur invalide ({err['msg']})")


def located(issues: list[Issue], texts: dict[str, str]) -> list[Issue]:
    """Give a line to issues about a rule or a case (`rules.<id>`, `cases.<name>`)."""
    out = []
    for issue in issues:
        section, _, name = issue.field.partition(".")
        text = texts.get(issue.file)
        if issue.line is None and text is not None and section in ("rules", "cases") and name:
            try:
                root, raw = load(issue.file, text)
            except PolicyInvalid:
                root = raw = None
            items = raw.get(section) if isinstance(raw, dict) else None
            key = "id" if section == "rules" else "name"
            for i, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict) and str(item.get(key)) == name:
                    issue = replace(issue, line=line_of(root, (section, i, key)))
                    break
        out.append(issue)
    return out
