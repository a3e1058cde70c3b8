"""Authentication and scope: who is calling, what they may do, which households they may reach.

A household outside the caller's départements (or, for a structure manager, not currently
oriented to or hosted by their structures; for a landlord, not housed by them) answers 404
exactly like an unknown one: nothing can be read, listed, counted or guessed across the line.
"""

import asyncio
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Row, bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from activities import rows
from api.errors import ApiError
from api.permissions import STRUCTURE_SCOPED, Permission, permissions_of, sees_sensitive
from api.state import State
from core.security import LOCAL_ISSUER, TokenInvalid, decode_token
from core.settings import Settings
from models.evaluations import Orientation, Placement, PlacementKind
from models.pathway import Stage
from models.records import Household
from models.users import Role, User
from models.vocab_orientation import OrientationAnswer

oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
# argon2 takes 64 MiB a hash: at most this many at once per process (logins, password changes);
# the others wait their turn on the event loop, holding no thread and no memory.
HASHING_SLOTS = 4
T = TypeVar("T")
_hashing: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


async def hashing(work: Callable[[], T]) -> T:
    """Run `work` (which hashes or verifies a password) in a thread, within the slots."""
    loop = asyncio.get_running_loop()
    slots = _hashing.get(loop)
    if slots is None:
        slots = _hashing[loop] = asyncio.Semaphore(HASHING_SLOTS)
    async with slots:
        return await run_in_threadpool(work)


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
        """The need-to-know rule of api.permissions (commission: its agenda only)."""
        return sees_sensitive(self.roles, self.permissions, household.stage)


_ACCOUNTS = User.__table__  # type: ignore[attr-defined]
# What a request needs of its caller's account, read with SQL Core through statements built
# once: no ORM session or object per request (an authentication 295 → 164 µs, in process).
_ACCOUNT_COLUMNS = [
    _ACCOUNTS.c[name]
    for name in ("id", "username", "roles", "departements", "structures", "active", "token_version")
]
_LOCAL_ACCOUNT = select(*_ACCOUNT_COLUMNS).where(_ACCOUNTS.c.id == bindparam("id"))
_OIDC_ACCOUNT = select(*_ACCOUNT_COLUMNS).where(
    _ACCOUNTS.c.oidc_issuer == bindparam("iss"), _ACCOUNTS.c.oidc_subject == bindparam("sub")
)


def _account(engine: Engine, claims: dict[str, Any]) -> Row | None:
    with engine.connect() as connection:
        if claims.get("iss") == LOCAL_ISSUER:  # our own token: its account, at its version
            try:
                account_id = int(claims["sub"])
            except (TypeError, ValueError):
                return None
            row = connection.execute(_LOCAL_ACCOUNT, {"id": account_id}).first()
            return row if row is not None and row.token_version == claims.get("ver") else None
        # OIDC: the provider's stable (issuer, sub), never a name the provider lets users choose.
        return connection.execute(
            _OIDC_ACCOUNT, {"iss": claims["iss"], "sub": str(claims["sub"])}
        ).first()


def authenticate(engine: Engine, settings: Settings, token: str) -> Principal:
    """The caller behind a token (blocking: the key set may be fetched, the account is read)."""
    try:
        claims = decode_token(settings, token)
    except TokenInvalid as exc:
        raise ApiError(401, "Jeton invalide ou expiré : reconnectez-vous.") from exc
    user = _account(engine, claims)
    if user is None and claims.get("iss") == LOCAL_ISSUER:
        raise ApiError(401, "Jeton invalide ou expiré : reconnectez-vous.")  # revoked
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


# Set at login for the Temporal UI's calls to /codec, and accepted there only: a cookie rides
# along with every request a browser makes, so it must not authenticate the rest of the API.
SESSION_COOKIE = "siao_session"
SESSION_COOKIE_PATH = "/codec"


def _unauthenticated() -> ApiError:
    return ApiError(401, "Authentification requise.", headers={"WWW-Authenticate": "Bearer"})


async def current_principal(
    state: State, token: Annotated[str | None, Depends(oauth2)]
) -> Principal:
    """The caller of a bearer token (Authorization header); the session cookie is ignored."""
    if not token:
        raise _unauthenticated()
    return await run_in_threadpool(authenticate, state.engine, state.settings, token)


async def session_principal(
    request: Request, state: State, token: Annotated[str | None, Depends(oauth2)]
) -> Principal:
    """The codec routes only: a bearer token, or the session cookie (the Temporal Web UI cannot
    send a bearer token; it can send the cookie set at login)."""
    token = token or request.cookies.get(SESSION_COOKIE)
    if not token:
        raise _unauthenticated()
    return await run_in_threadpool(authenticate, state.engine, state.settings, token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(
    permission: Permission, *, session_cookie: bool = False
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A route dependency: the caller must hold `permission` (403 in French otherwise).
    `session_cookie`: the session cookie authenticates too (the codec routes, nothing else)."""
    resolve = session_principal if session_cookie else current_principal

    async def check(principal: Annotated[Principal, Depends(resolve)]) -> Principal:
        if not principal.can(permission):
            raise ApiError(403, f"Accès refusé : votre rôle ne permet pas « {permission.value} ».")
        return principal

    return check


def _manager_reaches(session: Session, mine: frozenset[str], household: Household) -> bool:
    """A structure manager, while the pathway is open: the orientation being decided or acted
    on is to their structure (pending or accepted), or the household is hosted there (its last
    admission or housing). A refusal, a re-orientation elsewhere or an exit ends it."""
    if household.stage == Stage.CLOSED:
        return False
    if household.stage == Stage.ORIENTATION_PROPOSED:
        orientation = session.exec(  # the one being answered (as the writers pick it)
            select(Orientation)
            .where(Orientation.household_id == household.id)
            .order_by(col(Orientation.proposed_at).desc(), col(Orientation.id).desc())
        ).first()
        if (
            orientation is not None
            and orientation.structure in mine
            and orientation.answer in (None, OrientationAnswer.ACCEPTEE.value)
        ):
            return True
    placement = session.exec(
        select(Placement)
        .where(Placement.household_id == household.id)
        .order_by(col(Placement.started_at).desc(), col(Placement.id).desc())
    ).first()
    return placement is not None and placement.structure in mine


def in_scope(session: Session, principal: Principal, household: Household | None) -> bool:
    if household is None or household.departement not in principal.departements:
        return False
    if not principal.structure_scoped:
        return True
    mine = principal.structures
    if Role.GESTIONNAIRE.value in principal.roles and _manager_reaches(session, mine, household):
        return True
    if Role.BAILLEUR.value not in principal.roles:
        return False
    return (  # a landlord: the households it houses
        session.exec(
            select(Placement.id).where(
                Placement.household_id == household.id,
                col(Placement.structure).in_(list(mine)),
                Placement.kind == PlacementKind.HOUSING,
            )
        ).first()
        is not None
    )


def _reachable(session: Session, principal: Principal, household: Household | None) -> Household:
    """The household if the caller may reach it; 404 « Ménage inconnu. » otherwise."""
    if household is None or not in_scope(session, principal, household):
        raise ApiError(404, "Ménage inconnu.")
    return household


def household_for(session: Session, principal: Principal, household_id: str) -> Household:
    """The household if the caller may reach it (in the session, to change); 404 otherwise."""
    return _reachable(session, principal, session.get(Household, household_id))


def household_copy_for(session: Session, principal: Principal, household_id: str) -> Household:
    """As `household_for`, a detached copy to read (SQL Core: no ORM load per action sent)."""
    try:
        household, _ = rows.read_household(session, household_id)
    except LookupError:
        household = None
    return _reachable(session, principal, household)
