"""The codec endpoint of the Temporal Web UI: payloads decoded for supervisors, in their browser.

`temporal server start-dev --ui-codec-endpoint http://localhost:8000/codec` (what `make up` runs)
makes the UI POST the payloads it shows to /codec/decode, and those it sends to /codec/encode,
following Temporal's remote codec protocol: `{"payloads": [{"metadata": {k: base64}, "data":
base64}]}` in and out (the Payloads proto in its JSON form), header `X-Namespace`. Our keys serve
the whole namespace (one ring per deployment), so the namespace changes nothing here.
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.routing import APIRoute
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field
from temporalio.api.common.v1 import Payload, Payloads

from api.errors import ApiError, problem
from api.permissions import Permission
from api.security import require
from core.codec import DecryptionError, EncryptionCodec, KeyRingError, key_ring_from_settings
from core.settings import Settings

UI_REQUEST_HEADERS = "content-type, x-namespace, authorization"


def _allow_ui_origin(request: Request, response: Response, preflight: bool = False) -> Response:
    settings: Settings = request.app.state.settings
    response.headers["Vary"] = "Origin"
    if request.headers.get("origin") == settings.ui_origin:
        response.headers["Access-Control-Allow-Origin"] = settings.ui_origin
        response.headers["Access-Control-Allow-Credentials"] = "true"  # the UI's own login
        if preflight:
            response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = UI_REQUEST_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
    return response


class UiCorsRoute(APIRoute):
    """CORS for the Temporal UI's origin on the codec routes, and nowhere else.

    A CORSMiddleware cannot be scoped to one router: added to the app, it would let the UI's
    origin call every route of the API from a browser. This route class answers the preflight
    (OPTIONS) itself, before any dependency runs — browsers send it without credentials, so a
    supervisor-only dependency on the router must not see it — and adds the CORS headers to each
    answer the routes return. Errors raised to the app's handlers (401/403, 422) go out without
    them: the browser hides them from the UI, which then shows the payloads still encrypted.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            if request.method == "OPTIONS":
                return _allow_ui_origin(request, Response(status_code=204), preflight=True)
            return _allow_ui_origin(request, await handler(request))

        return with_cors


# The lead adds the supervisor-only dependency here: `dependencies=[...]`.
# Supervisors only: whoever can call /codec/decode reads every history in clear.
router = APIRouter(
    prefix="/codec",
    tags=["Chiffrement"],
    route_class=UiCorsRoute,
    dependencies=[Depends(require(Permission.CODEC))],
    responses={503: problem("Chiffrement non configuré")},
)


class PayloadJson(BaseModel):
    model_config = ConfigDict(extra="allow")  # other Payload fields pass through as they are

    metadata: dict[str, str] = Field(default_factory=dict, description="valeurs en base64")
    data: str = Field("", description="base64")


class PayloadsJson(BaseModel):
    payloads: list[PayloadJson] = Field(default_factory=list)


Namespace = Annotated[
    str | None, Header(alias="X-Namespace", description="espace de noms Temporal (indicatif)")
]


def _codec(request: Request) -> EncryptionCodec:
    state = request.app.state
    codec: EncryptionCodec | None = getattr(state, "codec", None)
    if codec is None:
        try:
            codec = EncryptionCodec(key_ring_from_settings(state.settings))
        except KeyRingError as exc:
            raise ApiError(503, f"Chiffrement non configuré : {exc}") from exc
        state.codec = codec
    return codec


def _payloads(body: PayloadsJson) -> list[Payload]:
    try:
        message = json_format.ParseDict(body.model_dump(exclude_unset=True), Payloads())
    except json_format.ParseError as exc:
        raise ApiError(422, "Payloads illisibles : base64 ou champ invalide.") from exc
    return list(message.payloads)


def _answer(payloads: list[Payload]) -> dict[str, Any]:
    return {"payloads": [json_format.MessageToDict(p) for p in payloads]}


@router.post("/encode", response_model=PayloadsJson, summary="Chiffrer des payloads (UI Temporal)")
async def encode(body: PayloadsJson, request: Request, namespace: Namespace = None) -> Any:
    return _answer(await _codec(request).encode(_payloads(body)))


@router.post(
    "/decode", response_model=PayloadsJson, summary="Déchiffrer des payloads (UI Temporal)"
)
async def decode(body: PayloadsJson, request: Request, namespace: Namespace = None) -> Any:
    try:
        return _answer(await _codec(request).decode(_payloads(body)))
    except DecryptionError as exc:
        raise ApiError(422, str(exc)) from exc


@router.options("/{operation}", include_in_schema=False)
async def preflight() -> Response:
    """Matched for the preflight of /encode and /decode; answered by UiCorsRoute."""
    return Response(status_code=204)
