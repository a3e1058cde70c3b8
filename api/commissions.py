"""Commission sessions in SQL: a caller's sessions, the members who may sit, the agenda read from
the households' read model, and whether a household may be decided in a session.

The agenda is the single source for both the list and the check before a decision: a household
the agenda does not show cannot be decided through the session (409)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, func, or_
from sqlmodel import Session, col, select

from api.errors import ApiError
from api.security import Principal, household_for
from models.commissions import (
    AgendaReason,
    CommissionSession,
    SessionDecisionCreate,
    SessionDecisionEntry,
    SessionStatus,
    kind_of,
)
from models.evaluations import CommissionDecision, Orientation
from models.pathway import Stage
from models.records import Household
from models.transitions import COMMISSION_AGENDA
from models.users import Role, User
from models.vocab import Flag
from models.vocab_orientation import CommissionKind, OrientationAnswer

UNKNOWN_SESSION = "Séance de commission inconnue."
# Who may sit in a commission: its members, and the SIAO's coordination.
SITS = frozenset({Role.COMMISSION.value, Role.COORDINATEUR.value})
R = AgendaReason


def session_for(session: Session, principal: Principal, commission_id: int) -> CommissionSession:
    """A session of the caller's départements; 404 otherwise, exactly like an unknown one."""
    found = session.get(CommissionSession, commission_id)
    if found is None or found.departement not in principal.departements:
        raise ApiError(404, UNKNOWN_SESSION)
    return found


def sessions_of(
    session: Session, principal: Principal, status: SessionStatus | None, limit: int
) -> Sequence[CommissionSession]:
    query: Any = select(CommissionSession).where(
        col(CommissionSession.departement).in_(sorted(principal.departements))
    )
    if status is not None:
        query = query.where(CommissionSession.status == status)
    order = (col(CommissionSession.held_on).desc(), col(CommissionSession.id).desc())
    return session.exec(query.order_by(*order).limit(limit)).all()


def _unfit(session: Session, departement: str, names: list[str]) -> dict[str, str]:
    """Each name that cannot sit in a commission of `departement`, and why."""
    accounts = {
        u.username: u for u in session.exec(select(User).where(col(User.username).in_(names)))
    }
    why: dict[str, str] = {}
    for name in names:
        user = accounts.get(name)
        if user is None:
            why[name] = "compte inconnu"
        elif not user.active:
            why[name] = "compte désactivé"
        elif departement not in user.departements:
            why[name] = f"n'est pas du département {departement}"
        elif not SITS & set(user.roles):
            why[name] = "n'a ni le rôle commission ni le rôle coordination"
    return why


def invalid_names(field: str, why: dict[str, str], detail: str) -> ApiError:
    listed = " ; ".join(f"« {name} » ({reason})" for name, reason in why.items())
    errors = [{"champ": field, "message": f"« {name} » : {reason}"} for name, reason in why.items()]
    return ApiError(422, f"{detail} : {listed}. Rien n'a été enregistré.", erreurs=errors)


def check_members(session: Session, departement: str, members: list[str]) -> None:
    why = _unfit(session, departement, members)
    if why:
        raise invalid_names("members", why, "Membre(s) refusé(s)")


# -- the agenda ----------------------------------------------------------------------------------


def _long_stay() -> Any:
    """An admitted household the rules flagged for an abnormally long stay (R-HOUS-1). Flags
    are a JSON list: matched as text, the same on SQLite and PostgreSQL."""
    flags = cast(col(Household.flags), String)
    return and_(
        col(Household.stage) == Stage.ADMITTED.value,
        flags.like(f'%"{Flag.LONG_STAY_REVIEW.value}"%'),
    )


def _ready(commission: CommissionSession) -> Any:
    """The households ready for a decision of this session's commission."""
    stage, routed = col(Household.stage), col(Household.partnership_commission)
    waiting = stage.in_(sorted(s.value for s in COMMISSION_AGENDA))
    here = col(Household.departement) == commission.departement
    if commission.kind == CommissionKind.UNIQUE:  # not those the rules routed away (R-COM-2)
        return and_(here, waiting, routed.is_(None))
    return and_(here, routed.is_not(None), or_(waiting, _long_stay()))


def decisions_in(session: Session, commission_id: int) -> dict[str, CommissionDecision]:
    """The decisions this session took, the latest per household."""
    rows = session.exec(
        select(CommissionDecision)
        .where(CommissionDecision.session_id == commission_id)
        .order_by(col(CommissionDecision.id))
    ).all()
    return {row.household_id: row for row in rows}


def _back_after_refusal(session: Session, ids: list[str]) -> set[str]:
    """Households whose latest orientation was refused, with no decision taken since."""
    if not ids:
        return set()
    latest: dict[str, Orientation] = {}
    for orientation in session.exec(
        select(Orientation)
        .where(col(Orientation.household_id).in_(ids))
        .order_by(col(Orientation.proposed_at), col(Orientation.id))
    ):
        latest[orientation.household_id] = orientation
    decided: dict[str, datetime] = dict(
        session.exec(
            select(CommissionDecision.household_id, func.max(CommissionDecision.decided_at))
            .where(col(CommissionDecision.household_id).in_(ids))
            .group_by(col(CommissionDecision.household_id))
        ).all()
    )
    return {
        hid
        for hid, o in latest.items()
        if o.answer == OrientationAnswer.REFUSEE.value
        and o.answered_at is not None
        and (hid not in decided or decided[hid] <= o.answered_at)
    }


@dataclass(frozen=True)
class AgendaRow:
    household: Household
    reason: AgendaReason
    decision: CommissionDecision | None  # taken in this session


def _reason(commission: CommissionSession, household: Household, back: set[str]) -> R:
    if household.stage == Stage.ADMITTED:
        return R.SEJOUR_LONG
    if household.id in back:
        return R.RETOUR_APRES_REFUS
    if commission.kind == CommissionKind.PARTENARIALE:
        return R.ORIENTATION_PARTENARIALE
    if household.stage == Stage.IN_DEPTH_EVALUATED:
        return R.EVALUATION_APPROFONDIE
    return R.EN_ATTENTE_ORIENTATION


def agenda(
    session: Session, commission: CommissionSession, household_id: str | None = None
) -> list[AgendaRow]:
    """The households ready for a decision, and those this session already decided (even if
    they moved on since), the longest-waiting first (no seniority: last). A closed session
    decides nothing more: its agenda is what it decided."""
    assert commission.id is not None
    decided = decisions_in(session, commission.id)
    taken = col(Household.id).in_(sorted(decided))
    is_open = commission.status == SessionStatus.OUVERTE
    query: Any = select(Household).where(or_(_ready(commission), taken) if is_open else taken)
    if household_id is not None:
        query = query.where(Household.id == household_id)
    since = col(Household.seniority_since)
    households = session.exec(query.order_by(since.is_(None), since, col(Household.id))).all()
    back = _back_after_refusal(
        session, [h.id for h in households if h.stage == Stage.COMMISSION.value]
    )
    return [AgendaRow(h, _reason(commission, h, back), decided.get(h.id)) for h in households]


# -- a decision through the session --------------------------------------------------------------


def refused(detail: str) -> ApiError:
    return ApiError(409, f"{detail} Rien n'a été enregistré.")


def decision_entry(
    session: Session,
    principal: Principal,
    commission_id: int,
    household_id: str,
    body: SessionDecisionCreate,
    submission_id: str,
) -> SessionDecisionEntry:
    """The entry to stage for this decision, once the session may take it: 404 for a session or
    household out of reach, 409 for a closed session or a household not on its agenda, 422 for
    a body that does not fit the session."""
    commission = session_for(session, principal, commission_id)
    household = household_for(session, principal, household_id)
    if household.departement != commission.departement:  # not this session's: as unknown
        raise ApiError(404, "Ménage inconnu.")
    if commission.status == SessionStatus.CLOSE:
        raise refused("Séance close : elle ne rend plus de décision.")
    kind = kind_of(commission)
    if "commission" in body.model_fields_set and body.commission is not kind:
        raise ApiError(
            422,
            f"Saisie invalide : cette séance est une {kind.label}.",
            erreurs=[{"champ": "commission", "message": f"doit valoir « {kind.value} »"}],
        )
    absent = {m: "pas membre de la séance" for m in body.members_present}
    for member in commission.members:
        absent.pop(member, None)
    if absent:
        raise invalid_names("members_present", absent, "Membre(s) présent(s) refusé(s)")
    rows = agenda(session, commission, household_id)
    taken = rows[0].decision if rows else None
    if taken is not None and taken.submission_id != submission_id:  # not a retry of that one
        raise refused("Ce ménage a déjà sa décision dans cette séance.")
    if not rows:
        raise refused("Ce ménage n'est pas à l'ordre du jour de cette séance.")
    sent = body.model_dump(mode="json", exclude_unset=True)
    return SessionDecisionEntry.model_validate(
        {**sent, "commission": kind.value, "session_id": commission.id}
    )
