"""Indicators (issue 12, « proposition v1 »): each with one written definition, the same in every
département — who is counted, how, from which tables — and what an answer holds.

The guide leaves the national set to a working group: these definitions are a proposal, marked
as such in every answer, and change here only (the README's table is generated from them).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from models.vocab import Coded

STATUS = "proposition v1"


class Indicator(Coded):
    APPELS_115_RECUS = "appels_115_recus", "appels reçus au 115"
    APPELS_115_DECROCHES = "appels_115_decroches", "appels décrochés au 115"
    DEMANDES_115_SANS_PLACE = "demandes_115_sans_place", "demandes au 115 sans place"
    PERSONNES_VEILLE_SOCIALE = "personnes_veille_sociale", "personnes rencontrées (veille sociale)"
    FLASH_DANS_72H = "flash_dans_72h", "évaluations flash faites dans les 72 h"
    FLASH_DELAI_MEDIAN = "flash_delai_median_h", "délai médian de l'évaluation flash (heures)"
    APPROFONDIE_DANS_2_MOIS = "approfondie_dans_2_mois", "évaluations approfondies dans les 2 mois"
    APPROFONDIE_DELAI_MEDIAN = "approfondie_delai_median_j", "délai médian de l'approfondie (j)"
    ORIENTATIONS_PROPOSEES = "orientations_proposees", "orientations proposées"
    ORIENTATIONS_ACCEPTEES = "orientations_acceptees", "orientations acceptées"
    ORIENTATIONS_REFUSEES = "orientations_refusees", "orientations refusées (par motif)"
    DEMANDES_POURVUES = "demandes_pourvues", "demandes pourvues"
    DEMANDES_NON_POURVUES = "demandes_non_pourvues", "demandes non pourvues"
    MENAGES_HEBERGES = "menages_heberges", "ménages hébergés"
    PERSONNES_HEBERGEES = "personnes_hebergees", "personnes hébergées"
    MENAGES_LOGES = "menages_loges", "ménages logés"
    PERSONNES_LOGEES = "personnes_logees", "personnes logées"
    DUREE_SEJOUR = "duree_sejour_j", "durée de séjour par type de place (jours)"
    DUREE_SANS_LOGEMENT = "duree_sans_logement_j", "durée sans logement (jours)"
    PREMIERES_DEMANDES = "premieres_demandes", "premières demandes"
    RETOURS_APRES_LOGEMENT = "retours_apres_logement", "retours après un accès au logement"
    DLS_ACTIVE = "dls_active", "ménages éligibles avec une DLS active"
    SYPLO_LABELLISES = "syplo_labellises", "ménages éligibles labellisés SYPLO"
    ESCALADES_LEVEES = "escalades_levees", "alertes levées"
    ESCALADES_RESOLUES = "escalades_resolues", "alertes résolues"


@dataclass(frozen=True)
class Definition:
    universe: str  # who is counted
    formula: str  # how (median rule, buckets)
    sources: tuple[str, ...]  # the tables read
    unit: str = "nombre"


K = Indicator
MEDIAN = (
    "médiane : la valeur du milieu des délais triés ; pour un nombre pair de valeurs, la moyenne "
    "des deux du milieu"
)
DEFINITIONS: dict[Indicator, Definition] = {
    K.APPELS_115_RECUS: Definition(
        "les jours de la période importés du système téléphonique du 115",
        "somme des appels reçus (des appels, pas des demandes ni des personnes)",
        ("callday",),
    ),
    K.APPELS_115_DECROCHES: Definition(
        "les mêmes jours",
        "somme des appels décrochés ; détail : taux de décroché (décrochés / reçus, en %)",
        ("callday",),
    ),
    K.DEMANDES_115_SANS_PLACE: Definition(
        "les demandes traitées par les écoutants du 115 dans la période",
        "nombre de celles non pourvues faute de place ; détail : demandes, mises à l'abri "
        "demandées, ménages distincts connus",
        ("callrequest",),
    ),
    K.PERSONNES_VEILLE_SOCIALE: Definition(
        "les personnes des ménages dont le premier contact, dans la période, vient d'une maraude, "
        "d'un accueil de jour ou d'une équipe mobile",
        "nombre de personnes (pas d'appels, pas de demandes)",
        ("household", "person"),
    ),
    K.FLASH_DANS_72H: Definition(
        "les ménages rencontrés dans la période",
        "part de ceux dont l'évaluation flash (date déclarée) a eu lieu au plus 72 h après la "
        "rencontre ; 72 h pile est dans les temps ; tranches : ≤ 72 h, 4–7 j, 8–30 j, > 30 j, "
        "non faite",
        ("household", "flashevaluation"),
        "%",
    ),
    K.FLASH_DELAI_MEDIAN: Definition(
        "les ménages rencontrés dans la période et évalués",
        f"délai rencontre → évaluation flash, en heures ; {MEDIAN}",
        ("household", "flashevaluation"),
        "heures",
    ),
    K.APPROFONDIE_DANS_2_MOIS: Definition(
        "les ménages dont la première évaluation flash a eu lieu dans la période",
        "part de ceux dont la première évaluation approfondie a eu lieu au plus deux mois "
        "calendaires après l'évaluation flash",
        ("flashevaluation", "indepthevaluation"),
        "%",
    ),
    K.APPROFONDIE_DELAI_MEDIAN: Definition(
        "les mêmes ménages, évalués en profondeur",
        f"délai évaluation flash → approfondie, en jours ; {MEDIAN}",
        ("flashevaluation", "indepthevaluation"),
        "jours",
    ),
    K.ORIENTATIONS_PROPOSEES: Definition(
        "les orientations proposées dans la période", "nombre", ("orientation",)
    ),
    K.ORIENTATIONS_ACCEPTEES: Definition(
        "les orientations proposées dans la période", "nombre de celles acceptées", ("orientation",)
    ),
    K.ORIENTATIONS_REFUSEES: Definition(
        "les orientations proposées dans la période",
        "nombre de celles refusées, et par motif de refus",
        ("orientation",),
    ),
    K.DEMANDES_POURVUES: Definition(
        "les ménages ayant reçu une préconisation de commission dans la période",
        "nombre de ceux admis ou logés après cette préconisation, avant la fin de la période",
        ("commissiondecision", "placement"),
    ),
    K.DEMANDES_NON_POURVUES: Definition(
        "les mêmes ménages",
        "nombre de ceux sans admission ni logement à la fin de la période",
        ("commissiondecision", "placement"),
    ),
    K.MENAGES_HEBERGES: Definition(
        "les admissions en hébergement commencées dans la période",
        "nombre de ménages distincts",
        ("placement",),
    ),
    K.PERSONNES_HEBERGEES: Definition(
        "les mêmes ménages", "nombre de leurs personnes", ("placement", "person")
    ),
    K.MENAGES_LOGES: Definition(
        "les accès au logement dans la période", "nombre de ménages distincts", ("placement",)
    ),
    K.PERSONNES_LOGEES: Definition(
        "les mêmes ménages", "nombre de leurs personnes", ("placement", "person")
    ),
    K.DUREE_SEJOUR: Definition(
        "les séjours en hébergement présents dans la période",
        "jours de l'admission à la place suivante, à la sortie ou, pour qui est encore présent, à "
        f"la fin de la période (séjour à cheval sur deux années compté en entier) ; moyenne et "
        f"{MEDIAN}, par type de place",
        ("placement", "household"),
        "jours",
    ),
    K.DUREE_SANS_LOGEMENT: Definition(
        "les ménages logés dans la période",
        "jours de la rencontre (ou du début de l'errance quand il est connu) à l'accès au "
        f"logement ; moyenne et {MEDIAN}",
        ("household", "placement"),
        "jours",
    ),
    K.PREMIERES_DEMANDES: Definition(
        "les ménages rencontrés dans la période",
        "nombre de ceux sans parcours précédent dans les 730 jours avant la rencontre (le "
        "parcours précédent est celui que nomme le premier contact quand le ménage est reconnu)",
        ("household",),
    ),
    K.RETOURS_APRES_LOGEMENT: Definition(
        "les ménages ayant accédé à un logement dans les 730 jours avant la fin de la période",
        "part de ceux revenus (un nouveau premier contact nommant ce parcours) avant la fin de "
        "la période ; tranches du délai depuis l'accès au logement : 0–180, 181–365, 366–730 j "
        "(indicateur de maintien dans le logement)",
        ("household", "placement"),
        "%",
    ),
    K.DLS_ACTIVE: Definition(
        "les ménages ouverts à la fin de la période qui souhaitent un logement et dont la "
        "situation administrative le permet",
        "part de ceux dont la demande de logement social a moins d'un an à la fin de la période",
        ("household",),
        "%",
    ),
    K.SYPLO_LABELLISES: Definition(
        "les mêmes ménages", "part de ceux inscrits dans SYPLO", ("household",), "%"
    ),
    K.ESCALADES_LEVEES: Definition(
        "les alertes (échéances dépassées, escalades des règles) levées dans la période",
        "nombre",
        ("alert",),
    ),
    K.ESCALADES_RESOLUES: Definition(
        "les alertes levées dans la période",
        "nombre de celles résolues avant la fin de la période",
        ("alert",),
    ),
}


class Scope(BaseModel):
    """Who and when: some départements, a period [start, end)."""

    departements: list[str]
    start: AwareDatetime
    end: AwareDatetime

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, moment: datetime) -> datetime:
        """In UTC, as stored: SQLite would compare a bound's wall time, dropping its offset."""
        return moment.astimezone(UTC)


class IndicatorValue(BaseModel):
    code: Indicator
    label: str
    status: str = STATUS
    universe: str
    formula: str
    sources: list[str]
    unit: str
    value: float | None = Field(description="None : rien à compter dans la période")
    count: int = Field(description="taille de l'univers")
    details: dict[str, float | int | None] = Field(default_factory=dict)
    target: float | None = Field(None, description="cible CPO de la politique du département")
    gap: float | None = Field(None, description="valeur − cible")


def definitions_markdown() -> str:
    """The README's table of definitions (tests/test_readme_matrix.py keeps them equal)."""
    lines = [
        "| indicateur | univers (qui est compté) | formule | sources | unité |",
        "|---|---|---|---|---|",
    ]
    for code, d in DEFINITIONS.items():
        sources = ", ".join(f"`{s}`" for s in d.sources)
        lines.append(
            f"| `{code.value}` {code.label} | {d.universe} | {d.formula} | {sources} | {d.unit} |"
        )
    return "\n".join(lines)
