"""Authentication and scope: who is calling, what they may do, which households they may reach.

A household outside the caller's départements (or, for a structure manager or a landlord,
not oriented to or housed by their structures) answers 404 exactly like an unknown one:
nothing can be read, listed, counted or guessed across the line.
"""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from api.permissions import AGENDA_STAGES, STRUCTURE_SCOPED, Permission, permissions_of
from core.security import TokenInvalid, decode_token
from models.evaluations import Orientation, Placement
from models.records import Household
from models.users import Role, User

oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    roles: frozenset[str]
    departements: frozenset[str]
    structures: frozenset[str]
    permissions: frozenset[Permission]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def structure_scoped(self) -> bool:
        """Only manager or landlord roles: reach limited to their structures' households."""
        return bool(self.roles) and all(r in STRUCTURE_SCOPED for r in self.roles)

    def sees_sensitive(self, household: Household) -> bool:
        if not self.can(Permission.READ_SENSITIVE):
            return False
        if self.roles <= {Role.COMMISSION.value, *STRUCTURE_SCOPED}:
            return household.stage in AGENDA_STAGES  # on the commission's agenda only
        return True


def _load_user(engine: Engine, claims: dict[str, Any]) -> User | None:
    with Session(engine) as session:
        if claims.get("iss") == "siao-local":
            return session.get(User, int(claims["sub"]))
        name = claims.get("preferred_username") or claims["sub"]  # OIDC: same account name
        return session.exec(select(User).where(User.username == name)).first()


SESSION_COOKIE = "siao_session"


async def current_principal(
    request: Request, token: Annotated[str | None, Depends(oauth2)]
) -> Principal:
    # The Temporal Web UI cannot send a bearer token to the codec endpoint; it can send the
    # session cookie set at login (same site: localhost:8233 → localhost:8000).
    token = token or request.cookies.get(SESSION_COOKIE)
    if not token:
        raise ApiError(401, "Authentification requise.", headers={"WWW-Authenticate": "Bearer"})
    try:
        claims = decode_token(request.app.state.settings, token)
    except TokenInvalid as exc:
        raise ApiError(401, "Jeton invalide ou expiré : reconnectez-vous.") from exc
    user = await run_in_threadpool(_load_user, request.app.state.engine, claims)
    if user is None or not user.active or user.id is None:
        raise ApiError(401, "Compte inconnu ou désactivé.")
    return Principal(
        user.id,
        user.username,
        frozenset(user.roles),
        frozenset(user.departements),
        frozenset(user.structures),
        permissions_of(user.roles),
    )


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A route dependency: the caller must hold `permission` (403 in French otherwise)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise ApiError(403, f"Accès refusé : votre rôle ne permet pas « {permission.value} ».")
        return principal

    return check


def in_scope(session: Session, principal: Principal, household: Household | None) -> bool:
    if household is None or household.departement not in principal.departements:
        return False
    if not principal.structure_scoped:
        return True
    mine = list(principal.structures)
    if (
        Role.GESTIONNAIRE.value in principal.roles
        and session.exec(
            select(Orientation.id).where(
                Orientation.household_id == household.id, col(Orientation.structure).in_(mine)
            )
        ).first()
    ):
        return True
    return (
        session.exec(
            select(Placement.id).where(
                Placement.household_id == household.id,
                col(Placement.structure).in_(mine),
                *(
                    ()
                    if Role.GESTIONNAIRE.value in principal.roles
                    else (Placement.kind == "housing",)
                ),
            )
        ).first()
        is not None
    )


def household_for(session: Session, principal: Principal, household_id: str) -> Household:
    """The household if the caller may reach it; 404 « Ménage inconnu. » otherwise."""
    household = session.get(Household, household_id)
    if household is None or not in_scope(session, principal, household):
        raise ApiError(404, "Ménage inconnu.")
    return household
