"""The FastAPI application. `create_app` takes its dependencies, so tests pass real test ones."""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api import errors, perimeter
from api.routers import (
    alerts,
    auth,
    calls,
    candidates,
    codec,
    commissions,
    coverage,
    docs,
    emergency,
    exports,
    health,
    households,
    measures,
    offer,
    ofii,
    policies,
    privacy,
    records,
    reports,
    statistics,
    users,
    vacancies,
)
from api.state import AppState
from core import process
from core.codec import key_ring_from_settings
from core.db import get_engine
from core.logging import configure_logging
from core.settings import Settings, get_settings
from core.temporal import connect
from rules.book import PolicyBook
from rules.engine import rules_engine

DESCRIPTION = """
API des parcours SIAO : de la rue au logement.

Chaque ménage a un parcours (workflow Temporal `parcours-<id>`) que les écoutants 115, maraudes
et travailleurs sociaux font avancer : premier contact, évaluation flash, évaluation
approfondie, commission, orientation, admission, logement, suivi. Les échéances (72 h, 2 mois…)
viennent de la politique du département et sont visibles dans l'interface Temporal.

Erreurs : 422 saisie invalide, 404 ménage inconnu, 409 action impossible à cette étape (avec
l'étape et les actions possibles), 503 Temporal injoignable (rien n'est enregistré).
"""


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    connect_temporal: Callable[[], Awaitable[Client]] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    settings.require_secrets()  # none missing outside development (weak ones: Settings)
    key_ring_from_settings(settings)  # the encryption keys parse

    # The documentation is served by api.routers.docs, from the app's own files (no CDN).
    app = FastAPI(
        title="SIAO — parcours",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(perimeter.BodySizeLimit)  # 413 past the limit, chunked bodies included
    # Added last, so outermost: the 413 above gets the headers too.
    app.add_middleware(perimeter.SecurityHeaders, hsts=not settings.in_development)
    AppState(
        settings=settings,
        engine=engine or get_engine(),
        book=PolicyBook(settings.policies_dir, None, rules_engine()),
        connect_temporal=connect_temporal or (lambda: connect(settings)),
    ).install(app)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(
        auth.router, responses={**errors.INVALID_INPUT, 401: errors.AUTH_ERRORS[401]}
    )
    routers = (
        households,
        commissions,
        alerts,
        offer,
        emergency,
        vacancies,
        candidates,
        measures,
        records,
        policies,
        privacy,
        codec,
        statistics,
        exports,
        calls,
        coverage,
        ofii,
        reports,
        users,
    )
    for router in routers:
        app.include_router(router.router, responses={**errors.AUTH_ERRORS, **errors.INVALID_INPUT})
    return app


def app_factory() -> FastAPI:
    """What `uvicorn --factory api.main:app_factory` serves: nothing is built at import."""
    configure_logging()
    app = create_app()
    process.settle_heap()  # the ready API's objects, out of the cyclic collector
    return app
