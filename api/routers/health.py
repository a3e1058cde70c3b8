"""Liveness of the API and of what it depends on."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.state import State

router = APIRouter(tags=["Santé"])


@router.get(
    "/health",
    responses={503: {"description": "Base de données ou Temporal injoignable"}},
    summary="État de l'API, de la base et de Temporal",
)
async def health(state: State) -> Any:
    def db_ok() -> bool:
        try:
            with state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    database = await run_in_threadpool(db_ok)
    try:
        client = await state.temporal_client()
        temporal = await client.service_client.check_health()
    except Exception:
        temporal = False
    ok = database and temporal
    body = {
        "statut": "ok" if ok else "dégradé",
        "base_de_donnees": "ok" if database else "injoignable",
        "temporal": "ok" if temporal else "injoignable",
    }
    return JSONResponse(status_code=200 if ok else 503, content=body)
