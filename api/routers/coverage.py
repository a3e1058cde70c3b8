"""Outreach coverage (R-COORD-1; issue 12, item 8): the coordinator declares the veille
sociale's teams and centres with their zones (INSEE communes) and hours; coordinators and State
observers read the white zones — communes where people were met or reported and no one goes —
as JSON or as an HTML page with its chart (api/coverage.py). Anonymous counts only."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import delete
from sqlmodel import Session, col, select

from activities import audit
from api import coverage, periods
from api.disclosure import Access
from api.errors import ApiError, problem
from api.permissions import Permission
from api.security import Principal, require
from api.state import EngineDep
from core import clock
from models.coverage import OutreachTeam, OutreachTeamCreate, OutreachTeamView, OutreachZone
from models.coverage import WhiteZones as WhiteZonesReport
from models.departements import DEPARTEMENT_PATTERN

router = APIRouter(prefix="/coverage", tags=["Couverture de la veille sociale"])
Manager = Annotated[Principal, Depends(require(Permission.COVERAGE_MANAGE))]
Reader = Annotated[Principal, Depends(require(Permission.COVERAGE_READ))]
TeamId = Annotated[int, Path(ge=1, le=2**31 - 1, description="identifiant de l'équipe")]
DepartementQuery = Annotated[
    str | None, Query(pattern=DEPARTEMENT_PATTERN, description="département (défaut : les vôtres)")
]
NAME_TAKEN: dict[int | str, dict[str, Any]] = {
    409: problem("Une autre équipe du département porte déjà ce nom"),
}
TEAM_ERRORS = {**NAME_TAKEN, 404: problem("Équipe inconnue (ou d'un autre département)")}
PAGE = {"type": "string"}
EXAMPLE = {
    "departement": "93",
    "name": "Maraude de nuit Saint-Denis",
    "kind": "maraude",
    "operator": "Association Aurore",
    "communes": ["93066", "93001"],
    "hours": [{"days": ["lundi", "mercredi", "vendredi"], "opens": "20:00", "closes": "02:00"}],
    "evaluation_capacity": 40,
}


def _view(team: OutreachTeam, communes: list[str]) -> OutreachTeamView:
    return OutreachTeamView.model_validate(
        {**team.model_dump(mode="json", warnings=False), "communes": sorted(communes)}
    )


def _zones(s: Session, team_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in team_ids}
    for team_id, commune in s.exec(
        select(OutreachZone.team_id, OutreachZone.commune).where(
            col(OutreachZone.team_id).in_(team_ids)
        )
    ).all():
        found[team_id].append(commune)
    return found


def _save(
    engine: Any, who: Principal, body: OutreachTeamCreate, team_id: int | None
) -> OutreachTeamView:
    def work(s: Session) -> OutreachTeamView:
        team = None
        if team_id is not None:
            team = s.get(OutreachTeam, team_id)
            if team is None or team.departement not in who.departements:
                raise ApiError(404, "Équipe inconnue.")
            if team.departement != body.departement:
                raise ApiError(
                    422,
                    "Saisie invalide : corrigez les champs signalés.",
                    erreurs=[
                        {
                            "champ": "departement",
                            "message": "une équipe ne change pas de département : "
                            "déclarez-en une nouvelle",
                        }
                    ],
                )
        elif body.departement not in who.departements:
            raise ApiError(403, "Accès refusé : ce département n'est pas le vôtre.")
        namesake = s.exec(
            select(OutreachTeam.id).where(
                OutreachTeam.departement == body.departement, OutreachTeam.name == body.name
            )
        ).first()
        if namesake is not None and namesake != team_id:
            raise ApiError(409, f"Le {body.departement} a déjà une équipe « {body.name} ».")
        fields = body.model_dump(mode="json", exclude={"communes"})
        if team is None:
            team = OutreachTeam.model_validate({**fields, "created_by": f"agent-{who.user_id}"})
        else:
            for name, value in fields.items():
                setattr(team, name, value)
            team.updated_at = clock.now()
        s.add(team)
        s.flush()
        assert team.id is not None
        s.execute(delete(OutreachZone).where(col(OutreachZone.team_id) == team.id))
        s.add_all(OutreachZone(team_id=team.id, commune=c) for c in body.communes)
        s.flush()
        audit.record(
            engine,
            actor=f"agent-{who.user_id}",
            action=Access.WRITE.value,
            record="équipe de veille sociale",
            purpose=f"{'mise à jour' if team_id else 'déclaration'} de l'équipe {team.id} "
            f"({len(body.communes)} commune(s))",
            departement=team.departement,
            session=s,
        )
        return _view(team, body.communes)

    return audit.transaction(engine, work)


Team = Annotated[OutreachTeamCreate, Body(openapi_examples={"maraude": {"value": EXAMPLE}})]


@router.post(
    "/teams",
    status_code=201,
    response_model=OutreachTeamView,
    responses=NAME_TAKEN,
    summary="Déclarer une maraude, un accueil de jour ou une équipe mobile",
)
def create_team(body: Team, engine: EngineDep, who: Manager) -> OutreachTeamView:
    """Avec les communes qu'elle couvre (codes INSEE de son département) et ses jours et
    heures ; le nom est unique dans le département (409)."""
    return _save(engine, who, body, None)


@router.put(
    "/teams/{team_id}",
    response_model=OutreachTeamView,
    responses=TEAM_ERRORS,
    summary="Modifier une équipe : zone, horaires, activité",
)
def update_team(team_id: TeamId, body: Team, engine: EngineDep, who: Manager) -> OutreachTeamView:
    """Remplace sa description entière, zone comprise ; `active: false` l'arrête (elle ne
    couvre plus rien). Une équipe d'un autre département répond 404."""
    return _save(engine, who, body, team_id)


@router.get("/teams", response_model=list[OutreachTeamView], summary="Les équipes et leurs zones")
def list_teams(
    engine: EngineDep, who: Reader, departement: DepartementQuery = None
) -> list[OutreachTeamView]:
    deps = sorted(d for d in who.departements if departement in (None, d))
    with Session(engine) as s:
        teams = s.exec(
            select(OutreachTeam)
            .where(col(OutreachTeam.departement).in_(deps))
            .order_by(col(OutreachTeam.departement), col(OutreachTeam.name))
        ).all()
        zones = _zones(s, [t.id for t in teams if t.id is not None])
    return [_view(t, zones[t.id]) for t in teams if t.id is not None]


def _reports(
    engine: Any, who: Principal, departement: str | None, start: date | None, end: date | None
) -> list[WhiteZonesReport]:
    periods.check(start, end)
    deps = sorted(d for d in who.departements if departement in (None, d))
    with Session(engine) as s:
        return [coverage.white_zones(s, dep, start, end) for dep in deps]


@router.get(
    "/white-zones",
    response_model=list[WhiteZonesReport],
    summary="Zones blanches : communes où des personnes sont rencontrées sans équipe",
)
def white_zones(
    engine: EngineDep,
    who: Reader,
    departement: DepartementQuery = None,
    start: periods.Start = None,
    end: periods.End = None,
) -> list[WhiteZonesReport]:
    """Pour chacun de vos départements (ou celui demandé) : les communes où des ménages ont été
    rencontrés ou signalés sur la période (commune du premier contact) et qu'aucune équipe en
    activité ne couvre, avec les ménages et les personnes (« < 5 » sous 5)."""
    return _reports(engine, who, departement, start, end)


@router.get(
    "/white-zones.html",
    # The page is HTML; its errors are JSON like every other answer's. A response class without
    # a media type keeps FastAPI from documenting those errors as HTML.
    response_class=Response,
    responses={200: {"description": "La page", "content": {"text/html": {"schema": PAGE}}}},
    summary="Zones blanches : page lisible, graphique et tableau",
)
def white_zones_page(
    engine: EngineDep,
    who: Reader,
    departement: DepartementQuery = None,
    start: periods.Start = None,
    end: periods.End = None,
) -> HTMLResponse:
    """Les mêmes chiffres en page HTML : un graphique en barres (SVG dessiné par le serveur,
    sans script) et, dessous, son tableau de données."""
    return HTMLResponse(coverage.page(_reports(engine, who, departement, start, end)))
