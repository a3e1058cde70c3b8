"""Settings from `SIAO_*` environment variables, with defaults that run the embedded stack."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIAO_", env_file=".env", extra="ignore")

    environment: str = Field("development", description="development | production")
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
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    log_format: str = Field("auto", description="auto | json | console")
    log_level: str = "INFO"
    worker_activity_threads: int = 16


@lru_cache
def get_settings() -> Settings:
    return Settings()
