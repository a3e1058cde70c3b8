"""Who works in the system: staff accounts, their roles, départements and structures."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import now
from models.records import listing, when
from models.vocab import Coded


class Role(Coded):
    ECOUTANT_115 = "ecoutant_115", "écoutant 115"
    VEILLE_SOCIALE = "veille_sociale", "intervenant de veille sociale"
    REFERENT = "referent", "travailleur social référent"
    COORDINATEUR = "coordinateur", "coordinateur SIAO"
    COMMISSION = "commission", "membre de commission"
    GESTIONNAIRE = "gestionnaire", "gestionnaire de structure"
    BAILLEUR = "bailleur", "bailleur"
    OBSERVATEUR = "observateur", "observateur État"
    REDACTEUR = "redacteur", "rédacteur de politiques"
    ADMIN = "admin", "administrateur"


class User(SQLModel, table=True):
    __tablename__ = "account"  # "user" is a reserved word in PostgreSQL
    # An OIDC identity is the provider's (issuer, sub): stable and unique, unlike a name.
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_account_oidc"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=80)
    display_name: str = Field(max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)  # None: OIDC only
    roles: list[str] = listing()
    departements: list[str] = listing()
    structures: list[str] = listing(description="structures gérées (gestionnaire, bailleur)")
    active: bool = True
    created_at: datetime = when(default_factory=now)
    # In every local token (claim `ver`); bumped on logout, password or rights change, which
    # revokes the tokens issued before.
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    oidc_issuer: str | None = Field(default=None, max_length=255)
    oidc_subject: str | None = Field(default=None, max_length=255, description="claim `sub`")


class LoginThrottle(SQLModel, table=True):
    """Failed logins per account name and per client address (both as keyed digests: no typed
    name or address is stored), and until when the next attempt is refused."""

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failure_at: datetime = when(default_factory=now)
    locked_until: datetime | None = when(None)
