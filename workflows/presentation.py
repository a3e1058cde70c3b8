"""What a supervisor reads in the Temporal Web UI: timer summaries, current details (French)."""

from datetime import UTC, datetime, timedelta

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
    local = utc + timedelta(hours=2 if summer else 1)
    return local.strftime("%d/%m/%Y à %Hh%M")


def timer_summary(state: PathwayState) -> str:
    pending = sorted((d for d in state.deadlines if not d.missed), key=lambda d: d.due_at)
    first = pending[0]
    return f"Échéance : {first.kind.label} avant le {paris(first.due_at)} ({first.duration})"


def current_details(state: PathwayState) -> str:
    lines = [f"**Étape** : {state.stage.label}", f"**Département** : {state.departement}"]
    if state.referent_structure:
        lines.append(f"**Structure référente** : {state.referent_structure}")
    for d in sorted(state.deadlines, key=lambda d: d.due_at):
        status = "⚠️ dépassée" if d.missed else "à venir"
        lines.append(
            f"- {d.kind.label} : {paris(d.due_at)} — {status} (politique {d.policy_version})"
        )
    if state.overdue:
        lines.append("**En retard** : alerte envoyée au référent de parcours")
    allowed = ", ".join(a.label for a in state.allowed_actions) or "aucune"
    lines.append(f"**Actions possibles** : {allowed}")
    return "\n".join(lines)
