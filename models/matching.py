"""Matching a vacancy with its candidates (issue 11, item 4): what an answer shows, and the
snapshot each proposal keeps of the list it came from (for a later audit).

The order is explicit — the département's criteria one after the other, then a tie-breaker
drawn once per household (`Household.tie_breaker`) — so a rank can always be explained.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import JSON
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from core.clock import now
from models.records import when
from models.vocab_orientation import RankingCriterion


class CriterionValue(BaseModel):
    criterion: RankingCriterion
    label: str
    value: str | bool | None = Field(description="ce que le critère a lu pour ce ménage")


class Candidate(BaseModel):
    rank: int = Field(description="1 : le premier à proposer")
    household_id: str
    seniority_since: datetime | None
    values: list[CriterionValue] = Field(description="les critères, dans l'ordre où ils jouent")
    tie_breaker: float = Field(description="tirage au sort fait une fois, départage les égalités")


class CandidateList(BaseModel):
    vacancy_id: str
    place_type: str
    policy_version: str
    criteria: list[RankingCriterion]
    total: int = Field(description="nombre de ménages candidats")
    candidates: list[Candidate] = Field(description="les premiers, avec leurs raisons")


class CandidateCheck(BaseModel):
    """Why one household is, or is not, a candidate for this vacancy."""

    household_id: str
    candidate: bool
    rank: int | None = None
    reasons: list[str] = Field(
        default_factory=list, description="ce qui l'écarte (exigence, étape, préconisation…)"
    )
    values: list[CriterionValue] = Field(default_factory=list)
    policy_version: str


class CandidateSnapshot(SQLModel, table=True):
    """The candidate list a proposal came from, kept as it was (rules, criteria, tie-breakers)."""

    id: int | None = SQLField(default=None, primary_key=True)
    vacancy_id: str = SQLField(index=True, max_length=40)
    household_id: str = SQLField(index=True, max_length=36, description="le ménage proposé")
    proposed_rank: int | None = None  # None: proposed from outside the list
    taken_at: datetime = when(default_factory=now)
    actor: str = SQLField(max_length=120)
    policy_version: str = SQLField(max_length=120)
    criteria: list[str] = SQLField(default_factory=list, sa_type=JSON)
    total: int = 0
    candidates: list[dict[str, Any]] = SQLField(default_factory=list, sa_type=JSON)
