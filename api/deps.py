"""Dependencies shared by the routers: the process's shared objects (api/state.py), the
Idempotency-Key, and everything a caseworker action needs."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.security import CurrentPrincipal, Principal
from api.state import State, temporal_of
from models.pathway import DEFAULT_WAKEUP_SPREAD_SECONDS
from rules.book import PolicyBook

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
    principal: Principal | None = None  # None only for trusted in-process callers
    book: PolicyBook | None = None  # what the rules reveal, for the answer's redaction
    wakeup_spread_seconds: int = DEFAULT_WAKEUP_SPREAD_SECONDS  # given to the pathways it starts


async def get_action_context(
    state: State, principal: CurrentPrincipal, key: IdempotencyKey = None
) -> ActionContext:
    settings = state.settings
    return ActionContext(
        client=await temporal_of(state),
        engine=state.engine,
        task_queue=settings.temporal_task_queue,
        actor=f"agent-{principal.user_id}",  # the timeline records the account's opaque id
        idempotency_key=key,
        principal=principal,
        book=state.book,
        wakeup_spread_seconds=settings.deadline_wakeup_spread_seconds,
    )


ActionContextDep = Annotated[ActionContext, Depends(get_action_context)]
