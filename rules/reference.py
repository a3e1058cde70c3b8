"""The French reference page of the rule vocabulary (docs/vocabulaire-des-regles.md), generated
from rules/vocabulary.py so it can never drift from what the validator accepts."""

from models.decisions import DeadlineSet
from models.offer import StructureKind
from models.protocol import REASON_PARTY, Consequence, ProtocolDelays
from models.vocab import Coded
from models.vocab_orientation import RankingCriterion, RefusalReason
from rules.vocabulary import ACTIONS, FACTS, OPERATORS, FactSpec

KINDS = {
    "code": "code",
    "codes": "liste de codes",
    "bool": "oui / non (`true` / `false`)",
    "int": "nombre entier",
}
OPERATOR_USE = {
    "eq": "tout fait (forme courte : `fait: valeur`)",
    "ne": "tout fait",
    "lt": "nombres",
    "lte": "nombres",
    "gt": "nombres",
    "gte": "nombres",
    "in": "codes, nombres (forme courte : `fait: [a, b]`)",
    "not_in": "codes, nombres",
    "contains": "listes de codes",
}
DEADLINES = {
    "flash": "évaluation flash après la rencontre (R-EVAL-2, cible 72 h)",
    "in_depth": "évaluation approfondie après l'évaluation flash (R-EVAL-4, cible 2 mois)",
    "orientation_response": "réponse de la structure ou du ménage à une orientation",
    "reevaluation": "réactualisation de l'évaluation, par intensité d'accompagnement "
    "(`leger`, `moyen`, `intensif`)",
    "review": "revue de parcours périodique (R-FOLLOW-1)",
    "follow_up_window": "fenêtre de suivi post-logement, deux ans au plus (R-HOUS-3)",
    "escalation": "délai avant d'alerter le niveau suivant quand une évaluation reste en retard "
    "(R-EVAL-5)",
    "abnormal_stay": "durée de séjour en hébergement jugée anormalement longue (R-HOUS-1) : "
    "elle calcule le fait `long_stay` ; le jour où un séjour l'atteint, l'échéance `long_stay` "
    "échoit et les règles sont évaluées sans attendre une action",
    "dls_renewal": "âge d'une demande de logement social qui la rend à renouveler (un an) : "
    "ce jour-là, l'échéance `dls_renewal` échoit et les règles sont évaluées",
}

EXAMPLE = """\
```yaml
rules:
  - id: familles-refus-repetes
    title: Familles ayant refusé trois orientations ou plus
    description: >-
      Une famille avec enfants dont la troisième orientation est refusée est examinée en
      commission partenariale.
    when:
      event: orientation_refused          # égalité
      has_children: true
      refusals_count: {gte: 3}            # comparaison
      not: {refused_by: administratif}    # négation
    then:
      - route_to_partnership_commission:
          reason: "Famille avec enfants : trois orientations refusées ou plus"

cases:
  - name: famille au troisième refus d'orientation
    facts: {event: orientation_refused, has_children: true, refusals_count: 3, refused_by: menage}
    expect:
      - route_to_partnership_commission:
          reason: "Famille avec enfants : trois orientations refusées ou plus"
  - name: famille au deuxième refus (aucune action)
    facts: {event: orientation_refused, has_children: true, refusals_count: 2}
    expect: []
```"""


def _codes(codes: type[Coded] | None) -> str:
    if codes is None:
        return "—"
    return "<br>".join(f"`{c.value}` : {c.label}" for c in codes)


def _default(spec: FactSpec) -> str:
    if spec.kind == "codes":
        return "`[]`"
    if spec.kind == "bool":
        return "`false`"
    if spec.default == "":
        return "(vide)"
    return f"`{spec.default}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def reference_markdown() -> str:
    """The whole page, deterministic (no date): a test checks the committed copy is current."""
    out = [
        "# Vocabulaire des règles",
        "",
        "<!-- Page générée par `siao policies reference` à partir de rules/vocabulary.py : "
        "ne pas modifier à la main. -->",
        "",
        "Les politiques des départements sont des fichiers YAML dans `policies/` : "
        "`_national.yaml` porte les cibles nationales du guide de l'instruction du 31 mars 2022, "
        "et chaque département (`75.yaml`, `93.yaml`…) peut les compléter ou les remplacer. "
        "Un fichier contient :",
        "",
        "- des **métadonnées** : `departement`, `version`, `effective_date` (AAAA-MM-JJ), "
        "`author`, `description` (en français) ;",
        "- `deadlines` : des durées ISO 8601 (`PT72H` = 72 heures, `P15D` = 15 jours, "
        "`P2M` = 2 mois, `P1Y` = un an) ; un département ne donne que celles qu'il change ;",
        "- `protocols` : les délais du protocole d'orientation, par type de structure, et "
        "`refusal_consequences` : la conséquence de chaque motif de refus d'une orientation "
        "(voir plus bas) ;",
        "- `ranking` : l'ordre des candidats d'une vacance, une liste de critères (voir plus "
        "bas) ;",
        "- `rules` : des règles « quand … alors … » écrites avec les faits et les actions "
        "ci-dessous ; une règle d'un département qui reprend l'identifiant d'une règle "
        "nationale la remplace ;",
        "- `cases` : des cas de test (des faits, et toutes les actions attendues). Chaque règle "
        "doit être déclenchée par au moins un cas ; un cas sans action attendue s'écrit "
        "`expect: []`.",
        "",
        "Avant d'enregistrer un fichier : `siao policies validate FICHIER`, "
        "`siao policies test FICHIER`, puis `siao policies dry-run FICHIER` pour voir ce que "
        "le changement ferait sur les parcours ouverts. Un fichier enregistré est pris en "
        "compte sans redémarrage s'il passe toutes les vérifications ; sinon il est refusé, "
        "avec son motif, et la version précédente reste en vigueur (`siao policies list`).",
        "",
        "## Échéances (`deadlines`)",
        "",
        "| échéance | signification |",
        "|---|---|",
    ]
    for name in DeadlineSet.model_fields:
        out.append(f"| `{name}` | {DEADLINES.get(name, '—')} |")
    out += _protocols()
    out += [
        "",
        "## Faits (`when`)",
        "",
        "Chaque évaluation voit tous les faits : un fait non renseigné prend sa valeur par défaut.",
        "",
        "| fait | type | signification | valeurs possibles | par défaut |",
        "|---|---|---|---|---|",
    ]
    for name, spec in FACTS.items():
        out.append(
            f"| `{name}` | {KINDS[spec.kind]} | {_cell(spec.label)} | {_codes(spec.codes)} "
            f"| {_default(spec)} |"
        )
    out += [
        "",
        "`long_stay` n'est pas saisi : il vaut `true` quand `days_in_shelter` atteint la durée "
        "`abnormal_stay` de la politique. Dans un cas de test, donnez les deux "
        "(`days_in_shelter: 600` et `long_stay: true`).",
        "",
        "## Conditions",
        "",
        "Une condition compare un fait à une valeur. Plusieurs faits dans une même condition "
        "doivent tous être vrais ; `all` (toutes), `any` (au moins une) et `not` (le "
        "contraire) se combinent librement.",
        "",
        "| opérateur | signification | s'applique aux |",
        "|---|---|---|",
    ]
    for op, label in OPERATORS.items():
        out.append(f"| `{op}` | {label} | {OPERATOR_USE.get(op, '—')} |")
    out += [
        "",
        "Exemples : `vulnerability: critique`, `event: [flash_recorded, in_depth_recorded]`, "
        "`dls_age_days: {gte: 330}`, `expertise_needed: {contains: violences}`, "
        "`not: {residential_situation: dispositif_asile}`.",
        "",
        "## Actions (`then`)",
        "",
        "| action | signification | paramètres |",
        "|---|---|---|",
    ]
    for name, action in ACTIONS.items():
        params = "<br>".join(
            f"`{p}` : {spec.label}"
            + (f" — {', '.join(f'`{c.value}`' for c in spec.codes)}" if spec.codes else "")
            for p, spec in action.params.items()
        )
        out.append(f"| `{name}` | {_cell(action.label)} | {params or '—'} |")
    out += [
        "",
        "Valeurs des paramètres codés :",
        "",
    ]
    for name, action in ACTIONS.items():
        for p, param in action.params.items():
            if param.codes:
                out.append(f"- `{name}` → `{p}` : {'; '.join(_labels(param.codes))}")
    out += [
        "",
        "## Exemple commenté",
        "",
        "Une règle inspirée de celle de la Seine-Saint-Denis, et ses deux cas de test : le "
        "premier vérifie que la règle se déclenche, le second qu'elle ne se déclenche pas "
        "trop tôt.",
        "",
        EXAMPLE,
        "",
        "Les actions attendues d'un cas sont comparées à celles de toutes les règles "
        "déclenchées (nationales comprises) : l'ordre ne compte pas, mais chaque action et "
        "chaque paramètre doivent correspondre exactement.",
        "",
    ]
    return "\n".join(out)


def _labels(codes: type[Coded]) -> list[str]:
    return [f"`{c.value}` : {c.label}" for c in codes]


PROTOCOL_EXAMPLE = """\
```yaml
protocols:
  default:                  # tout type de structure sans entrée propre
    manager_answer: P10D
  residence_sociale:        # ne donne que ce qui change
    manager_answer: P15D
    households_per_unit: 3
refusal_consequences:
  pas_maintenant: {consequence: mise_en_attente, duration: P30D}
  plus_eligible: {consequence: jusqu_a_reevaluation}
```"""


def _protocols() -> list[str]:
    """The `protocols` and `refusal_consequences` sections (issue 10)."""
    out = [
        "",
        "## Protocole d'orientation (`protocols`)",
        "",
        "Les délais entre la déclaration d'une vacance et l'admission, par type de structure. "
        "L'entrée `default` vaut pour tout type sans entrée propre ; une entrée de type ne "
        "donne que les délais qui changent. Chaque délai se résout champ par champ : défaut "
        "national ← type national ← défaut du département ← type du département. Les durées "
        "sont d'un an au plus.",
        "",
        "| délai | signification | par défaut |",
        "|---|---|---|",
    ]
    for name, info in ProtocolDelays.model_fields.items():
        out.append(f"| `{name}` | {info.description} | `{info.default}` |")
    out += [
        "",
        "`households_per_unit` va de 1 à 5. Types de structure : "
        + " ; ".join(_labels(StructureKind))
        + ".",
        "",
        "## Conséquences des refus (`refusal_consequences`)",
        "",
        "Pour chaque motif de refus, ce que le refus coûte au ménage ; un département remplace "
        "le motif qu'il reprend, et un motif cité nulle part garde l'ancienneté du ménage. "
        "`mise_en_attente` demande une durée (`duration`, un an au plus), les autres "
        "conséquences n'en prennent pas.",
        "",
        "| conséquence | signification |",
        "|---|---|",
    ]
    out += [f"| `{c.value}` | {c.label} |" for c in Consequence]
    out += [
        "",
        "| motif de refus | signification | donné par |",
        "|---|---|---|",
    ]
    for reason in RefusalReason:
        party = REASON_PARTY.get(reason)
        out.append(
            f"| `{reason.value}` | {_cell(reason.label)} | {party.label if party else 'tous'} |"
        )
    out += ["", PROTOCOL_EXAMPLE, *_ranking()]
    return out


def _ranking() -> list[str]:
    """The `ranking` section (issue 11)."""
    out = [
        "",
        "## Ordre des candidats d'une vacance (`ranking`)",
        "",
        "Les ménages candidats à une vacance (en attente d'orientation, préconisés pour ce type "
        "de place, remplissant ses exigences, non écartés par un refus) sont classés par ces "
        "critères, l'un après l'autre : le premier départage d'abord, le suivant seulement à "
        "égalité. Un tirage au sort fait une fois pour chaque ménage, et conservé, départage "
        "les égalités restantes : l'ordre est stable et chaque rang s'explique. Un département "
        "qui donne `ranking` donne toute la liste ; sinon l'ordre national s'applique.",
        "",
        "| critère | signification |",
        "|---|---|",
    ]
    out += [f"| `{c.value}` | {c.label} |" for c in RankingCriterion]
    return out
