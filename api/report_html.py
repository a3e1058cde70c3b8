"""The annual activity report as one readable HTML page: every chart an inline SVG drawn on the
server (api/svg_bars.py: no CDN, no script), each with its data table beneath, so the numbers
can be read without the drawing (and by a screen reader)."""

from collections.abc import Sequence
from html import escape

from api.svg_bars import bar_chart
from core.settings import ROOT
from models.indicators import Indicator
from models.reports import DELAY_BUCKETS, ActivityReport

# One style sheet: served by the API (its Content-Security-Policy allows no inline style),
# carried inside the page that `siao report` writes to a file.
STYLE_SHEET = ROOT / "api" / "static" / "report.css"
CSS = "/docs-assets/report.css"
# The report's counts are shown whole (coordinators read it); the scale starts at 1 at least.
SCALE_FLOOR = 1


def _num(value: float | int | None) -> str:
    return "—" if value is None else f"{value:g}".replace(".", ",")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(c)}</td>' if i else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure(title: str, chart_id: str, unit: str, rows: Sequence[tuple[str, int]]) -> str:
    """A chart and, beneath it, the same figures as a table."""
    drawn = bar_chart(title, rows, SCALE_FLOOR, chart_id)
    table = _table(["", unit], [[label, _num(value)] for label, value in rows])
    return f"<figure><figcaption>{escape(title)}</figcaption>{drawn}{table}</figure>"


def _flows(report: ActivityReport, action: str) -> list[tuple[str, int]]:
    return [(month, by.get(action, 0)) for month, by in sorted(report.monthly_flows.items())]


def render(report: ActivityReport, inline_style: bool = False) -> str:
    """The page; served by the API it links its style sheet, written to a file it carries it."""
    values = {v.code: v for v in report.indicators}
    indicators = _table(
        ["indicateur", "valeur", "unité", "cible", "écart", "univers", "définition"],
        [
            [
                v.label,
                _num(v.value),
                v.unit,
                _num(v.target),
                _num(v.gap),
                str(v.count),
                f"{v.universe} — {v.formula}",
            ]
            for v in report.indicators
        ],
    )
    flash = values[Indicator.FLASH_DANS_72H].details
    charts = [
        "<h2>Délais d'évaluation</h2>",
        figure(
            "Délai de l'évaluation flash (cible : 72 h)",
            "delais-flash",
            "ménages",
            [(name, int(n or 0)) for name, n in flash.items()],
        ),
        "<h2>Flux mensuels</h2>",
        figure("Premiers contacts, par mois", "flux-contacts", "ménages", _flows(report, "report")),
        figure(
            "Admissions en hébergement, par mois",
            "flux-admissions",
            "admissions",
            _flows(report, "admission"),
        ),
        figure(
            "Accès au logement, par mois", "flux-logement", "ménages", _flows(report, "housing")
        ),
        figure(
            "Retours après un accès au logement, par délai",
            "retours",
            "ménages revenus",
            [(n, int(v or 0)) for n, v in values[Indicator.RETOURS_APRES_LOGEMENT].details.items()],
        ),
        "<h2>L'offre</h2>",
        figure(
            "Places par type de structure",
            "offre",
            "places",
            [(kind, sum(by.values())) for kind, by in sorted(report.offer.items())],
        ),
        _table(
            ["type de structure", "statut", "places"],
            [
                [k, s, str(n)]
                for k, by in sorted(report.offer.items())
                for s, n in sorted(by.items())
            ],
        ),
        "<h2>Qualité des données</h2>",
        figure(
            "Délai de saisie (événement → saisie)",
            "delais-saisie",
            "saisies",
            [(name, report.quality.entry_delay.get(name, 0)) for name, _ in DELAY_BUCKETS],
        ),
        _table(
            ["structure", "saisies", "non renseigné (%)", "sans contact depuis 90 j"],
            [
                [
                    s.structure,
                    str(s.records),
                    ", ".join(f"{k} {_num(v)}" for k, v in s.not_filled.items()) or "—",
                    str(s.without_contact),
                ]
                for s in report.quality.structures
            ],
        ),
    ]
    title = f"Rapport d'activité {report.year} — SIAO {report.departement}"
    style = (
        f"<style>{STYLE_SHEET.read_text()}</style>"
        if inline_style
        else f'<link rel="stylesheet" href="{CSS}">'
    )
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title>{style}</head><body><h1>{escape(title)}</h1>"
        f'<p class="note">Indicateurs : {escape(report.status)} (définitions ci-dessous, les '
        "mêmes dans chaque département ; cibles CPO de la politique du département).</p>"
        f"<h2>Indicateurs</h2>{indicators}{''.join(charts)}</body></html>"
    )
