"""The orientation protocol of one vacancy (issue 10): what crosses between the API, the
VacancyWorkflow (`vacance-<place>-<n>`), its activities and the policy files.

Everything here crosses the Temporal boundary: opaque ids, codes and dates — the free text of an
« autre » refusal stays in the database (the API stages it; only its key travels).
"""

from pydantic import BaseModel, Field

from models.offer import StructureKind
from models.vocab import Coded
from models.vocab_orientation import PlaceType, RefusalReason, RefusedBy


def vacancy_id(place_id: int, number: int) -> str:
    return f"vacance-{place_id}-{number}"


class ProtocolStep(Coded):
    """Where a vacancy stands; shown as `SiaoStage` in the Temporal UI."""

    AWAITING_PROPOSAL = "vacance_attente_proposition", "en attente d'une proposition du SIAO"
    AWAITING_ANSWERS = "vacance_attente_reponses", "proposition(s) en attente de réponse"
    AWAITING_ADMISSION = "vacance_attente_admission", "acceptée, en attente de l'admission"
    FILLED = "vacance_pourvue", "place pourvue"
    WITHDRAWN = "vacance_retiree", "vacance retirée"


class ProposalStatus(Coded):
    AWAITING_MANAGER = "attente_structure", "en attente de la réponse de la structure"
    AWAITING_HOUSEHOLD = "attente_menage", "en attente de la réponse du ménage"
    ACCEPTED = "acceptee", "acceptée par la structure et le ménage"
    REFUSED = "refusee", "refusée"
    ADMITTED = "admis", "admission faite"


ACTIVE = frozenset(
    {ProposalStatus.AWAITING_MANAGER, ProposalStatus.AWAITING_HOUSEHOLD, ProposalStatus.ACCEPTED}
)


class Party(Coded):
    """Who answers a proposal."""

    STRUCTURE = "structure", "la structure (gestionnaire)"
    MENAGE = "menage", "le ménage"


class StallReason(Coded):
    """Why a vacancy's protocol stalls: the alert says which answer is awaited."""

    NO_PROPOSAL = "aucune_proposition", "aucun ménage proposé dans le délai"
    STRUCTURE_ANSWER = "reponse_structure", "réponse de la structure attendue"
    HOUSEHOLD_ANSWER = "reponse_menage", "réponse du ménage attendue"
    ADMISSION = "admission", "admission attendue"
    DECLINED = "desistement", "le ménage s'est désisté après avoir accepté"


class StallRecipient(Coded):
    STRUCTURE = "structure", "contact de la structure"
    COORDINATOR = "coordinateur", "coordination du SIAO"


class Consequence(Coded):
    """What a refusal costs the household (set per reason in the département's policy)."""

    KEEP_SENIORITY = "conserve_anciennete", "le ménage garde son ancienneté"
    LOSE_SENIORITY = "perte_anciennete", "le ménage perd son ancienneté"
    PARK = "mise_en_attente", "le ménage n'est plus proposé pendant un délai"
    UNTIL_REASSESSED = "jusqu_a_reevaluation", "plus proposé avant une nouvelle évaluation"


R, B = RefusalReason, RefusedBy
# Who may give each reason (FIELDS.md); « autre » is open to every party.
REASON_PARTY: dict[RefusalReason, RefusedBy] = {
    **dict.fromkeys(
        [
            R.PUBLIC_NON_CORRESPONDANT,
            R.INELIGIBLE_FINANCEMENT,
            R.PLACE_INDISPONIBLE,
            R.ACCOMPAGNEMENT_INSUFFISANT,
            R.SANTE_SECURITE,
            R.INJOIGNABLE,
            R.NON_PRESENTE,
        ],
        B.STRUCTURE,
    ),
    **dict.fromkeys(
        [
            R.AUTRE_SOLUTION,
            R.LOCALISATION,
            R.TYPE_HEBERGEMENT,
            R.SANS_ACCOMPAGNEMENT,
            R.PAS_MAINTENANT,
            R.ENVIRONNEMENT_DANGEREUX,
        ],
        B.MENAGE,
    ),
    **dict.fromkeys(
        [
            R.ORIENTATION_EXPIREE,
            R.VACANCE_ERRONEE,
            R.PLACE_POURVUE,
            R.PLUS_ELIGIBLE,
            R.PERDU_DE_VUE,
        ],
        B.ADMINISTRATIF,
    ),
}

# The place an orientation names, by the kind of its structure; IML is housing (R-HOUS-4).
PLACE_TYPE_OF: dict[StructureKind, PlaceType] = {
    StructureKind.CHU: PlaceType.HEBERGEMENT_URGENCE,
    StructureKind.CHRS: PlaceType.CHRS,
    StructureKind.HOTEL: PlaceType.HOTEL,
    StructureKind.RESIDENCE_SOCIALE: PlaceType.RESIDENCE_SOCIALE,
    StructureKind.PENSION_FAMILLE: PlaceType.PENSION_FAMILLE,
    StructureKind.RESIDENCE_ACCUEIL: PlaceType.RESIDENCE_ACCUEIL,
    StructureKind.FJT: PlaceType.RESIDENCE_SOCIALE,
    StructureKind.FTM: PlaceType.RESIDENCE_SOCIALE,
    StructureKind.IML: PlaceType.IML,
    StructureKind.LHSS: PlaceType.HEBERGEMENT_SPECIALISE,
    StructureKind.ACT: PlaceType.HEBERGEMENT_SPECIALISE,
    StructureKind.AUTRE: PlaceType.HEBERGEMENT_SPECIALISE,
}
# Admission into these is access to housing (the pathway goes to `housed`).
HOUSING_KINDS = frozenset({StructureKind.IML})


# -- the policy's terms ------------------------------------------------------------------------


class ProtocolDelays(BaseModel):
    """The delays of one structure kind's protocol (ISO 8601), as the policy gives them."""

    propose: str = Field("P3D", description="délai du SIAO pour proposer après la vacance")
    households_per_unit: int = Field(1, ge=1, le=5, description="ménages proposés par place")
    manager_answer: str = Field("P7D", description="délai de réponse de la structure")
    household_answer: str = Field("P5D", description="délai de réponse du ménage")
    admission: str = Field("P15D", description="délai entre acceptation et admission")
    escalation: str = Field("P3D", description="délai avant d'alerter la coordination")
    night_release: str | None = Field(
        None, description="urgence : heure (HH:MM, Paris) où les places de la nuit sont libérées"
    )


class ConsequenceRule(BaseModel):
    consequence: Consequence
    duration: str | None = Field(None, description="pour une mise en attente (ISO 8601)")


class ProtocolTerms(BaseModel):
    """What a vacancy of one structure kind runs on, and the policy version that set it."""

    policy_version: str
    delays: ProtocolDelays = Field(default_factory=ProtocolDelays)
    consequences: dict[RefusalReason, ConsequenceRule] = Field(default_factory=dict)

    def consequence(self, reason: RefusalReason) -> ConsequenceRule:
        """Unlisted reasons never silently cost the household its seniority."""
        default = ConsequenceRule(consequence=Consequence.KEEP_SENIORITY)
        return self.consequences.get(reason, default)


class ProtocolTermsInput(BaseModel):
    departement: str
    kind: StructureKind
