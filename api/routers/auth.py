"""Logging in: a bearer token for a local account (OAuth2 password flow, as /docs expects)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from api.security import SESSION_COOKIE, CurrentPrincipal
from core.security import create_token, verify_password
from models.users import User

router = APIRouter(prefix="/auth", tags=["Authentification"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    username: str
    roles: list[str]
    departements: list[str]
    structures: list[str]
    permissions: list[str]


@router.post("/token", response_model=Token, summary="Obtenir un jeton (compte local)")
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, response: Response
) -> Token:
    def check() -> User | None:
        with Session(request.app.state.engine) as session:
            if "\x00" in form.username:  # no such account (and PostgreSQL refuses the query)
                return None
            user = session.exec(select(User).where(User.username == form.username)).first()
        if user and user.active and verify_password(form.password, user.password_hash):
            return user
        return None

    user = await run_in_threadpool(check)
    if user is None or user.id is None:
        raise ApiError(401, "Identifiant ou mot de passe incorrect.")
    settings = request.app.state.settings
    issued = create_token(settings, user.id, user.username)
    # Also a session cookie, for the Temporal UI's calls to /codec (HttpOnly: no script reads it).
    response.set_cookie(
        SESSION_COOKIE,
        issued,
        httponly=True,
        samesite="lax",
        secure=settings.environment != "development",
        max_age=settings.token_minutes * 60,
    )
    return Token(access_token=issued)


@router.get("/me", response_model=Me, summary="Qui suis-je, et que puis-je faire ?")
async def me(principal: CurrentPrincipal) -> Me:
    return Me(
        username=principal.username,
        roles=sorted(principal.roles),
        departements=sorted(principal.departements),
        structures=sorted(principal.structures),
        permissions=sorted(p.value for p in principal.permissions),
    )
