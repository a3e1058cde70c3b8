"""French errors: 422 for a bad body, 404/409/503 from the pathway. Never a bare 500."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from core.logging import log

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


class ApiError(Exception):
    def __init__(
        self, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra, self.headers = status, detail, extra, headers


def french(error: dict[str, Any]) -> str:
    if error["type"] == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    template = MESSAGES.get(error["type"])
    if template is None:
        return "valeur invalide"
    try:
        return template.format(**error.get("ctx", {}))
    except KeyError:
        return template.split(" (")[0]


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
        return JSONResponse(
            status_code=422,
            content={
                "detail": "Saisie invalide : corrigez les champs signalés.",
                "erreurs": errors,
            },
        )

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status, content={"detail": exc.detail, **exc.extra}, headers=exc.headers
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
