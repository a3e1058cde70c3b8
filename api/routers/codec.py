"""The codec endpoint of the Temporal Web UI: payloads decoded for supervisors, in their browser.

`temporal server start-dev --ui-codec-endpoint http://localhost:8000/codec` (what `make up` runs)
makes the UI POST the payloads it shows to /codec/decode, and those it sends to /codec/encode,
following Temporal's remote codec protocol: `{"payloads": [{"metadata": {k: base64}, "data":
base64}]}` in and out (the Payloads proto in its JSON form), header `X-Namespace`. Our keys serve
the whole namespace (one ring per deployment), so the namespace changes nothing here.

The UI sends payloads only, not the workflow they come from: each ciphertext names the workflow
it is bound to (core/codec.py: in clear in its metadata, authenticated as the AES-GCM associated
data). A payload is decrypted only when that workflow is the pathway of a household the caller
may read, sensitive fields included; every other one (another département's, a workflow that is
no pathway, or one encrypted before the binding) is sent back as it came, still encrypted, the
same whether its household exists or not. Every decryption is written to the audit trail, one
row per household and request, and so is every refused one.
"""

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.routing import APIRoute
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from temporalio.api.common.v1 import Payload, Payloads

from activities import audit
from api.disclosure import DECODES
from api.errors import ApiError, problem
from api.permissions import Permission
from api.security import Principal, in_scope, require, session_principal
from api.state import EngineDep, State, app_state
from core.codec import (
    DecryptionError,
    EncryptionCodec,
    KeyRingError,
    bound_workflow,
    encrypted,
    key_ring_from_settings,
)
from models.records import Household
from workflows.pathway import workflow_id

UI_REQUEST_HEADERS = "content-type, x-namespace, authorization"


def _allow_ui_origin(request: Request, response: Response, preflight: bool = False) -> Response:
    settings = app_state(request).settings  # a route class, not a dependency: no injection
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
    dependencies=[Depends(require(Permission.CODEC, session_cookie=True))],
    responses={503: problem("Chiffrement non configuré")},
)


MAX_PAYLOADS = 1000
MAX_DATA = 4 * 1024 * 1024  # characters of base64; the request itself is limited to 4 MiB
MetadataKey = Annotated[str, StringConstraints(max_length=100)]
MetadataValue = Annotated[str, StringConstraints(max_length=1000)]


class PayloadJson(BaseModel):
    # Temporal's protocol, not ours: other Payload fields pass through to the proto parser,
    # which refuses those the proto does not have (422).
    model_config = ConfigDict(extra="allow")

    metadata: dict[MetadataKey, MetadataValue] = Field(
        default_factory=dict, max_length=20, description="valeurs en base64"
    )
    data: str = Field("", max_length=MAX_DATA, description="base64")


class PayloadsJson(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payloads: list[PayloadJson] = Field(default_factory=list, max_length=MAX_PAYLOADS)


HOUSEHOLD_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PATHWAY_PREFIX = workflow_id("")
DECODE_PURPOSE = "lecture de l'historique du parcours dans l'interface Temporal"


def household_of(workflow: str | None) -> str | None:
    """The household whose pathway this workflow is (None: not a pathway)."""
    if workflow is None or not workflow.startswith(PATHWAY_PREFIX):
        return None
    household_id = workflow.removeprefix(PATHWAY_PREFIX)
    return household_id if HOUSEHOLD_ID.match(household_id) else None


def _households(
    engine: Any, principal: Principal, household_ids: set[str]
) -> dict[str, tuple[str, bool]]:
    """Existing households among these: their département, and whether the caller may read them
    in full (in scope, sensitive fields included)."""
    found: dict[str, tuple[str, bool]] = {}
    with Session(engine) as session:
        for household_id in sorted(household_ids):
            household = session.get(Household, household_id)
            if household is not None:
                readable = in_scope(session, principal, household) and principal.sees_sensitive(
                    household
                )
                found[household_id] = (household.departement, readable)
    return found


def _audit_decodes(
    engine: Any,
    principal: Principal,
    households: dict[str, tuple[str, bool]],
    decoded: set[str],
    withheld: set[str],
) -> None:
    for household_id in sorted(decoded | withheld):
        if household_id not in households:
            continue  # no such household (any more): nothing of it was shown
        audit.record(
            engine,
            actor=f"agent-{principal.user_id}",
            action="déchiffrement" if household_id in decoded else "déchiffrement refusé",
            record="historique Temporal",
            household_id=household_id,
            departement=households[household_id][0],
            fields=["historique"],
            purpose=DECODE_PURPOSE,
        )


Namespace = Annotated[
    str | None, Header(alias="X-Namespace", description="espace de noms Temporal (indicatif)")
]


def _codec(state: State) -> EncryptionCodec:
    if state.codec is None:
        try:
            state.codec = EncryptionCodec(key_ring_from_settings(state.settings))
        except KeyRingError as exc:
            raise ApiError(503, f"Chiffrement non configuré : {exc}") from exc
    return state.codec


Codec = Annotated[EncryptionCodec, Depends(_codec)]


def _payloads(body: PayloadsJson) -> list[Payload]:
    try:
        message = json_format.ParseDict(body.model_dump(exclude_unset=True), Payloads())
    except json_format.ParseError as exc:
        raise ApiError(422, "Payloads illisibles : base64 ou champ invalide.") from exc
    return list(message.payloads)


def _answer(payloads: list[Payload]) -> dict[str, Any]:
    return {"payloads": [json_format.MessageToDict(p) for p in payloads]}


@router.post("/encode", response_model=PayloadsJson, summary="Chiffrer des payloads (UI Temporal)")
async def encode(body: PayloadsJson, codec: Codec, namespace: Namespace = None) -> Any:
    return _answer(await codec.encode(_payloads(body)))


@router.post(
    "/decode",
    dependencies=[DECODES],  # personal data, audited below per household (api/disclosure.py)
    response_model=PayloadsJson,
    summary="Déchiffrer des payloads (UI Temporal) : parcours de vos départements seulement",
)
async def decode(
    body: PayloadsJson,
    codec: Codec,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(session_principal)],
    namespace: Namespace = None,
) -> Any:
    payloads = _payloads(body)
    owners = [household_of(bound_workflow(p)) if encrypted(p) else None for p in payloads]
    wanted = {owner for owner in owners if owner is not None}
    households = await run_in_threadpool(_households, engine, principal, wanted) if wanted else {}
    answer: list[Payload] = []
    decoded: set[str] = set()
    withheld: set[str] = set()
    try:
        for payload, owner in zip(payloads, owners, strict=True):
            if not encrypted(payload):
                answer.append(payload)  # in clear already
            elif owner is not None and households.get(owner, ("", False))[1]:
                answer.append(codec.decrypt(payload))  # the associated data checks the owner
                decoded.add(owner)
            else:
                answer.append(payload)  # stays encrypted
                if owner is not None:
                    withheld.add(owner)
    except DecryptionError as exc:
        raise ApiError(422, str(exc)) from exc
    if decoded or withheld:
        await run_in_threadpool(_audit_decodes, engine, principal, households, decoded, withheld)
    return _answer(answer)


@router.options("/{operation}", include_in_schema=False)
async def preflight() -> Response:
    """Matched for the preflight of /encode and /decode; answered by UiCorsRoute."""
    return Response(status_code=204)
