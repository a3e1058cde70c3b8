"""Settings from `SIAO_*` environment variables, with defaults that run the embedded stack."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DEVELOPMENT = "development"
# The public secret local tokens are signed with in development only (never elsewhere).
DEV_SECRET = "dev-secret-not-for-production-change-me"
MIN_SECRET_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIAO_", env_file=".env", extra="ignore")

    # Production unless told otherwise: `make up`, `make demo`, the benches and the tests set
    # development explicitly (development_unless_set); nothing falls back to public secrets.
    environment: str = Field("production", description="development | production")
    database_url: str = Field(f"sqlite:///{VAR / 'siao.db'}", description="SQLAlchemy URL")
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "siao-parcours"
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_api_key: str | None = None
    temporal_ui_port: int = 8233
    # Temporal payload encryption (core.codec): "id:base64key,…", 32-byte AES keys, the first
    # encrypts, the others stay readable after a rotation. Empty: the public development key,
    # refused outside development.
    encryption_keys: str = Field("", repr=False, description="id:clé_base64,… (1re = courante)")
    # The Temporal Web UI's origin: the only one a browser may call /codec from (CORS).
    ui_origin: str = "http://localhost:8233"
    policies_dir: Path = ROOT / "policies"
    # The last version of each département's policy that passed its checks (used at start-up
    # if the file on disk was broken meanwhile).
    policies_accepted_dir: Path = VAR / "policies-accepted"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Authentication: local accounts sign tokens with `secret_key` (refused at its default
    # outside development); an OIDC provider may issue them instead (see README).
    secret_key: str = Field("", repr=False, description="clé de signature des jetons locaux")
    token_minutes: int = 480  # one working shift
    # The audit chain's HMAC key (core.audit), never stored in the database; empty: the public
    # development key, refused outside development.
    audit_key: str = Field("", repr=False, description="clé HMAC du journal d'audit")
    # OIDC: tokens of this issuer for this audience, keys from its JWKS (all three or none);
    # an account is bound to the provider's (issuer, sub), never to a name.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_jwks_cooldown_seconds: float = 30  # at least this long between two unknown-kid fetches
    log_format: str = Field("auto", description="auto | json | console")
    log_level: str = "INFO"
    worker_activity_threads: int = 16

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Self:
        """A short or public token secret outside development, an incomplete OIDC set-up."""
        secret = self.secret_key.encode()
        if (
            self.environment != DEVELOPMENT
            and secret
            and (len(secret) < MIN_SECRET_BYTES or self.secret_key == DEV_SECRET)
        ):
            raise ValueError(
                f"SIAO_SECRET_KEY doit compter au moins {MIN_SECRET_BYTES} octets aléatoires "
                f"hors développement (environnement « {self.environment} »)."
            )
        oidc = {
            "SIAO_OIDC_ISSUER": self.oidc_issuer,
            "SIAO_OIDC_AUDIENCE": self.oidc_audience,
            "SIAO_OIDC_JWKS_URL": self.oidc_jwks_url,
        }
        missing = [name for name, value in oidc.items() if not value]
        if len(missing) < len(oidc) and missing:
            raise ValueError(
                "OIDC incomplet : l'émetteur, l'audience et l'adresse des clés sont obligatoires "
                f"ensemble (manque : {', '.join(missing)})."
            )
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_jwks_url)


@lru_cache
def get_settings() -> Settings:
    return Settings()


def development_unless_set() -> None:
    """For the embedded stack (`make up`, `make demo`): development, unless SIAO_ENVIRONMENT is
    set (in the environment or .env). Set in os.environ, so the processes it starts inherit it."""

    class Probe(BaseSettings):  # the same sources, no defaults and no checks
        model_config = Settings.model_config
        environment: str | None = None

    if Probe().environment is None:
        os.environ["SIAO_ENVIRONMENT"] = DEVELOPMENT
        get_settings.cache_clear()
