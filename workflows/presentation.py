"""What a supervisor reads in the Temporal Web UI: timer summaries, current details (French)."""

import re
from datetime import UTC, datetime, timedelta

from models.measures import MeasureKind
from models.pathway import PathwayState


def paris(moment: datetime) -> str:
    """Europe/Paris wall time without tz files (the workflow sandbox reads no files).

    Summer time runs from the last Sunday of March to the last Sunday of October, 01:00 UTC.
    """
    utc = moment.astimezone(UTC)

    def last_sunday(month: int) -> datetime:
        day = datetime(utc.year, month, 31, 1, tzinfo=UTC)
        return day - timedelta(days=(day.weekday() + 1) % 7)

    summer = last_sunday(3) <= utc < last_sunday(10)
    t = utc + timedelta(hours=2 if summer else 1)
    # Not strftime: in the sandbox, each call imports `time` through its importer.
    return f"{t.day:02d}/{t.month:02d}/{t.year:04d} à {t.hour:02d}h{t.minute:02d}"


UNITS = {
    "Y": ("an", "ans"),
    "M": ("mois", "mois"),
    "W": ("semaine", "semaines"),
    "D": ("jour", "jours"),
    "H": ("h", "h"),
}


def duration_fr(iso: str) -> str:
    """PT72H → 72 h, P2M → 2 mois, P1Y6M → 1 an 6 mois (what policy staff wrote, readable)."""
    date_part, _, time_part = iso.removeprefix("P").partition("T")
    parts = re.findall(r"(\d+)([YMWD])", date_part) + re.findall(r"(\d+)(H)", time_part)
    words = [f"{n} {UNITS[u][int(n) > 1]}" for n, u in parts]
    return " ".join(words) or iso


def timer_summary(state: PathwayState) -> str:
    """What the next timer waits for: a deadline, or the next escalation of a missed one."""
    waits = [
        (
            d.due_at,
            f"Échéance : {d.kind.label} avant le {paris(d.due_at)} ({duration_fr(d.duration)})",
        )
        for d in state.deadlines
        if not d.missed
    ]
    waits += [
        (
            d.escalate_at,
            f"Escalade : {d.kind.label} toujours en retard, alerte suivante "
            f"le {paris(d.escalate_at)}",
        )
        for d in state.deadlines
        if d.missed and d.escalate_at
    ]
    return min(waits)[1]


def current_details(state: PathwayState) -> str:
    lines = [f"**Étape** : {state.stage.label}", f"**Département** : {state.departement}"]
    if state.referent_structure:
        lines.append(f"**Structure référente** : {state.referent_structure}")
    for d in sorted(state.deadlines, key=lambda d: d.due_at):
        # « en attente », not « à venir »: a deadline's work comes at the pathway's offset after it
        # (planning.wakeup_offset), and these details are only rewritten then.
        status = "⚠️ dépassée" if d.missed else "en attente"
        lines.append(
            f"- {d.kind.label} : {paris(d.due_at)} — {status} (politique {d.policy_version})"
        )
    if state.overdue:
        lines.append("**En retard** : alerte envoyée selon la politique du département")
    if state.partnership_commission:
        lines.append(f"**Commission partenariale** : {state.partnership_commission}")
    if state.thematic_referents:
        lines.append(f"**Référents thématiques** : {', '.join(state.thematic_referents)}")
    if state.flags:
        lines.append(f"**Signalements** : {', '.join(state.flags)}")
    if state.measures:
        kinds = MeasureKind._value2member_map_
        named = [
            m.label if isinstance(m := kinds.get(c), MeasureKind) else c for c in state.measures
        ]
        lines.append(
            f"**Mesures d'accompagnement** : {', '.join(named)} "
            f"(intensité {state.accompaniment_intensity.label})"
        )
    if state.last_decisions:
        fired = ", ".join(sorted({d.rule_id for d in state.last_decisions}))
        lines.append(f"**Dernières règles appliquées** : {fired}")
    allowed = ", ".join(a.label for a in state.allowed_actions) or "aucune"
    lines.append(f"**Actions possibles** : {allowed}")
    return "\n".join(lines)
