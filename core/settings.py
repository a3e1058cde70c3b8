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
    policies_dir: Path = ROOT / "policies"
    # The last version of each département's policy that passed its checks (used at start-up
    # if the file on disk was broken meanwhile).
    policies_accepted_dir: Path = VAR / "policies-accepted"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    log_format: str = Field("auto", description="auto | json | console")
    log_level: str = "INFO"
    worker_activity_threads: int = 16


@lru_cache
def get_settings() -> Settings:
    return Settings()
