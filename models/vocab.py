"""Value lists as SIAO staff know them: a stable code stored, a French label shown.

Each list ends with `non_renseigne` where the person did not answer or refused.
"""

from enum import StrEnum
from typing import Any


class Coded(StrEnum):
    """A code for the database and the API, with the French label users read."""

    label: str

    def __new__(cls, code: str, label: str) -> "Coded":
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.label = label
        return obj

    @classmethod
    def describe(cls) -> str:
        return " ; ".join(f"`{m.value}` : {m.label}" for m in cls)

    @classmethod
    def _missing_(cls, value: Any) -> None:
        return None


# The code every value list uses for « non renseigné » (data quality counts it).
NOT_FILLED = "non_renseigne"


class Sex(Coded):
    FEMME = "femme", "femme"
    HOMME = "homme", "homme"
    AUTRE = "autre", "autre"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


class Typology(Coded):
    PERSONNE_ISOLEE = "personne_isolee", "personne isolée"
    COUPLE_SANS_ENFANT = "couple_sans_enfant", "couple sans enfant"
    FAMILLE_MONOPARENTALE = "famille_monoparentale", "famille monoparentale"
    COUPLE_AVEC_ENFANTS = "couple_avec_enfants", "couple avec enfant(s)"
    GROUPE = "groupe", "groupe"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


class Relationship(Coded):
    LUI_MEME = "lui_meme", "lui-même (demandeur principal)"
    CONJOINT = "conjoint", "conjoint"
    ENFANT = "enfant", "enfant"
    AUTRE_PARENT = "autre_parent", "autre parent"
    SANS_LIEN = "sans_lien", "sans lien"


class ContactChannel(Coded):
    APPEL_115 = "115", "appel au 115"
    MARAUDE = "maraude", "maraude"
    ACCUEIL_DE_JOUR = "accueil_de_jour", "accueil de jour"
    EQUIPE_MOBILE = "equipe_mobile", "équipe mobile"
    SERVICE_SOCIAL = "service_social", "service social de premier accueil"
    AUTRE = "autre", "autre"


class ResidentialSituation(Coded):
    RUE = "rue", "rue"
    ERRANCE = "errance_residentielle", "errance résidentielle"
    SQUAT = "squat_campement", "squat / campement"
    CHEZ_AMIS = "chez_amis", "chez des amis"
    CHEZ_FAMILLE = "chez_famille", "chez la famille"
    HOTEL_115 = "hotel_115", "hôtel 115"
    HOTEL_HORS_115 = "hotel_hors_115", "hôtel hors 115"
    HEBERGEMENT = "hebergement", "hébergement d'urgence / stabilisation / insertion"
    HIVERNAL = "dispositif_hivernal", "dispositif hivernal"
    ASILE = "dispositif_asile", "dispositif asile (CADA, HUDA…)"
    RESIDENCE_SOCIALE = "residence_sociale", "résidence sociale"
    PENSION_FAMILLE = "pension_de_famille", "pension de famille"
    IML = "iml", "IML"
    LOCATAIRE = "locataire", "locataire parc privé / social"
    DETENTION = "detention", "détention"
    MEDICAL = "dispositif_medical", "dispositif médical (LHSS, LAM, ACT)"
    AUTRE = "autre", "autre"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


class TimeWithoutHousing(Coded):
    MOINS_1_SEMAINE = "moins_1_semaine", "moins d'une semaine"
    SEMAINE_MOIS = "1_semaine_1_mois", "1 semaine – 1 mois"
    MOIS_6 = "1_6_mois", "1 – 6 mois"
    MOIS_6_AN = "6_mois_1_an", "6 mois – 1 an"
    ANS_1_2 = "1_2_ans", "1 – 2 ans"
    ANS_2_5 = "2_5_ans", "2 – 5 ans"
    ANS_5_10 = "5_10_ans", "5 – 10 ans"
    PLUS_10 = "plus_10_ans", "plus de 10 ans"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


class Vulnerability(Coded):
    FAIBLE = "faible", "faible"
    MOYENNE = "moyenne", "moyenne"
    ELEVEE = "elevee", "élevée"
    CRITIQUE = "critique", "critique (mise à l'abri immédiate)"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


class ImmediateNeed(Coded):
    MISE_A_L_ABRI = "mise_a_l_abri", "mise à l'abri / hébergement"
    ALIMENTATION = "alimentation", "alimentation"
    SOINS = "soins", "soins"
    HYGIENE = "hygiene", "hygiène"
    VETEMENTS = "vetements", "vêtements"
    ACCES_DROITS = "acces_droits", "accès aux droits"
    AUCUN = "aucun", "aucun besoin immédiat exprimé"


class Expertise(Coded):
    JURIDIQUE = "juridique", "juridique"
    MEDICALE = "medicale", "médicale"
    SANTE_MENTALE = "sante_mentale", "santé mentale"
    ADDICTION = "addiction", "addiction"
    SOCIALE = "sociale", "sociale"
    PROFESSIONNELLE = "professionnelle", "professionnelle"
    ADMINISTRATIVE = "administrative", "administrative"
    VIOLENCES = "violences", "violences subies"
    JUSTICE = "justice", "sous main de justice"


class FirstOrientation(Coded):
    ADAPTEE = "adaptee", "la première orientation convient"
    DNA = "dna", "réorienter vers le DNA (demande d'asile)"
    AUTRE_DEPARTEMENT = "autre_departement", "relève d'un autre département"
    SANTE = "sante", "réorienter vers une structure de soins"
    AUTRE = "autre", "autre réorientation"


class HealthCover(Coded):
    REGIME_GENERAL = "regime_general", "régime général"
    PUMA = "puma", "PUMa"
    CSS = "css", "CSS (ex CMU-C)"
    AME = "ame", "AME"
    MUTUELLE = "mutuelle", "mutuelle"
    AUCUNE = "aucune", "aucune"
    NE_SAIT_PAS = "ne_sait_pas", "ne sait pas"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


class SelfAssessedHealth(Coded):
    BONNE = "bonne", "bonne"
    MOYENNE = "moyenne", "moyenne"
    MAUVAISE = "mauvaise", "mauvaise"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


class Employment(Coded):
    EN_EMPLOI = "en_emploi", "en emploi"
    DEMANDEUR_EMPLOI = "demandeur_emploi", "demandeur d'emploi"
    FORMATION = "formation", "en formation"
    RETRAITE = "retraite", "retraité"
    RQTH = "rqth", "RQTH"
    SANS_ACTIVITE = "sans_activite", "sans activité"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


class Resource(Coded):
    SALAIRE = "salaire", "salaire"
    RETRAITE = "retraite", "retraite"
    ARE = "are", "ARE"
    PRIME_ACTIVITE = "prime_activite", "prime d'activité"
    RSA = "rsa", "RSA"
    AAH = "aah", "AAH"
    ASS = "ass", "ASS"
    ALLOCATIONS_FAMILIALES = "allocations_familiales", "allocations familiales"
    ADA = "ada", "ADA"
    INDEMNITES_JOURNALIERES = "indemnites_journalieres", "indemnités journalières"
    BOURSE = "bourse", "bourse"
    AUTRE = "autre", "autre"
    AUCUNE = "aucune", "aucune"
    REFUS = "refus_de_repondre", "refus de répondre"


class AdministrativeSituation(Coded):
    FRANCAISE = "francaise", "française"
    UE = "ue", "UE"
    DEMANDEUR_ASILE = "demandeur_asile", "demandeur d'asile"
    PROTECTION_INTERNATIONALE = "protection_internationale", "réfugié / protection internationale"
    TITRE_SEJOUR = "titre_sejour", "titre de séjour"
    RECEPISSE = "recepisse", "récépissé / APS"
    DEBOUTE = "deboute", "débouté"
    SANS_TITRE = "sans_titre", "situation irrégulière"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


class ConsentScope(Coded):
    EVALUATION = "evaluation", "évaluation et suivi du parcours par le SIAO"
    PARTENAIRES = "partage_partenaires", "partage avec les structures et partenaires orientés"
    SANTE = "donnees_sante", "recueil d'informations de santé utiles à l'orientation"
    STATISTIQUES = "statistiques", "usage statistique anonymisé"


class AccompanimentIntensity(Coded):
    LEGER = "leger", "léger"
    MOYEN = "moyen", "moyen"
    INTENSIF = "intensif", "intensif"


class SyploStatus(Coded):
    INSCRIT = "inscrit", "inscrit"
    NON_INSCRIT = "non_inscrit", "non inscrit"
    NON_CONCERNE = "non_concerne", "non concerné"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


class DeadlineKind(Coded):
    FLASH = "flash", "évaluation flash"
    IN_DEPTH = "in_depth", "évaluation approfondie"
    ORIENTATION_RESPONSE = "orientation_response", "réponse à l'orientation"
    REEVALUATION = "reevaluation", "réactualisation de l'évaluation"
    REVIEW = "review", "revue de parcours"
    FOLLOW_UP_END = "follow_up_end", "fin du suivi post-logement"
    # Dates that come with time alone (issue 11): the rules see them on the day, not at the
    # next action.
    DLS_RENEWAL = "dls_renewal", "demande de logement social d'un an, à renouveler"
    LONG_STAY = "long_stay", "séjour anormalement long en hébergement (R-HOUS-1)"


class Theme(Coded):
    JEUNES = "jeunes", "jeunes (18–25 ans)"
    VIOLENCES = "violences", "femmes victimes de violences"
    SANTE_MENTALE = "sante_mentale", "santé mentale"
    JUSTICE = "justice", "personnes sous main de justice / sortant de détention"
    ADDICTION = "addiction", "addictions"
    ASILE = "asile", "demande d'asile et protection internationale"


class Flag(Coded):
    DNA_REORIENTATION = "dna_reorientation", "réorienter vers le DNA"
    OFII_LIST = "ofii_list", "liste mensuelle OFII (R-FOLLOW-2)"
    DLS_RENEWAL = "dls_renewal", "demande de logement social à renouveler"
    SYPLO_LABELLING = "syplo_labelling", "à labelliser dans SYPLO"
    LONG_STAY_REVIEW = "long_stay_review", "séjour anormalement long : à analyser (R-HOUS-1)"


class HousingWish(Coded):
    """The person's wish for housing, as the in-depth evaluation recorded it (R-COM-1)."""

    OUI = "oui", "souhaite un logement"
    NON = "non", "ne souhaite pas de logement pour le moment"
    NON_RENSEIGNE = "non_renseigne", "non renseigné"


class Recipient(Coded):
    """Whom an alert is for: the rules' `escalate` decides, the policy failure goes to the
    coordinator (the alert's `recipient`)."""

    LEAD_REFERENT = "lead_referent", "référent principal de parcours"
    SIAO_COORDINATOR = "siao_coordinator", "coordinateur SIAO"
