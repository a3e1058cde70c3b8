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


class Measure(Coded):
    AVDL = "avdl", "AVDL"
    ASLL = "asll", "ASLL"
    FSL = "fsl", "FSL"
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
