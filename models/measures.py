"""Accompaniment measures (issue 10, item 5; R-RES-1, R-HOUS-2): the catalogue of the services
that deliver them (operator, capacity, intensity), each measure mobilised for a household, and
the history of its changes (mobilised, intensity changed, transferred, ended).

A measure belongs to the household, not to its place: admission, housing or a move leave it
running; only a decision ends it (`end_reason`). Its kind may reveal health (EMPP, ACT, LHSS):
models/sensitivity.py declares those codes need-to-know.
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.clock import now
from models.records import code, when
from models.vocab import AccompanimentIntensity, Coded


class MeasureKind(Coded):
    AVDL = "avdl", "AVDL (accompagnement vers et dans le logement)"
    ASLL = "asll", "ASLL (accompagnement social lié au logement)"
    IML = "iml", "accompagnement IML (intermédiation locative)"
    EMPP = "empp", "EMPP (équipe mobile psychiatrie-précarité)"
    ACT = "act", "ACT (appartements de coordination thérapeutique)"
    LHSS = "lhss", "LHSS (lits halte soins santé)"
    EMPLOI = "emploi", "accompagnement vers l'emploi"
    DROITS = "acces_droits", "accompagnement à l'accès aux droits"
    AUTRE = "autre", "autre mesure"


class MeasureEndReason(Coded):
    OBJECTIFS_ATTEINTS = "objectifs_atteints", "objectifs atteints"
    DROIT_COMMUN = "relais_droit_commun", "relais vers le droit commun"
    RELAIS = "relais", "relais vers un autre service (transfert)"
    REFUS_MENAGE = "refus_menage", "refus du ménage"
    PERDU_DE_VUE = "perdu_de_vue", "perdu de vue"
    FIN_FINANCEMENT = "fin_financement", "fin de financement"
    SORTIE_DISPOSITIF = "sortie_dispositif", "sortie du dispositif"
    AUTRE = "autre", "autre (précisez)"


class MeasureChangeKind(Coded):
    MOBILISATION = "mobilisation", "mobilisation de la mesure"
    INTENSITE = "intensite", "changement d'intensité"
    TRANSFERT = "transfert", "transfert vers un autre service"
    FIN = "fin", "fin de la mesure"


# From the lightest to the most intensive: the pathway follows the most intensive active one.
INTENSITY_ORDER = [i.value for i in AccompanimentIntensity]


class MeasureService(SQLModel, table=True):
    """A catalogue entry: one operator delivering one kind of measure in a département."""

    id: int | None = Field(default=None, primary_key=True)
    departement: str = Field(max_length=3, index=True)
    kind: MeasureKind = code(description=MeasureKind.describe())
    operator: str = Field(max_length=120, description="opérateur de la mesure")
    capacity: int = Field(description="nombre de ménages accompagnés en même temps")
    intensity: AccompanimentIntensity = code(AccompanimentIntensity.MOYEN)
    created_at: datetime = when(default_factory=now)


class Measure(SQLModel, table=True):
    """One measure mobilised for one household; active while `ended_at` is empty."""

    id: int | None = Field(default=None, primary_key=True)
    household_id: str = Field(foreign_key="household.id", index=True, max_length=36)
    service_id: int = Field(foreign_key="measureservice.id", index=True)
    kind: MeasureKind = code(description="le type du service (gardé si le service change)")
    intensity: AccompanimentIntensity = code(AccompanimentIntensity.MOYEN)
    started_at: datetime = when(description="début de la mesure")
    ended_at: datetime | None = when(None, description="fin de la mesure (vide : en cours)")
    end_reason: MeasureEndReason | None = code(None, description=MeasureEndReason.describe())
    end_detail: str | None = Field(default=None, max_length=2000, description="précision du motif")
    transferred_from: int | None = Field(
        default=None, foreign_key="measure.id", description="mesure dont celle-ci prend le relais"
    )
    # The entry that created it (a mobilisation or a transfer): found again on a retry.
    submission_id: str | None = Field(default=None, max_length=64, unique=True)


class MeasureChange(SQLModel, table=True):
    """Who changed a measure, when, and what."""

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    household_id: str = Field(index=True, max_length=36)
    at: datetime = when(description="date de l'acte")
    recorded_at: datetime = when(default_factory=now)
    actor: str = Field(max_length=120)
    what: MeasureChangeKind = code(description=MeasureChangeKind.describe())
    from_intensity: AccompanimentIntensity | None = code(None)
    to_intensity: AccompanimentIntensity | None = code(None)
    reason: MeasureEndReason | None = code(None)
    submission_id: str | None = Field(default=None, max_length=64, index=True)
