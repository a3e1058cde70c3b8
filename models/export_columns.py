"""The anonymised export's columns (R-OBS-1) and their generalisation hierarchies.

**One row per household** (not per person): k-anonymity then counts households, so the members
of one family can never make up a group of k rows on their own, and the sensitive attributes —
recorded per household (the in-depth evaluation, the flash evaluation) — are not repeated once
per member. The age band and the sex are the main applicant's (`lui_meme`); the household's
size is a band.

Nothing else leaves: no name, nickname, id, free text, date (the period is the request's, in
months), exact age or year of birth, structure or worker. Every value is a code of the lists
below; each quasi-identifier has its generalisation hierarchy, level 0 being the finest value
ever exported (ages are bands from level 0 on, places départements, residential situations
groups that do not tell asylum, detention or hospital apart), each level's codes distinct from
every other level's, the last level `*` (suppressed).
"""

from collections.abc import Mapping

from models.vocab import AdministrativeSituation, ResidentialSituation, Sex, Vulnerability
from models.vocab import Typology as Typo

ANY = "*"  # the top of every hierarchy: the value is suppressed
NOT_SAID = "non_renseigne"

# ---- The dataset's columns ----------------------------------------------------------------

AGE, SEX, TYPOLOGY, SIZE, PLACE, RESIDENTIAL = (
    "tranche_age",
    "sexe",
    "typologie",
    "taille_menage",
    "territoire",
    "situation_residentielle",
)
QUASI_IDENTIFIERS: tuple[str, ...] = (AGE, SEX, TYPOLOGY, SIZE, PLACE, RESIDENTIAL)
ADMINISTRATIVE, VULNERABILITY, HEALTH = "situation_administrative", "vulnerabilite", "besoins_sante"
SENSITIVE: tuple[str, ...] = (ADMINISTRATIVE, VULNERABILITY, HEALTH)
COLUMNS: tuple[str, ...] = (*QUASI_IDENTIFIERS, *SENSITIVE)

# Ages (the main applicant's, in the year of the first contact): bands from level 0 on.
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 17, "0-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
    (65, None, "65+"),
)


def age_band(age: int | None) -> str:
    if age is None or age < 0 or age > 120:
        return NOT_SAID
    return next(
        label for low, high, label in AGE_BANDS if low <= age and (high is None or age <= high)
    )


def size_band(members: int) -> str:
    return "1" if members <= 1 else "2" if members == 2 else "3-4" if members <= 4 else "5+"


OTHER_PLACE = "autre_ou_non_renseigne"
# Residential situations, in groups that do not tell asylum, detention or hospital apart
# (models/sensitivity.py: those codes are need-to-know).
RESIDENTIAL_GROUPS: dict[str, str] = {
    **dict.fromkeys(
        (ResidentialSituation.RUE, ResidentialSituation.ERRANCE, ResidentialSituation.SQUAT),
        "sans_abri",
    ),
    **dict.fromkeys(
        (ResidentialSituation.CHEZ_AMIS, ResidentialSituation.CHEZ_FAMILLE), "chez_des_tiers"
    ),
    **dict.fromkeys(
        (
            ResidentialSituation.HOTEL_115,
            ResidentialSituation.HOTEL_HORS_115,
            ResidentialSituation.HEBERGEMENT,
            ResidentialSituation.HIVERNAL,
            ResidentialSituation.ASILE,
        ),
        "hotel_ou_hebergement",
    ),
    **dict.fromkeys(
        (
            ResidentialSituation.RESIDENCE_SOCIALE,
            ResidentialSituation.PENSION_FAMILLE,
            ResidentialSituation.IML,
            ResidentialSituation.LOCATAIRE,
        ),
        "logement",
    ),
    **dict.fromkeys(
        (
            ResidentialSituation.DETENTION,
            ResidentialSituation.MEDICAL,
            ResidentialSituation.AUTRE,
            ResidentialSituation.NON_RENSEIGNE,
        ),
        OTHER_PLACE,
    ),
}

# Régions (INSEE, 2016) of the départements: the place's second level.
REGIONS: dict[str, tuple[str, ...]] = {
    "auvergne-rhone-alpes": (
        *("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),
    ),
    "bourgogne-franche-comte": ("21", "25", "39", "58", "70", "71", "89", "90"),
    "bretagne": ("22", "29", "35", "56"),
    "centre-val-de-loire": ("18", "28", "36", "37", "41", "45"),
    "corse": ("2A", "2B"),
    "grand-est": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    "hauts-de-france": ("02", "59", "60", "62", "80"),
    "ile-de-france": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "normandie": ("14", "27", "50", "61", "76"),
    "nouvelle-aquitaine": (
        *("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),
    ),
    "occitanie": (*("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),),
    "pays-de-la-loire": ("44", "49", "53", "72", "85"),
    "provence-alpes-cote-d-azur": ("04", "05", "06", "13", "83", "84"),
    "guadeloupe": ("971",),
    "martinique": ("972",),
    "guyane": ("973",),
    "la-reunion": ("974",),
    "mayotte": ("976",),
}
REGION_OF: dict[str, str] = {dep: region for region, deps in REGIONS.items() for dep in deps}

# Each quasi-identifier: its level-0 codes, and for each further level where each goes.
Levels = tuple[Mapping[str, str], ...]
_AGE_1 = {
    "0-17": "<18",
    "18-24": "18-34",
    "25-34": "18-34",
    "35-44": "35-54",
    "45-54": "35-54",
    "55-64": "55+",
    "65+": "55+",
    NOT_SAID: "age_non_renseigne",
}
_TYPOLOGY_1 = {
    Typo.PERSONNE_ISOLEE: "sans_enfant",
    Typo.COUPLE_SANS_ENFANT: "sans_enfant",
    Typo.FAMILLE_MONOPARENTALE: "avec_enfants",
    Typo.COUPLE_AVEC_ENFANTS: "avec_enfants",
    Typo.GROUPE: "groupe_ou_non_renseigne",
    Typo.NON_RENSEIGNE: "groupe_ou_non_renseigne",
}
_SIZE_1 = {"1": "une_personne", "2": "plusieurs", "3-4": "plusieurs", "5+": "plusieurs"}


def _top(codes: Mapping[str, str] | list[str]) -> dict[str, str]:
    return dict.fromkeys(codes, ANY)


FIXED_LEVELS: dict[str, Levels] = {
    AGE: (_AGE_1, _top(_AGE_1)),
    SEX: (_top([s.value for s in Sex]),),
    TYPOLOGY: ({str(k): v for k, v in _TYPOLOGY_1.items()}, _top([t.value for t in Typo])),
    SIZE: (_SIZE_1, _top(_SIZE_1)),
    RESIDENTIAL: (_top(sorted(set(RESIDENTIAL_GROUPS.values()))),),
}


def place_levels(departements: list[str]) -> Levels:
    """Département → région → France (a code outside the list: « region_inconnue »)."""
    return (
        {dep: REGION_OF.get(dep, "region_inconnue") for dep in departements},
        _top(departements),
    )


def hierarchy(levels: Levels) -> dict[int, list[str]]:
    """anjana's form of a hierarchy: for each level, the list of each level-0 code's value."""
    codes = list(levels[0])
    return {0: codes, **{i + 1: [level[c] for c in codes] for i, level in enumerate(levels)}}


def hierarchies(departements: list[str]) -> dict[str, dict[int, list[str]]]:
    """Fresh hierarchies for every quasi-identifier (anjana changes the ones it is given)."""
    levels = {**FIXED_LEVELS, PLACE: place_levels(sorted(set(departements)))}
    return {qi: hierarchy(levels[qi]) for qi in QUASI_IDENTIFIERS}


# Sensitive attributes: the household's administrative situation (latest in-depth evaluation),
# vulnerability (latest flash evaluation) and the health expertise it needs.
HEALTH_EXPERTISE = ("addiction", "medicale", "sante_mentale")
NO_HEALTH_NEED = "aucun"
SENSITIVE_CODES: dict[str, frozenset[str]] = {
    ADMINISTRATIVE: frozenset(a.value for a in AdministrativeSituation),
    VULNERABILITY: frozenset(v.value for v in Vulnerability),
}


def health_needs(expertise: list[str] | None) -> str:
    """The health expertise a household needs, as one code (`addiction+sante_mentale`);
    `aucun` when the flash evaluation named none, `non_renseigne` without one."""
    if expertise is None:
        return NOT_SAID
    needs = sorted(set(expertise) & set(HEALTH_EXPERTISE))
    return "+".join(needs) if needs else NO_HEALTH_NEED
