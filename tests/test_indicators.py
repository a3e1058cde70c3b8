"""Every indicator on a hand-built data set with known answers (issue 12, items 3 and 9): an
evaluation at exactly 72 h, a median over an even count, a stay across years, a household
housed after a stay that began the year before, a request left without a place. The Hautes-
Alpes (05) keep these rows apart from other tests'."""

from datetime import UTC, datetime

import pytest

from activities import report
from activities.indicator_data import add_months, median
from models.indicators import Indicator
from tests.report_fixtures import at, seed

DEP, YEAR = "05", 2025
K = Indicator


@pytest.fixture(scope="module")
def seeded(engine):
    return seed(engine, DEP)


def test_every_indicator_has_its_known_answer(engine, seeded) -> None:
    targets = {K.FLASH_DANS_72H: 90.0}
    found = {
        v.code: (v, ids) for v, ids in report.values(engine, report.year_scope(DEP, YEAR), targets)
    }
    value = {code: v.value for code, (v, _) in found.items()}
    h = seeded
    assert value[K.APPELS_115_RECUS] == 150 and found[K.APPELS_115_RECUS][0].count == 2  # days
    answered, _ = found[K.APPELS_115_DECROCHES]
    assert answered.value == 120 and answered.details == {"taux de décroché (%)": 80.0}
    unmet, behind = found[K.DEMANDES_115_SANS_PLACE]
    assert unmet.value == 2 and unmet.count == 3 and behind == [h["h2"]]  # calls ≠ requests
    assert unmet.details == {"demandes": 3, "mises à l'abri demandées": 2, "ménages connus": 1}
    assert value[K.PERSONNES_VEILLE_SOCIALE] == 4  # people, not households (h1: two)
    flash, behind = found[K.FLASH_DANS_72H]
    assert flash.value == 20.0 and flash.count == 5  # 72 h exactly is on time
    assert flash.details == {"≤ 72 h": 1, "4–7 j": 1, "8–30 j": 0, "> 30 j": 0, "non faite": 3}
    assert flash.target == 90.0 and flash.gap == -70.0 and flash.status == "proposition v1"
    assert behind == [h["h1"]]
    assert value[K.FLASH_DELAI_MEDIAN] == 76.0  # (72 + 80) / 2: an even count
    assert value[K.APPROFONDIE_DANS_2_MOIS] == 50.0
    assert value[K.APPROFONDIE_DELAI_MEDIAN] == 42.0
    assert value[K.ORIENTATIONS_PROPOSEES] == 2 and value[K.ORIENTATIONS_ACCEPTEES] == 1
    refused, _ = found[K.ORIENTATIONS_REFUSEES]
    assert refused.value == 1 and refused.details == {"localisation": 1}
    assert value[K.DEMANDES_POURVUES] == 1 and value[K.DEMANDES_NON_POURVUES] == 1
    assert found[K.DEMANDES_NON_POURVUES][1] == [h["h5"]]
    assert value[K.MENAGES_HEBERGES] == 1 and value[K.PERSONNES_HEBERGEES] == 2
    assert value[K.MENAGES_LOGES] == 1 and value[K.PERSONNES_LOGEES] == 3
    # h1 from 10 May to the year's end (Paris), still there; h3's stay across the years whole.
    h1_days = (datetime(2026, 1, 1, tzinfo=report.PARIS) - at(5, 10)).total_seconds() / 86400
    stay, _ = found[K.DUREE_SEJOUR]
    assert stay.value == round((h1_days + 62) / 2, 1) and stay.count == 2
    assert value[K.DUREE_SANS_LOGEMENT] == 92.0
    # h6 names h3, closed in March: no first request; h3's return, 120 days after housing.
    first, behind = found[K.PREMIERES_DEMANDES]
    assert first.value == 4 and first.count == 5 and h["h6"] not in behind
    back, behind = found[K.RETOURS_APRES_LOGEMENT]
    assert back.value == 100.0 and back.count == 1 and behind == [h["h3"]]
    assert back.details == {"0–180 j": 1, "181–365 j": 0, "366–730 j": 0}
    assert value[K.DLS_ACTIVE] == 100.0 and value[K.SYPLO_LABELLISES] == 100.0
    assert value[K.ESCALADES_LEVEES] == 2 and value[K.ESCALADES_RESOLUES] == 1


def test_the_report_holds_flows_offer_quality_and_a_csv(engine, seeded) -> None:
    done = report.activity_report(engine, DEP, YEAR, {})
    assert done.monthly_flows == {"2025-03": {"report": 1}, "2025-04": {"admission": 1}}
    assert done.quality.not_filled["typology"] == 100.0  # nobody's typology was said
    assert done.quality.entry_delay["0 j"] + done.quality.entry_delay["11 j et plus"] >= 1
    lines = report.as_csv(done).splitlines()
    assert lines[0].startswith("departement;annee;indicateur") and len(lines) == 1 + len(K)
    assert any(
        line.startswith("05;2025;flash_delai_median_h;") and ";76;" in line for line in lines
    )


def test_medians_and_calendar_months() -> None:
    assert median([3.0, 1.0, 2.0, 10.0]) == 2.5 and median([]) is None
    assert add_months(at(12, 31), 2) == datetime(2026, 2, 28, 10, tzinfo=UTC)
