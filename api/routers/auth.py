"""Logging in and out: a bearer token for a local account (OAuth2 password flow, as /docs
expects), throttled per account name and per address; logout and a password change revoke the
account's tokens."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from api import throttle
from api.accounts import revoke_tokens
from api.errors import INVALID, ApiError, problem
from api.security import (
    SESSION_COOKIE,
    SESSION_COOKIE_PATH,
    CurrentPrincipal,
    hashing,
)
from api.state import EngineDep, SettingsDep
from core.security import create_token, hash_password, keyed_digest, verify_password
from core.settings import Settings
from models.users import User

router = APIRouter(prefix="/auth", tags=["Authentification"])
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: problem("Trop de tentatives : réessayez après le délai indiqué (Retry-After)")
}
PASSWORD = Field(min_length=12, max_length=256, description="12 caractères au moins")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    username: str
    roles: list[str]
    departements: list[str]
    structures: list[str]
    permissions: list[str]


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=256)
    new_password: str = PASSWORD


def _keys(settings: Settings, request: Request, username: str) -> tuple[str, str]:
    """The throttle's keys: the account name (known or not) and the client's address."""
    address = request.client.host if request.client else "inconnue"
    return (
        keyed_digest(settings, "account", username.casefold()),
        keyed_digest(settings, "address", address),
    )


async def _not_locked(engine: Engine, keys: tuple[str, str]) -> None:
    wait = await run_in_threadpool(throttle.retry_after, engine, list(keys))
    if wait:
        raise ApiError(
            429,
            f"Trop de tentatives de connexion : réessayez dans {wait} s.",
            headers={"Retry-After": str(wait)},
        )


async def _failed(engine: Engine, keys: tuple[str, str]) -> None:
    account, address = keys
    rules = {account: throttle.ACCOUNT, address: throttle.ADDRESS}
    await run_in_threadpool(throttle.failed, engine, rules)


def _set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    """For the Temporal UI's calls to /codec, and sent there only (HttpOnly: no script reads
    it; the API accepts it on /codec only)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path=SESSION_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=not settings.in_development,
        max_age=settings.token_minutes * 60,
    )


@router.post(
    "/token", response_model=Token, summary="Obtenir un jeton (compte local)", responses=TOO_MANY
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
    settings: SettingsDep,
    engine: EngineDep,
) -> Token:
    keys = _keys(settings, request, form.username)
    await _not_locked(engine, keys)

    def check() -> User | None:
        user = None
        if "\x00" not in form.username:  # no such account (and PostgreSQL refuses the query)
            with Session(engine) as session:
                user = session.exec(select(User).where(User.username == form.username)).first()
        usable = user is not None and user.active
        # One argon2 verification whatever the name: unknown, disabled and OIDC-only accounts
        # cost the same as a real one.
        right = verify_password(form.password, user.password_hash if user and usable else None)
        return user if right and usable else None

    user = await hashing(check)
    if user is None or user.id is None:
        await _failed(engine, keys)
        raise ApiError(401, "Identifiant ou mot de passe incorrect.")
    await run_in_threadpool(throttle.succeeded, engine, keys[0])
    issued = create_token(settings, user.id, user.username, user.token_version)
    _set_session_cookie(response, settings, issued)
    return Token(access_token=issued)


@router.post("/logout", status_code=204, summary="Se déconnecter (révoque tous ses jetons)")
async def logout(principal: CurrentPrincipal, engine: EngineDep) -> Response:
    def revoke() -> None:
        with Session(engine) as session:
            revoke_tokens(session, principal.user_id)
            session.commit()

    await run_in_threadpool(revoke)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path=SESSION_COOKIE_PATH)
    return response


@router.post(
    "/password",
    response_model=Token,
    summary="Changer son mot de passe (révoque ses autres jetons)",
    responses=TOO_MANY,
)
async def change_password(
    body: PasswordChange,
    principal: CurrentPrincipal,
    request: Request,
    settings: SettingsDep,
    engine: EngineDep,
) -> Token:
    keys = _keys(settings, request, principal.username)
    await _not_locked(engine, keys)

    def change() -> User | None:
        with Session(engine, expire_on_commit=False) as session:
            user = session.get(User, principal.user_id)
            if user is None or not verify_password(body.current_password, user.password_hash):
                return None
            user.password_hash = hash_password(body.new_password)
            session.add(user)
            revoke_tokens(session, principal.user_id)
            session.commit()
            session.refresh(user)
            return user

    user = await hashing(change)
    if user is None or user.id is None:
        await _failed(engine, keys)
        wrong = {"champ": "current_password", "message": "mot de passe actuel incorrect"}
        raise ApiError(422, INVALID, erreurs=[wrong])
    await run_in_threadpool(throttle.succeeded, engine, keys[0])
    return Token(access_token=create_token(settings, user.id, user.username, user.token_version))


@router.get("/me", response_model=Me, summary="Qui suis-je, et que puis-je faire ?")
async def me(principal: CurrentPrincipal) -> Me:
    return Me(
        username=principal.username,
        roles=sorted(principal.roles),
        departements=sorted(principal.departements),
        structures=sorted(principal.structures),
        permissions=sorted(p.value for p in principal.permissions),
    )
