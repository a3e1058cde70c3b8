"""Dependencies shared by the routers: settings, database engine, Temporal client, actor."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.errors import ApiError
from api.security import CurrentPrincipal, Principal
from core.settings import Settings

if TYPE_CHECKING:
    from rules.book import PolicyBook


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine_dep(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_temporal(request: Request) -> Client:
    """The process's client, connected on first need so the API starts even if Temporal is down."""
    state = request.app.state
    if state.temporal is None:
        try:
            state.temporal = await state.connect_temporal()
        except Exception as exc:
            raise ApiError(503, "Temporal est injoignable : réessayez dans un instant.") from exc
    client: Client = state.temporal
    return client


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine_dep)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="clé du client : la même requête renvoyée n'est appliquée qu'une fois",
    ),
]


@dataclass(frozen=True)
class ActionContext:
    """Everything a caseworker action needs besides its body: one dependency per route."""

    client: Client
    engine: Engine
    task_queue: str
    actor: str
    idempotency_key: str | None = None
    principal: "Principal | None" = None  # None only for trusted in-process callers
    book: "PolicyBook | None" = None  # what the rules reveal, for the answer's redaction


def get_action_context(
    request: Request,
    settings: SettingsDep,
    engine: EngineDep,
    client: TemporalDep,
    principal: CurrentPrincipal,
    key: IdempotencyKey = None,
) -> ActionContext:
    # The timeline records the account's opaque id, not a name.
    actor = f"agent-{principal.user_id}"
    book: PolicyBook = request.app.state.book
    return ActionContext(client, engine, settings.temporal_task_queue, actor, key, principal, book)


ActionContextDep = Annotated[ActionContext, Depends(get_action_context)]
