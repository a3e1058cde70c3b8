"""Value lists of the commission, orientations, admissions, housing and exits."""

from models.vocab import Coded


class CommissionKind(Coded):
    UNIQUE = "unique", "commission unique (interne)"
    PARTENARIALE = "partenariale", "commission partenariale d'orientation"


class Recommendation(Coded):
    LOGEMENT = "logement", "logement"
    HEBERGEMENT = "hebergement", "hébergement"
    ACCOMPAGNEMENT = "accompagnement", "accompagnement"


class PlaceType(Coded):
    LOGEMENT_ORDINAIRE = "logement_ordinaire", "logement ordinaire"
    IML = "iml", "IML (intermédiation locative)"
    PENSION_FAMILLE = "pension_de_famille", "pension de famille"
    RESIDENCE_ACCUEIL = "residence_accueil", "résidence accueil"
    RESIDENCE_SOCIALE = "residence_sociale", "résidence sociale / logement-foyer"
    ALT = "alt", "ALT"
    CHRS = "chrs", "CHRS"
    HEBERGEMENT_URGENCE = "hebergement_urgence", "hébergement d'urgence"
    HEBERGEMENT_SPECIALISE = "hebergement_specialise", "hébergement spécialisé"
    HOTEL = "hotel", "hôtel"
    DNA = "dna", "DNA"


HOUSING_PLACES = frozenset(
    {
        PlaceType.LOGEMENT_ORDINAIRE,
        PlaceType.IML,
        PlaceType.PENSION_FAMILLE,
        PlaceType.RESIDENCE_ACCUEIL,
        PlaceType.RESIDENCE_SOCIALE,
    }
)


class HousingPlace(Coded):
    """The housing a recommendation may look at first (R-COM-1): the housing places above."""

    LOGEMENT_ORDINAIRE = PlaceType.LOGEMENT_ORDINAIRE.value, PlaceType.LOGEMENT_ORDINAIRE.label
    IML = PlaceType.IML.value, PlaceType.IML.label
    PENSION_FAMILLE = PlaceType.PENSION_FAMILLE.value, PlaceType.PENSION_FAMILLE.label
    RESIDENCE_ACCUEIL = PlaceType.RESIDENCE_ACCUEIL.value, PlaceType.RESIDENCE_ACCUEIL.label
    RESIDENCE_SOCIALE = PlaceType.RESIDENCE_SOCIALE.value, PlaceType.RESIDENCE_SOCIALE.label


class ShelterPlace(Coded):
    """The other places: a recommendation of one of them needs a `NotHousingReason`."""

    ALT = PlaceType.ALT.value, PlaceType.ALT.label
    CHRS = PlaceType.CHRS.value, PlaceType.CHRS.label
    HEBERGEMENT_URGENCE = PlaceType.HEBERGEMENT_URGENCE.value, PlaceType.HEBERGEMENT_URGENCE.label
    HEBERGEMENT_SPECIALISE = (
        PlaceType.HEBERGEMENT_SPECIALISE.value,
        PlaceType.HEBERGEMENT_SPECIALISE.label,
    )
    HOTEL = PlaceType.HOTEL.value, PlaceType.HOTEL.label
    DNA = PlaceType.DNA.value, PlaceType.DNA.label


class NotHousingReason(Coded):
    """Why a recommendation is not housing. R-COM-1: only the person's wish and administrative
    situation may block housing; a lack of income never does (it calls for accompaniment)."""

    SOUHAIT = "souhait", "la personne ne souhaite pas de logement pour le moment"
    SITUATION_ADMINISTRATIVE = (
        "situation_administrative",
        "sa situation administrative ne permet pas l'accès au logement",
    )


def is_housing(place: PlaceType | str | None) -> bool:
    return place is not None and place in {p.value for p in HOUSING_PLACES}


class RankingCriterion(Coded):
    """One criterion of the explicit order in which a vacancy's candidates are ranked, set per
    département in its policy file (`ranking:`), the first deciding first; a tie-breaker drawn
    once per household ends every tie. No opaque score."""

    ENFANTS = "enfants", "les ménages avec enfants d'abord"
    VULNERABILITE = "vulnerabilite", "la plus grande vulnérabilité d'abord (évaluation flash)"
    SEJOUR_LONG = "sejour_long", "un séjour anormalement long en hébergement d'abord (R-HOUS-1)"
    SYPLO = "syplo", "les ménages labellisés SYPLO d'abord (public prioritaire)"
    ANCIENNETE = "anciennete", "la demande la plus ancienne d'abord"


DEFAULT_RANKING = (RankingCriterion.VULNERABILITE, RankingCriterion.ANCIENNETE)


class Measure(Coded):
    AVDL = "avdl", "AVDL"
    ASLL = "asll", "ASLL"
    FSL = "fsl", "FSL"
    ACCES_DROITS = (
        "acces_droits",
        "accompagnement vers les droits et l'emploi (coordonné par le référent principal)",
    )
    AUTRE = "autre", "autre mesure"


class OrientationAnswer(Coded):
    ACCEPTEE = "acceptee", "acceptée"
    REFUSEE = "refusee", "refusée"


class RefusedBy(Coded):
    MENAGE = "menage", "le ménage"
    STRUCTURE = "structure", "la structure"
    ADMINISTRATIF = "administratif", "motif administratif"


class RefusalReason(Coded):
    # by the structure
    PUBLIC_NON_CORRESPONDANT = "public_non_correspondant", "ne correspond pas au public"
    INELIGIBLE_FINANCEMENT = "ineligible_financement", "inéligible au financement"
    PLACE_INDISPONIBLE = "place_indisponible", "place plus disponible / attribuée"
    ACCOMPAGNEMENT_INSUFFISANT = (
        "accompagnement_insuffisant",
        "besoin d'accompagnement plus soutenu",
    )
    SANTE_SECURITE = "sante_securite", "santé et sécurité"
    INJOIGNABLE = "injoignable", "ménage injoignable après plusieurs tentatives"
    NON_PRESENTE = "non_presente", "ne s'est pas présenté"
    # by the household
    AUTRE_SOLUTION = "autre_solution", "a une autre solution"
    LOCALISATION = "localisation", "ne souhaite pas ce quartier / cette commune"
    TYPE_HEBERGEMENT = "type_hebergement", "ne souhaite pas ce type d'hébergement"
    SANS_ACCOMPAGNEMENT = "sans_accompagnement", "ne souhaite pas d'accompagnement"
    PAS_MAINTENANT = "pas_maintenant", "ne souhaite pas être hébergé maintenant"
    ENVIRONNEMENT_DANGEREUX = "environnement_dangereux", "environnement jugé dangereux"
    # administrative
    ORIENTATION_EXPIREE = "orientation_expiree", "orientation expirée"
    VACANCE_ERRONEE = "vacance_erronee", "vacance saisie par erreur"
    PLACE_POURVUE = "place_pourvue", "place pourvue par un autre ménage"
    PLUS_ELIGIBLE = "plus_eligible", "ménage plus éligible"
    PERDU_DE_VUE = "perdu_de_vue", "perdu de vue"
    AUTRE = "autre", "autre (précisez)"


class ExitSituation(Coded):
    LOGEMENT_SOCIAL = "logement_social", "logement social"
    LOGEMENT_PRIVE = "logement_prive", "logement privé"
    IML = "iml", "IML"
    PENSION_FAMILLE = "pension_de_famille", "pension de famille"
    RESIDENCE_SOCIALE = "residence_sociale", "résidence sociale"
    CHRS = "chrs", "CHRS"
    HEBERGEMENT_URGENCE = "hebergement_urgence", "hébergement d'urgence"
    DISPOSITIF_ASILE = "dispositif_asile", "dispositif asile"
    HOPITAL = "hopital", "hôpital"
    LHSS = "lhss", "LHSS"
    DETENTION = "detention", "détention"
    RETOUR_PAYS = "retour_au_pays", "retour au pays"
    DECES = "deces", "décès"
    DEPART_VOLONTAIRE = "depart_volontaire", "départ volontaire"
    EXCLUSION = "exclusion", "exclusion"
    SANS_NOUVELLES = "sans_nouvelles_115", "n'a pas rappelé le 115"
    NON_PRESENTE = "non_presente", "ne s'est pas présenté"
    AUTRE_SOLUTION = "autre_solution", "a trouvé une autre solution"
    AUTRE_DEPARTEMENT = "autre_departement", "pris en charge par un autre département"
    FIN_SUIVI = "fin_suivi_post_logement", "fin de la fenêtre de suivi post-logement"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"
