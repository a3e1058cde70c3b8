"""Computing the indicators of models/indicators.py from the records: one pass of SQL reads per
scope (a few grouped queries), then plain Python over what they returned. Each indicator also
says which households are behind its number (the drill-down), for the roles that may see them.
"""

import statistics
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from activities import indicator_entries as entries
from activities.indicator_data import Data, Result, add_months, aware, counted, median, share
from models.evaluations import PlacementKind
from models.indicators import DEFINITIONS, Indicator, IndicatorValue
from models.vocab import AdministrativeSituation as Admin
from models.vocab import ContactChannel, SyploStatus
from models.vocab_orientation import OrientationAnswer

K = Indicator
OUTREACH = {ContactChannel.MARAUDE, ContactChannel.ACCUEIL_DE_JOUR, ContactChannel.EQUIPE_MOBILE}
ADMITS_HOUSING = {Admin.FRANCAISE, Admin.UE, Admin.PROTECTION_INTERNATIONALE, Admin.TITRE_SEJOUR}
FLASH_BUCKETS = (("≤ 72 h", 3), ("4–7 j", 7), ("8–30 j", 30), ("> 30 j", None))


def veille_sociale(d: Data) -> Result:
    ids = [hid for hid in d.met if d.households[hid].contact_channel in OUTREACH]
    return counted(ids, d.people)


def _flash_hours(d: Data) -> dict[str, float]:
    """Hours from the encounter to the first flash evaluation (two indicators read them)."""
    if "flash_hours" not in d.memo:
        d.memo["flash_hours"] = {
            hid: (d.first_flash[hid] - d.households[hid].encountered_at).total_seconds() / 3600
            for hid in d.met
            if hid in d.first_flash
        }
    return d.memo["flash_hours"]


def flash_72h(d: Data) -> Result:
    met, hours = d.met, _flash_hours(d)
    buckets: Counter[str] = Counter()
    for hid in met:
        if hid not in hours:
            buckets["non faite"] += 1
            continue
        days = hours[hid] / 24
        label = next(name for name, limit in FLASH_BUCKETS if limit is None or days <= limit)
        buckets[label] += 1
    on_time = [hid for hid, h in hours.items() if h <= 72]
    return share(
        on_time,
        met,
        {name: buckets[name] for name, _ in FLASH_BUCKETS} | {"non faite": buckets["non faite"]},
    )


def flash_median(d: Data) -> Result:
    hours = _flash_hours(d)
    value = median(list(hours.values()))
    return (round(value, 1) if value is not None else None), len(hours), {}, sorted(hours)


def _first_flash_in_period(d: Data) -> list[str]:
    if "flashed" not in d.memo:
        d.memo["flashed"] = [
            hid for hid, at in d.first_flash.items() if d.within(at) and hid in d.households
        ]
    return d.memo["flashed"]


def in_depth_2_months(d: Data) -> Result:
    universe = _first_flash_in_period(d)
    on_time = [
        hid
        for hid in universe
        if hid in d.first_in_depth and d.first_in_depth[hid] <= add_months(d.first_flash[hid], 2)
    ]
    return share(on_time, universe)


def in_depth_median(d: Data) -> Result:
    days = {
        hid: (d.first_in_depth[hid] - d.first_flash[hid]).total_seconds() / 86400
        for hid in _first_flash_in_period(d)
        if hid in d.first_in_depth
    }
    value = median(list(days.values()))
    return (round(value, 1) if value is not None else None), len(days), {}, sorted(days)


def orientations(answer: str | None) -> Callable[[Data], Result]:
    def compute(d: Data) -> Result:
        rows = [o for o in d.orientations if answer is None or o.answer == answer]
        details: dict[str, Any] = {}
        if answer == OrientationAnswer.REFUSEE:
            details = dict(Counter(str(o.refusal_reason) for o in rows))
        return (
            float(len(rows)),
            len(d.orientations),
            details,
            sorted({o.household_id for o in rows}),
        )

    return compute


def _placed_after(d: Data) -> set[str]:
    return {
        p.household_id
        for p in d.placements
        if p.household_id in d.decisions
        and d.decisions[p.household_id] <= p.started_at < d.scope.end
    }


def requests_met(met: bool) -> Callable[[Data], Result]:
    def compute(d: Data) -> Result:
        placed = _placed_after(d)
        ids = [hid for hid in d.decisions if (hid in placed) is met]
        return float(len(ids)), len(d.decisions), {}, sorted(ids)

    return compute


def placed(kind: PlacementKind, persons: bool) -> Callable[[Data], Result]:
    def compute(d: Data) -> Result:
        ids = [p.household_id for p in d.placements if p.kind == kind and d.within(p.started_at)]
        return counted(ids, d.people if persons else None)

    return compute


def _stays(d: Data) -> dict[str, list[float]]:
    """Days of each shelter stay present in the period, by place type: to the next placement,
    the exit, or the end of the period for who is still there (counted whole across years)."""
    by_type: dict[str, list[float]] = {}
    rows = d.placements
    for i, p in enumerate(rows):
        if p.kind != PlacementKind.ADMISSION or p.household_id not in d.households:
            continue
        start = p.started_at
        following = rows[i + 1] if i + 1 < len(rows) else None
        ends = [d.households[p.household_id].closed_at, d.scope.end]
        if following is not None and following.household_id == p.household_id:
            ends.append(following.started_at)
        end = min(e for e in ends if e is not None)
        if start is None or start >= d.scope.end or end < d.scope.start:
            continue
        by_type.setdefault(str(p.place_type), []).append((end - start).total_seconds() / 86400)
    return by_type


def stay_length(d: Data) -> Result:
    by_type = _stays(d)
    every = [x for days in by_type.values() for x in days]
    details: dict[str, Any] = {}
    for kind, days in sorted(by_type.items()):
        details[f"{kind} (moyenne)"] = round(statistics.fmean(days), 1)
        details[f"{kind} (médiane)"] = round(median(days) or 0, 1)
    value = median(every)
    return (round(value, 1) if value is not None else None), len(every), details, []


def homeless_time(d: Data) -> Result:
    days: dict[str, float] = {}
    for p in d.placements:
        h = d.households.get(p.household_id)
        if h is None or p.kind != PlacementKind.HOUSING or not d.within(p.started_at):
            continue
        since = h.encountered_at
        if h.wandering_since is not None:  # the start of the wandering, when it is known
            since = min(since, datetime.combine(h.wandering_since, datetime.min.time(), UTC))
        days.setdefault(p.household_id, (p.started_at - since).total_seconds() / 86400)
    values = list(days.values())
    mean = round(statistics.fmean(values), 1) if values else None
    value = median(values)
    return (
        (round(value, 1) if value is not None else None),
        len(values),
        {"moyenne": mean},
        sorted(days),
    )


def _open_at(closed_at: datetime | None, moment: datetime) -> bool:
    return closed_at is None or closed_at >= moment


def _eligible(d: Data) -> list[str]:
    return [
        hid
        for hid, row in d.last_in_depth.items()
        if hid in d.households
        and row.wants_housing
        and row.administrative_situation in ADMITS_HOUSING
        and _open_at(d.households[hid].closed_at, d.scope.end)
    ]


def dls_active(d: Data) -> Result:
    eligible, end = _eligible(d), d.scope.end.date()
    active = [
        hid
        for hid in eligible
        if (filed := d.last_in_depth[hid].dls_filed_on) is not None and (end - filed).days < 365
    ]
    return share(active, eligible)


def syplo(d: Data) -> Result:
    eligible = _eligible(d)
    labelled = [h for h in eligible if d.last_in_depth[h].syplo == SyploStatus.INSCRIT]
    return share(labelled, eligible)


def alerts(resolved: bool) -> Callable[[Data], Result]:
    def compute(d: Data) -> Result:
        rows = [
            a
            for a in d.alerts
            if not resolved or (a.resolved_at is not None and aware(a.resolved_at) < d.scope.end)
        ]
        return float(len(rows)), len(d.alerts), {}, sorted({a.household_id for a in rows})

    return compute


CALCULATIONS: dict[Indicator, Callable[[Data], Result]] = {
    K.APPELS_115_RECUS: entries.calls(answered=False),
    K.APPELS_115_DECROCHES: entries.calls(answered=True),
    K.DEMANDES_115_SANS_PLACE: entries.requests_without_place,
    K.PERSONNES_VEILLE_SOCIALE: veille_sociale,
    K.FLASH_DANS_72H: flash_72h,
    K.FLASH_DELAI_MEDIAN: flash_median,
    K.APPROFONDIE_DANS_2_MOIS: in_depth_2_months,
    K.APPROFONDIE_DELAI_MEDIAN: in_depth_median,
    K.ORIENTATIONS_PROPOSEES: orientations(None),
    K.ORIENTATIONS_ACCEPTEES: orientations(OrientationAnswer.ACCEPTEE),
    K.ORIENTATIONS_REFUSEES: orientations(OrientationAnswer.REFUSEE),
    K.DEMANDES_POURVUES: requests_met(True),
    K.DEMANDES_NON_POURVUES: requests_met(False),
    K.MENAGES_HEBERGES: placed(PlacementKind.ADMISSION, persons=False),
    K.PERSONNES_HEBERGEES: placed(PlacementKind.ADMISSION, persons=True),
    K.MENAGES_LOGES: placed(PlacementKind.HOUSING, persons=False),
    K.PERSONNES_LOGEES: placed(PlacementKind.HOUSING, persons=True),
    K.DUREE_SEJOUR: stay_length,
    K.DUREE_SANS_LOGEMENT: homeless_time,
    K.PREMIERES_DEMANDES: entries.first_time,
    K.RETOURS_APRES_LOGEMENT: entries.returns,
    K.DLS_ACTIVE: dls_active,
    K.SYPLO_LABELLISES: syplo,
    K.ESCALADES_LEVEES: alerts(resolved=False),
    K.ESCALADES_RESOLUES: alerts(resolved=True),
}


def compute(
    data: Data, targets: dict[Indicator, float] | None = None
) -> list[tuple[IndicatorValue, list[str]]]:
    """Every indicator of the scope, with its target and gap, and the households behind it."""
    found = []
    for code, calculate in CALCULATIONS.items():
        value, universe, details, ids = calculate(data)
        definition, target = DEFINITIONS[code], (targets or {}).get(code)
        found.append(
            (
                IndicatorValue(
                    code=code,
                    label=code.label,
                    universe=definition.universe,
                    formula=definition.formula,
                    sources=list(definition.sources),
                    unit=definition.unit,
                    value=value,
                    count=universe,
                    details=details,
                    target=target,
                    gap=None if value is None or target is None else round(value - target, 1),
                ),
                ids,
            )
        )
    return found
