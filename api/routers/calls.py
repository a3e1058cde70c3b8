"""The 115 call log (R-GOV-1; issue 12, item 2): the coordinator imports the phone system's daily
counts (a French CSV, `date;received;answered`) and reads the log; the 115 call handlers record
each request they handle. Calls, requests and people are counted apart (models/calls.py)."""

from datetime import UTC, date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from activities import audit
from api import calls, periods
from api.disclosure import Access, AuditedBy, AuditedElsewhere, Disclosed, Disclosure
from api.errors import ApiError, problem
from api.perimeter import BODY_LIMIT
from api.permissions import Permission
from api.security import Principal, household_for, require
from api.state import EngineDep
from core import clock
from models.calls import (
    CallDayView,
    CallOutcome,
    CallRequest,
    CallRequestCreate,
    CallRequestKind,
    CallRequestView,
    CsvRefused,
    DailyImport,
    decode,
    parse_daily_csv,
)
from models.departements import DEPARTEMENT_PATTERN
from models.views import InvalidInput

router = APIRouter(prefix="/calls", tags=["Appels au 115"])
Importer = Annotated[Principal, Depends(require(Permission.CALLS_IMPORT))]
Reader = Annotated[Principal, Depends(require(Permission.CALLS_READ))]
Recorder = Annotated[Principal, Depends(require(Permission.CALLS_RECORD))]
DepartementQuery = Annotated[
    str | None, Query(pattern=DEPARTEMENT_PATTERN, description="département")
]
DEFAULT_DAYS = 30
RequestsRead = Annotated[
    Disclosed,
    Depends(
        Disclosure(Access.READ, "demandes au 115", "suivi de l'activité du 115"), scope="function"
    ),
]
# The answer to a recorded request names its household: audited with the write itself.
ANSWERS_THE_REQUEST = Depends(
    AuditedElsewhere(Access.WRITE, "demande au 115", "journal du 115", AuditedBy.WRITE)
)
CSV_EXAMPLE = "date;reçus;décrochés\n02/03/2026;5 230;1 480\n03/03/2026;4 980;1 512\n"
CSV_BODY: dict[str, Any] = {
    "required": True,
    "description": "L'export du système téléphonique : une ligne par jour, `date;reçus;décrochés` "
    "(date JJ/MM/AAAA ou AAAA-MM-JJ, séparateur « ; », en-tête facultatif), en corps `text/csv` "
    "ou en fichier joint (`multipart/form-data`, champ `file`).",
    "content": {
        "text/csv": {
            "schema": {"type": "string", "maxLength": BODY_LIMIT},
            "example": CSV_EXAMPLE,
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary", "maxLength": BODY_LIMIT}
                },
                "required": ["file"],
                "additionalProperties": False,
            }
        },
    },
}
TEXT_TYPES = {"text/csv", "text/plain"}
REFUSED = "Fichier refusé : corrigez les lignes signalées (rien n'a été enregistré)."


def _actor(who: Principal) -> str:
    return f"agent-{who.user_id}"


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or clock.today_paris()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    periods.check(start, end)
    return start, end


def _refused(errors: list[dict[str, Any]]) -> ApiError:
    return ApiError(422, REFUSED, erreurs=errors)


async def _csv_text(request: Request) -> str:
    """The file's text, sent as the body or as the form's `file`."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in TEXT_TYPES:
        raw = await request.body()
    elif media == "multipart/form-data":
        async with request.form(max_files=1, max_fields=1) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise _refused([{"champ": "file", "message": "joignez le fichier dans « file »"}])
            raw = await upload.read()
    else:
        raise ApiError(415, "Format non pris en charge : envoyez un fichier CSV (text/csv).")
    try:
        return decode(raw)
    except CsvRefused as exc:
        raise _refused([{"champ": "corps", "message": e.message} for e in exc.errors]) from exc


@router.post(
    "/daily",
    response_model=DailyImport,
    responses={
        415: problem("Format non pris en charge (text/csv ou multipart/form-data)"),
        422: {
            "model": InvalidInput,
            "description": "Fichier refusé : chaque ligne en cause, avec son numéro et la raison",
        },
    },
    openapi_extra={"requestBody": CSV_BODY},
    summary="Importer les appels reçus et décrochés par jour (CSV du système téléphonique)",
)
async def import_daily(
    request: Request,
    engine: EngineDep,
    who: Importer,
    departement: Annotated[str, Query(pattern=DEPARTEMENT_PATTERN, description="département")],
) -> DailyImport:
    """Tout ou rien : une ligne invalide refuse le fichier (422 nommant chaque ligne et la
    raison), rien n'est enregistré. Réimporter un jour remplace ses chiffres (pas de doublon)."""
    if departement not in who.departements:
        raise ApiError(403, "Accès refusé : ce département n'est pas le vôtre.")
    text = await _csv_text(request)
    try:
        days = parse_daily_csv(text, clock.today_paris())
    except CsvRefused as exc:
        raise _refused(
            [
                {"champ": e.column or "ligne", "ligne": e.line or None, "message": e.message}
                for e in exc.errors
            ]
        ) from exc
    return await run_in_threadpool(calls.store_days, engine, _actor(who), departement, days)


@router.get(
    "/daily", response_model=list[CallDayView], summary="Appels, demandes et ménages par jour"
)
def daily(
    engine: EngineDep,
    who: Reader,
    departement: DepartementQuery = None,
    start: periods.Start = None,
    end: periods.End = None,
) -> list[CallDayView]:
    """Par département (les vôtres) et par jour : les appels reçus et décrochés (système
    téléphonique), les demandes traitées, dont mises à l'abri et non pourvues faute de place, et
    les ménages distincts connus derrière elles (et leurs personnes) — comptés à part, jamais
    additionnés. Un jour sans import a des appels absents (`null`). Période par défaut : les
    30 derniers jours."""
    first, last = _period(start, end)
    deps = sorted(d for d in who.departements if departement in (None, d))
    if not deps:
        return []
    return calls.daily_log(engine, deps, first, last)


@router.post(
    "/requests",
    status_code=201,
    response_model=CallRequestView,
    dependencies=[ANSWERS_THE_REQUEST],
    responses={404: problem("Ménage inconnu")},
    summary="Enregistrer une demande traitée au 115",
)
def record_request(
    body: Annotated[
        CallRequestCreate,
        Body(
            openapi_examples={
                "sans_place": {
                    "summary": "Mise à l'abri demandée, pas de place ce soir",
                    "value": {
                        "departement": "75",
                        "kind": "mise_a_l_abri",
                        "outcome": "non_pourvue_faute_de_place",
                    },
                }
            }
        ),
    ],
    engine: EngineDep,
    who: Recorder,
) -> CallRequestView:
    """Une ligne par demande traitée (un même appelant peut en faire plusieurs) : son type,
    sa réponse — dont « non pourvue faute de place » pour une mise à l'abri — et le ménage quand
    il est connu (dans votre périmètre : 404 sinon). L'heure d'enregistrement est celle du
    serveur, à côté de l'heure de l'appel."""
    if body.departement not in who.departements:
        raise ApiError(403, "Accès refusé : ce département n'est pas le vôtre.")

    def work(s: Session) -> CallRequestView:
        if body.household_id is not None:
            household_for(s, who, body.household_id)  # 404 outside the caller's reach
        row = CallRequest(
            departement=body.departement,
            received_at=body.received_at.astimezone(UTC),  # SQLite keeps the digits only
            day=body.received_at.astimezone(clock.PARIS).date(),
            kind=body.kind,
            outcome=body.outcome,
            household_id=body.household_id,
            recorded_by=_actor(who),
        )
        s.add(row)
        s.flush()
        audit.record(
            engine,
            actor=_actor(who),
            action=Access.WRITE.value,
            record="demande au 115",
            purpose=f"demande {row.id} : {body.kind.label}, {body.outcome.label}",
            household_id=body.household_id,
            fields=["demande au 115"] if body.household_id else None,
            departement=body.departement,
            session=s,
        )
        return CallRequestView.of(row)

    return audit.transaction(engine, work)


@router.get(
    "/requests", response_model=list[CallRequestView], summary="Les demandes traitées au 115"
)
def list_requests(
    engine: EngineDep,
    who: Reader,
    disclosed: RequestsRead,
    departement: DepartementQuery = None,
    start: periods.Start = None,
    end: periods.End = None,
    kind: Annotated[CallRequestKind | None, Query(description=CallRequestKind.describe())] = None,
    outcome: Annotated[CallOutcome | None, Query(description=CallOutcome.describe())] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[CallRequestView]:
    """Celles de vos départements sur la période (jours de Paris ; défaut : les 30 derniers
    jours), les plus récentes d'abord.
    Chaque ménage lié est inscrit au journal d'audit."""
    first, last = _period(start, end)
    deps = sorted(d for d in who.departements if departement in (None, d))
    if not deps:
        return []
    query: Any = select(CallRequest).where(
        col(CallRequest.departement).in_(deps),
        col(CallRequest.day) >= first,
        col(CallRequest.day) <= last,
    )
    if kind is not None:
        query = query.where(CallRequest.kind == kind)
    if outcome is not None:
        query = query.where(CallRequest.outcome == outcome)
    with Session(engine) as s:
        found = s.exec(
            query.order_by(col(CallRequest.received_at).desc(), col(CallRequest.id).desc()).limit(
                limit
            )
        ).all()
    for r in found:
        if r.household_id is not None:
            disclosed.household(r.household_id, ["demande au 115"], r.departement)
    return [CallRequestView.of(r) for r in found]
