"""The white-zones report (R-COORD-1): its SQL, and its HTML page with an inline SVG chart.

A commune is covered when an active team or centre of the département has it in its zone
(`OutreachZone`); a white zone is a commune of the département where households were met or
reported over the period (`Household.commune`, `Household.encountered_at`) and that none
covers. Beside them, the capacity against the need: households met over the period and the
flash evaluations a week the active teams declare. Counts of households are masked under 5, as
`GET /statistics` does, before anything is drawn.
"""

from datetime import UTC, date, datetime, time, timedelta
from html import escape
from typing import Any

from sqlalchemy import distinct, func
from sqlmodel import Session, col, select

from api.svg_bars import bar_chart
from core import clock
from models.coverage import OutreachTeam, OutreachZone, WhiteZone, WhiteZones
from models.records import Household, Person
from models.sensitivity import SMALL, masked


def _utc_midnight(day: date) -> datetime:
    """The start of a Paris day, in UTC (how times are compared in the database)."""
    return datetime.combine(day, time(), tzinfo=clock.PARIS).astimezone(UTC)


def white_zones(s: Session, departement: str, start: date | None, end: date | None) -> WhiteZones:
    active = (OutreachTeam.departement == departement, col(OutreachTeam.active).is_(True))
    covered = (
        select(OutreachZone.commune)
        .join(OutreachTeam, col(OutreachTeam.id) == col(OutreachZone.team_id))
        .where(*active)
        .distinct()
    )
    met: list[Any] = [Household.departement == departement]
    if start is not None:
        met.append(col(Household.encountered_at) >= _utc_midnight(start))
    if end is not None:
        met.append(col(Household.encountered_at) < _utc_midnight(end + timedelta(days=1)))
    with_commune = col(Household.commune).is_not(None)
    rows = s.exec(
        select(
            col(Household.commune),
            func.count(distinct(col(Household.id))),
            func.count(col(Person.id)),
        )
        .outerjoin(Person, col(Person.household_id) == col(Household.id))
        .where(*met, with_commune, col(Household.commune).not_in(covered))
        .group_by(col(Household.commune))
    ).all()
    communes_met = s.exec(
        select(func.count(distinct(col(Household.commune)))).where(*met, with_commune)
    ).one()
    met_count, without = s.exec(
        select(func.count(), func.count() - func.count(col(Household.commune)))
        .select_from(Household)
        .where(*met)
    ).one()
    teams, capacity, undeclared = s.exec(
        select(
            func.count(),
            func.coalesce(func.sum(OutreachTeam.evaluation_capacity), 0),
            func.count() - func.count(col(OutreachTeam.evaluation_capacity)),
        ).where(*active)
    ).one()
    communes_covered = s.exec(select(func.count()).select_from(covered.subquery())).one()
    zones = [WhiteZone(commune=c, households=masked(h), people=masked(p)) for c, h, p in rows]
    # Ordered by the published figures only: masked cells last, by commune code, so the order
    # says nothing a masked count hides.
    zones.sort(
        key=lambda z: (
            isinstance(z.households, str),
            -z.households if isinstance(z.households, int) else 0,
            z.commune,
        )
    )
    return WhiteZones(
        departement=departement,
        start=start,
        end=end,
        teams_active=teams,
        communes_covered=communes_covered,
        communes_met=communes_met,
        households_without_commune=masked(without),
        households_met=masked(met_count),
        weekly_evaluation_capacity=capacity,
        teams_without_capacity=undeclared,
        white_zones=zones,
    )


def _period(report: WhiteZones) -> str:
    def day(d: date | None) -> str:
        return d.strftime("%d/%m/%Y") if d else "…"

    if report.start is None and report.end is None:
        return "toutes les rencontres enregistrées"
    return f"du {day(report.start)} au {day(report.end)}"


def _section(report: WhiteZones) -> str:
    dep = escape(report.departement)
    head = [
        f"<section><h2>Département {dep} — {escape(_period(report))}</h2>",
        "<p>"
        f"{report.teams_active} équipe(s) ou centre(s) en activité couvrent "
        f"{report.communes_covered} commune(s). Des ménages ont été rencontrés ou signalés "
        f"dans {report.communes_met} commune(s), dont {len(report.white_zones)} sans aucune "
        "équipe (zones blanches). Ménages rencontrés sans commune renseignée : "
        f"{escape(str(report.households_without_commune))}.</p>",
        f"<p>Ménages rencontrés ou signalés sur la période : "
        f"{escape(str(report.households_met))}. Capacité d'évaluation déclarée par les équipes "
        f"en activité : {report.weekly_evaluation_capacity} évaluation(s) flash par semaine"
        + (
            f" ({report.teams_without_capacity} équipe(s) sans capacité déclarée)"
            if report.teams_without_capacity
            else ""
        )
        + ".</p>",
    ]
    if not report.white_zones:
        return "\n".join([*head, "<p>Aucune zone blanche sur la période.</p></section>"])
    chart = bar_chart(
        f"Zones blanches du {report.departement} : ménages rencontrés ou signalés par commune",
        [(z.commune, z.households) for z in report.white_zones],
        SMALL,
        f"zones-blanches-{report.departement}",
    )
    table = [
        f"<table><caption>Zones blanches du {dep} (données du graphique)</caption>",
        '<thead><tr><th scope="col">commune (INSEE)</th><th scope="col">ménages</th>'
        '<th scope="col">personnes</th></tr></thead><tbody>',
        *(
            f'<tr><th scope="row">{escape(z.commune)}</th><td>{escape(str(z.households))}</td>'
            f"<td>{escape(str(z.people))}</td></tr>"
            for z in report.white_zones
        ),
        "</tbody></table>",
    ]
    return "\n".join([*head, "<figure>", chart, "</figure>", *table, "</section>"])


def page(reports: list[WhiteZones]) -> str:
    """The whole report as one HTML page: per département, the chart, its table beneath."""
    sections = [_section(r) for r in reports] or ["<p>Aucun département dans votre périmètre.</p>"]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="fr"><head><meta charset="utf-8">',
            "<title>SIAO — zones blanches de la veille sociale</title></head><body><main>",
            "<h1>Zones blanches de la veille sociale (R-COORD-1)</h1>",
            "<p>Communes où des personnes ont été rencontrées ou signalées et qu'aucune maraude, "
            "aucun accueil de jour ni aucune équipe mobile en activité ne couvre. Effectifs de "
            f"moins de {SMALL} affichés « &lt; {SMALL} ».</p>",
            *sections,
            "</main></body></html>",
        ]
    )
