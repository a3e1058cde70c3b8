"""Staff accounts, for administrators (`manage_users`): create, change rights, disable, reset a
password. Every change is audited (who, which account, which fields — never a password) and
revokes the account's tokens when its rights, status, identity or password change."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from activities import audit
from api.accounts import AccountError, check_rights, revoke_tokens
from api.errors import INVALID, ApiError, problem
from api.permissions import Permission
from api.security import Principal, hashing, require
from api.state import EngineDep, SettingsDep
from core.security import hash_password
from core.settings import Settings
from models.departements import DEPARTEMENT_PATTERN
from models.users import Role, User

router = APIRouter(prefix="/users", tags=["Comptes"])
Admin = Annotated[Principal, Depends(require(Permission.USERS))]
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
UNKNOWN: dict[int | str, dict[str, Any]] = {404: problem("Compte inconnu")}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: problem("Nom ou identité OIDC déjà pris, ou dernier administrateur actif")
}
Departement = Annotated[str, Field(pattern=DEPARTEMENT_PATTERN)]
Structure = Annotated[str, Field(min_length=1, max_length=120)]
RIGHTS = ("roles", "departements", "structures")


class Account(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    departements: list[str]
    structures: list[str]
    active: bool
    oidc_issuer: str | None
    oidc_subject: str | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> "Account":
        return cls.model_validate(user, from_attributes=True)


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=r"^[A-Za-z0-9._@-]{2,80}$", description="nom de connexion")
    display_name: str | None = Field(None, min_length=1, max_length=120)
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    departements: list[Departement] = Field(default_factory=list, max_length=101)
    structures: list[Structure] = Field(default_factory=list, max_length=20)
    password: str | None = Field(None, min_length=12, max_length=256)
    oidc_subject: str | None = Field(
        None, min_length=1, max_length=255, description="`sub` chez le fournisseur OIDC configuré"
    )


class AccountChange(BaseModel):
    """Only the fields sent change; `oidc_subject: null` unbinds the OIDC identity."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(None, min_length=1, max_length=120)
    roles: list[Role] | None = Field(None, min_length=1, max_length=len(Role))
    departements: list[Departement] | None = Field(None, max_length=101)
    structures: list[Structure] | None = Field(None, max_length=20)
    active: bool | None = Field(None, description="false : compte désactivé")
    oidc_subject: str | None = Field(None, min_length=1, max_length=255)


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=12, max_length=256, description="12 caractères au moins")


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, INVALID, erreurs=[{"champ": field, "message": message}])


def _issuer(settings: Settings, subject: str | None) -> str | None:
    if subject is None:
        return None
    issuer = settings.oidc_issuer
    if not issuer:
        raise _invalid("oidc_subject", "OIDC n'est pas configuré (SIAO_OIDC_ISSUER)")
    return issuer


def _load(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise ApiError(404, "Compte inconnu.")
    return user


def _is_admin(user: User) -> bool:
    return user.active and Role.ADMIN.value in user.roles


def _keeps_an_admin(session: Session, user: User) -> None:
    """An active administrator must remain, or nobody could manage accounts again."""
    if _is_admin(user):
        return
    others = session.exec(select(User).where(col(User.active), col(User.id) != user.id)).all()
    if not any(Role.ADMIN.value in other.roles for other in others):
        raise ApiError(409, "Refusé : ce serait le dernier compte administrateur actif.")


def _audit(engine: Engine, admin: Principal, record: str, what: str, fields: list[str]) -> None:
    audit.record(
        engine,
        actor=f"agent-{admin.user_id}",
        action="administration",
        record=record,
        fields=fields,
        purpose=what,
    )


@router.get("", response_model=list[Account], summary="Les comptes")
async def accounts(admin: Admin, engine: EngineDep) -> list[Account]:
    def read() -> list[Account]:
        with Session(engine) as session:
            users = session.exec(select(User).order_by(col(User.id))).all()
            return [Account.of(u) for u in users]

    listed = await run_in_threadpool(read)
    await run_in_threadpool(_audit, engine, admin, "comptes", "lecture de la liste des comptes", [])
    return listed


@router.post(
    "", response_model=Account, status_code=201, summary="Créer un compte", responses=CONFLICT
)
async def create(
    body: AccountCreate, admin: Admin, engine: EngineDep, settings: SettingsDep
) -> Account:
    roles = [r.value for r in body.roles]
    try:
        check_rights(roles, body.departements, body.structures)
    except AccountError as exc:
        raise _invalid("corps", str(exc)) from exc
    if body.password is None and body.oidc_subject is None:
        raise _invalid("password", "un mot de passe ou une identité OIDC (oidc_subject)")
    issuer = _issuer(settings, body.oidc_subject)
    password = body.password

    def insert() -> User:
        with Session(engine, expire_on_commit=False) as session:
            user = User(
                username=body.username,
                display_name=body.display_name or body.username,
                password_hash=hash_password(password) if password else None,
                roles=roles,
                departements=body.departements,
                structures=body.structures,
                oidc_issuer=issuer,
                oidc_subject=body.oidc_subject,
            )
            session.add(user)
            try:
                session.commit()
            except IntegrityError as exc:
                raise ApiError(
                    409, "Ce nom de compte ou cette identité OIDC est déjà utilisé(e)."
                ) from exc
            return user

    user = await hashing(insert)
    assert user.id is not None
    fields = sorted(body.model_dump(exclude_unset=True, exclude={"password"}))
    await run_in_threadpool(
        _audit, engine, admin, f"compte agent-{user.id}", "création du compte", fields
    )
    return Account.of(user)


@router.patch(
    "/{user_id}",
    response_model=Account,
    summary="Changer les droits, le nom affiché, l'identité OIDC ; désactiver, réactiver",
    responses={**UNKNOWN, **CONFLICT},
)
async def change(
    user_id: UserId, body: AccountChange, admin: Admin, engine: EngineDep, settings: SettingsDep
) -> Account:
    sent = body.model_dump(exclude_unset=True, mode="json")
    for name in ("display_name", "roles", "departements", "structures", "active"):
        if name in sent and sent[name] is None:
            raise _invalid(name, "ne peut pas être vide (null)")
    issuer = _issuer(settings, body.oidc_subject) if "oidc_subject" in sent else None

    def apply() -> tuple[User, list[str]]:
        with Session(engine, expire_on_commit=False) as session:
            user = _load(session, user_id)
            new = {**sent}
            if "oidc_subject" in sent:
                new["oidc_issuer"] = issuer
            changed = sorted(k for k, v in new.items() if getattr(user, k) != v)
            if not changed:
                return user, []
            rights = {name: new.get(name, getattr(user, name)) for name in RIGHTS}
            try:
                check_rights(rights["roles"], rights["departements"], rights["structures"])
            except AccountError as exc:
                raise _invalid("corps", str(exc)) from exc
            was_admin = _is_admin(user)
            for name in changed:
                setattr(user, name, new[name])
            if was_admin:
                _keeps_an_admin(session, user)
            session.add(user)
            if set(changed) & {*RIGHTS, "active", "oidc_subject", "oidc_issuer"}:
                revoke_tokens(session, user_id)
            try:
                session.commit()
            except IntegrityError as exc:
                raise ApiError(409, "Cette identité OIDC est déjà liée à un autre compte.") from exc
            session.refresh(user)
            return user, changed

    user, changed = await run_in_threadpool(apply)
    if changed:
        what = "désactivation du compte" if sent.get("active") is False else "modification"
        record = f"compte agent-{user_id}"
        await run_in_threadpool(_audit, engine, admin, record, what, changed)
    return Account.of(user)


@router.post(
    "/{user_id}/password",
    status_code=204,
    summary="Réinitialiser le mot de passe d'un compte (révoque ses jetons)",
    responses=UNKNOWN,
)
async def reset_password(
    user_id: UserId, body: PasswordReset, admin: Admin, engine: EngineDep
) -> Response:
    def reset() -> None:
        with Session(engine) as session:
            user = _load(session, user_id)
            user.password_hash = hash_password(body.password)
            session.add(user)
            revoke_tokens(session, user_id)
            session.commit()

    await hashing(reset)
    what = "réinitialisation du mot de passe"
    record = f"compte agent-{user_id}"
    await run_in_threadpool(_audit, engine, admin, record, what, ["password"])
    return Response(status_code=204)
