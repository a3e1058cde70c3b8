"""Indicators of who comes in and comes back (issue 12): the 115's calls and requests, counted
apart from people; first-time requests; returns after housing (the retention indicator)."""

from collections.abc import Callable
from datetime import timedelta

from activities.indicator_data import Data, Result, counted, share
from models.calls import CallOutcome, CallRequestKind
from models.evaluations import PlacementKind

RECENT = timedelta(days=730)
RETURN_BUCKETS = (("0–180 j", 180), ("181–365 j", 365), ("366–730 j", 730))


def first_time(d: Data) -> Result:
    """No earlier pathway named, or one closed more than 730 days before the encounter."""

    def first(hid: str) -> bool:
        h = d.households[hid]
        if h.previous_household_id is None:
            return True
        closed = d.earlier_closed.get(h.previous_household_id)
        return closed is not None and closed < h.encountered_at - RECENT

    value, _, details, ids = counted(hid for hid in d.met if first(hid))
    return value, len(d.met), details, ids


def returns(d: Data) -> Result:
    """Of the households housed in the 730 days before the period's end, those who came back."""
    housed = {
        p.household_id: p.started_at
        for p in d.placements
        if p.kind == PlacementKind.HOUSING and d.scope.end - RECENT <= p.started_at < d.scope.end
    }
    back: dict[str, float] = {}
    for h in d.households.values():
        since = housed.get(h.previous_household_id or "")
        if since is not None and since <= h.encountered_at < d.scope.end:
            days = (h.encountered_at - since).total_seconds() / 86400
            back.setdefault(h.previous_household_id or "", days)
    buckets = {
        name: sum(1 for days in back.values() if low < days <= limit)
        for (name, limit), low in zip(
            RETURN_BUCKETS, (-1, *(limit for _, limit in RETURN_BUCKETS[:-1])), strict=True
        )
    }
    within = [hid for hid, days in back.items() if days <= RECENT.days]
    return share(sorted(within), list(housed), buckets)


def calls(answered: bool) -> Callable[[Data], Result]:
    def compute(d: Data) -> Result:
        days, received, taken = d.calls
        rate = round(100 * taken / received, 1) if received else None
        details = {"taux de décroché (%)": rate} if answered else {}
        return (float(taken if answered else received) if days else None), days, details, []

    return compute


def requests_without_place(d: Data) -> Result:
    unmet = [r for r in d.requests if r.outcome == CallOutcome.NON_POURVUE_FAUTE_DE_PLACE]
    details = {
        "demandes": len(d.requests),
        "mises à l'abri demandées": sum(
            r.kind == CallRequestKind.MISE_A_L_ABRI for r in d.requests
        ),
        "ménages connus": len({r.household_id for r in d.requests if r.household_id}),
    }
    ids = sorted({r.household_id for r in unmet if r.household_id})
    return float(len(unmet)), len(d.requests), details, ids
