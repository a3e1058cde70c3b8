"""What the API process shares between requests, typed, and the only reader of `app.state`:
routes and dependencies take what they need through the `Annotated` dependencies below."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.errors import ApiError
from core.codec import EncryptionCodec
from core.settings import Settings
from rules.book import PolicyBook


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    book: PolicyBook  # policy files read to validate and dry-run; the workers keep their own
    connect_temporal: Callable[[], Awaitable[Client]]
    temporal: Client | None = None  # connected on first need, so the API starts without it
    codec: EncryptionCodec | None = None  # built at the first /codec call

    def install(self, app: FastAPI) -> None:
        app.state.siao = self

    async def temporal_client(self) -> Client:
        if self.temporal is None:
            self.temporal = await self.connect_temporal()
        return self.temporal


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.siao
    return state


async def _app_state(request: Request) -> AppState:
    return app_state(request)


# Plain getters are `async def`: FastAPI runs a `def` dependency in its thread pool, a hop per
# dependency per request (measured: a few milliseconds of the API's CPU per action). The
# dependencies every action solves (the caller, the action's context) take `State` itself:
# FastAPI walks each one's whole tree again on every request, cached or not.
State = Annotated[AppState, Depends(_app_state)]


async def _settings(state: State) -> Settings:
    return state.settings


async def _engine(state: State) -> Engine:
    return state.engine


async def _book(state: State) -> PolicyBook:
    return state.book


async def temporal_of(state: AppState) -> Client:
    """The Temporal client; 503 in French while Temporal cannot be reached."""
    try:
        return await state.temporal_client()
    except Exception as exc:
        raise ApiError(503, "Temporal est injoignable : réessayez dans un instant.") from exc


async def _temporal(state: State) -> Client:
    return await temporal_of(state)


SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[Engine, Depends(_engine)]
BookDep = Annotated[PolicyBook, Depends(_book)]
TemporalDep = Annotated[Client, Depends(_temporal)]
