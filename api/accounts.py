"""Staff accounts: created and changed through `/users` (administrators) or from the command
line (`siao users create …`); and the first admin that `make up` creates on a fresh
install. Every change of rights, password or status revokes the account's tokens."""

import secrets

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.security import hash_password
from models.departements import DEPARTEMENTS
from models.users import Role, User


class AccountError(ValueError):
    """A refused account change, in French (422 or 409 at the API)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def check_rights(roles: list[str], departements: list[str], structures: list[str]) -> None:
    unknown = [r for r in roles if r not in Role._value2member_map_]
    if unknown:
        raise AccountError(f"rôle(s) inconnu(s) : {', '.join(unknown)}")
    if not roles:
        raise AccountError("au moins un rôle")
    wrong = [d for d in departements if d not in DEPARTEMENTS]
    if wrong:
        raise AccountError(f"département(s) inconnu(s) : {', '.join(wrong)}")
    scoped = {Role.GESTIONNAIRE.value, Role.BAILLEUR.value} & set(roles)
    if scoped and not structures:
        raise AccountError(
            "un gestionnaire de structure ou un bailleur doit avoir au moins une structure"
        )


def create_user(
    engine: Engine,
    username: str,
    password: str | None,
    roles: list[str],
    departements: list[str],
    structures: list[str] | None = None,
    display_name: str | None = None,
    oidc: tuple[str, str] | None = None,
) -> User:
    """`oidc`: the provider's (issuer, sub) this account is bound to."""
    unknown = [r for r in roles if r not in Role._value2member_map_]
    if unknown:
        raise AccountError(f"rôle(s) inconnu(s) : {', '.join(unknown)}")
    with Session(engine, expire_on_commit=False) as session:
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password) if password else None,
            roles=roles,
            departements=departements,
            structures=structures or [],
            oidc_issuer=oidc[0] if oidc else None,
            oidc_subject=oidc[1] if oidc else None,
        )
        session.add(user)
        try:
            session.commit()
        except IntegrityError as exc:
            raise AccountError(
                "ce nom de compte ou cette identité OIDC est déjà utilisé(e)", 409
            ) from exc
        return user


def revoke_tokens(session: Session, user_id: int) -> None:
    """Bump the account's token version (in the caller's transaction): every token issued
    before, and the session cookie, stop working at their next request."""
    session.execute(
        update(User)
        .where(col(User.id) == user_id)
        .values(token_version=col(User.token_version) + 1)
    )


def ensure_first_admin(engine: Engine) -> str | None:
    """On an empty install, create `admin` with a random password and return it (once)."""
    with Session(engine) as session:
        if session.exec(select(User.id)).first() is not None:
            return None
    password = secrets.token_urlsafe(12)
    create_user(engine, "admin", password, [Role.ADMIN.value], [], display_name="Administrateur")
    return password
