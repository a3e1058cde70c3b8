"""French errors: 422 for a bad body, 404/409/503 from the pathway. Never a bare 500."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from activities.audit import AuditUnavailable
from core.logging import log
from models.views import InvalidInput, Problem

MESSAGES = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "string_too_long": "texte trop long ({max_length} caractères au plus)",
    "string_too_short": "texte trop court",
    "string_pattern_mismatch": "format invalide",
    "too_short": "au moins {min_length} élément(s)",
    "too_long": "au plus {max_length} élément(s)",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "enum": "valeur inconnue ; valeurs possibles : {expected}",
    "bool_parsing": "doit être vrai ou faux",
    "bool_type": "doit être vrai ou faux",
    "int_parsing": "doit être un nombre entier",
    "int_type": "doit être un nombre entier",
    "string_type": "doit être un texte",
    "list_type": "doit être une liste",
    "datetime_parsing": "date et heure invalides (format ISO 8601 attendu)",
    "datetime_from_date_parsing": "date et heure invalides (format ISO 8601 attendu)",
    "datetime_type": "date et heure invalides (format ISO 8601 attendu)",
    "date_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_from_datetime_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "json_invalid": "JSON illisible",
    "model_attributes_type": "un objet JSON est attendu",
    "dict_type": "un objet JSON est attendu",
}


INVALID = "Saisie invalide : corrigez les champs signalés."
# Routing errors, in French like the others.
HTTP_MESSAGES = {404: "Ressource inconnue.", 405: "Méthode non permise sur cette ressource."}


def problem(description: str) -> dict[str, Any]:
    """A documented error answer: `{"detail": "…"}`."""
    return {"model": Problem, "description": description}


# Documented on every route that needs an account (added where the routers are included).
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: problem("Authentification requise, ou jeton invalide ou expiré"),
    403: problem("Accès refusé : rôle, département ou structure"),
}
INVALID_INPUT: dict[int | str, dict[str, Any]] = {
    422: {"model": InvalidInput, "description": "Saisie invalide : un message par champ en cause"},
    # api/perimeter.py: refused before it is read, whatever the route
    413: problem("Requête trop volumineuse (256 Kio au plus ; 4 Mio pour /codec)"),
}


class ApiError(Exception):
    def __init__(
        self, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra, self.headers = status, detail, extra, headers


def french(error: dict[str, Any]) -> str:
    if error["type"] == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":  # named: a misspelt field must not go unnoticed
        name = error["loc"][-1] if error.get("loc") else "?"
        return f"champ inconnu « {name} » : vérifiez son nom (rien n'a été enregistré)"
    template = MESSAGES.get(error["type"])
    if template is None:
        return "valeur invalide"
    try:
        return template.format(**error.get("ctx", {}))
    except KeyError:
        return template.split(" (")[0]


def _allowed_methods(request: Request) -> list[str]:
    """The methods some route of the app fully matches on this path (asked through the routes
    themselves: included routers keep their routes to themselves)."""
    return [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "champ": ".".join(str(p) for p in err["loc"] if p != "body") or "corps",
                "message": french(err),
            }
            for err in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": INVALID, "erreurs": errors})

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400:  # the body could not be read at all (not UTF-8, broken form)
            unreadable = {"champ": "corps", "message": "corps illisible (encodage ou format)"}
            return JSONResponse(
                status_code=422, content={"detail": INVALID, "erreurs": [unreadable]}
            )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = ", ".join(_allowed_methods(request))
        detail = HTTP_MESSAGES.get(exc.status_code, exc.detail)
        return JSONResponse(
            status_code=exc.status_code, content={"detail": detail}, headers=headers
        )

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status, content={"detail": exc.detail, **exc.extra}, headers=exc.headers
        )

    @app.exception_handler(AuditUnavailable)
    async def _audit_busy(_: Request, exc: AuditUnavailable) -> JSONResponse:
        log.error("audit_unavailable")  # every retry lost its race: nothing was written
        return JSONResponse(
            status_code=503,
            content={"detail": "Journal d'audit saturé : rien n'a été enregistré, réessayez."},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected_error", error_type=type(exc).__name__)
        return JSONResponse(
            status_code=500,
            content={
                "detail": "Erreur interne : rien n'a été perdu, réessayez ou prévenez l'équipe."
            },
        )
