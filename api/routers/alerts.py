"""Alerts where people work (issue 11, item 6): `GET /alerts` lists the alerts meant for the
caller — as lead referent, those of the households its structures follow; as coordinator, every
alert of its départements — open or closed, by kind. Each answer goes through the same redaction
as the household's file (api/redaction.py): a kind or a rule the role may not see is left out."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import Session, col, select

from api import redaction, viewers
from api.disclosure import Access, Disclosed, Disclosure
from api.permissions import Permission
from api.security import Principal, require
from api.state import BookDep, EngineDep
from core.clock import aware
from models.records import Alert, AlertKind, Household
from models.users import Role
from models.vocab import Recipient

router = APIRouter(prefix="/alerts", tags=["Alertes"])
READS = Disclosure(Access.READ, "alertes", "traitement des alertes")


class AlertItem(BaseModel):
    id: int
    household_id: str
    departement: str
    kind: str
    recipient: str
    recipient_structure: str | None
    due_at: datetime
    raised_at: datetime
    resolved_at: datetime | None
    rule_id: str | None
    reason: str | None


@router.get("", response_model=list[AlertItem], summary="Mes alertes (référent, coordination)")
def my_alerts(
    engine: EngineDep,
    book: BookDep,
    who: Annotated[Principal, Depends(require(Permission.ALERTS))],
    disclosed: Annotated[Disclosed, Depends(READS)],
    kind: Annotated[AlertKind | None, Query(description=AlertKind.describe())] = None,
    open: Annotated[bool | None, Query(description="ouvertes (true) ou levées (false)")] = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[AlertItem]:
    """Les plus récentes d'abord. Un référent (sans rôle de coordination) voit celles adressées
    au référent principal des ménages que suivent ses structures."""
    query: Any = (
        select(Alert, Household)
        .join(Household, col(Household.id) == col(Alert.household_id))
        .where(col(Household.departement).in_(sorted(who.departements)))
    )
    if Role.COORDINATEUR.value not in who.roles:
        query = query.where(
            Alert.recipient == Recipient.LEAD_REFERENT,
            col(Household.referent_structure).in_(sorted(who.structures)),
        )
    if kind is not None:
        query = query.where(Alert.kind == kind)
    if open is not None:
        resolved = col(Alert.resolved_at)
        query = query.where(resolved.is_(None) if open else resolved.is_not(None))
    with Session(engine) as session:
        rows = session.exec(query.order_by(col(Alert.raised_at).desc()).limit(limit)).all()
    seen_by: dict[tuple[str, str], viewers.Viewer] = {}
    items = []
    for alert, household in rows:
        key = (household.departement, str(household.stage))
        if key not in seen_by:
            seen_by[key] = viewers.viewer(who, stage=key[1], departement=key[0], book=book)
        raw = alert.model_dump(mode="json", warnings=False)
        shown = redaction.alert(raw, seen_by[key])
        if shown is None:  # a kind of deadline this role does not see
            continue
        for name in ("due_at", "raised_at", "resolved_at"):
            shown[name] = aware(getattr(alert, name))
        items.append(AlertItem.model_validate({**shown, "departement": household.departement}))
        disclosed.household(household.id, ["alertes"], household.departement)
    return items
