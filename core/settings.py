"""Settings from `SIAO_*` environment variables, with defaults that run the embedded stack."""

import base64
import binascii
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.pathway import DEFAULT_WAKEUP_SPREAD_SECONDS, WakeupSpreadSeconds

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
Environment = Literal["development", "production"]
LogFormat = Literal["auto", "json", "console"]
DEVELOPMENT: Environment = "development"
# Public values (they are in the code), used in development only and refused elsewhere: the
# secret local tokens are signed with, the audit chain's HMAC key, the payload encryption key.
DEV_SECRET = "dev-secret-not-for-production-change-me"
DEV_AUDIT_KEY = "siao-audit-development-key-not-a-secret-000"
DEV_ENCRYPTION_KEY_ID = "dev"
DEV_ENCRYPTION_KEY = "Z5t6VLyv66qQawRJolIn0O4SsdAEzAtQQryC1GuzViw="
MIN_SECRET_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIAO_", env_file=".env", extra="ignore")

    # Production unless told otherwise: `make up`, `make demo`, the benches and the tests set
    # development explicitly (development_unless_set); nothing falls back to public secrets.
    environment: Environment = "production"
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
    # How long the API keeps an idle connection open: longer than whoever sends it requests
    # keeps theirs (a reverse proxy's upstream keep-alive, 60 s for nginx and most load
    # balancers), so that the client, never the API, closes it (core/api_server.py says why).
    api_keep_alive_seconds: int = Field(75, ge=1)
    # Authentication: local accounts sign tokens with `secret_key` (refused at its default
    # outside development); an OIDC provider may issue them instead (see README).
    secret_key: str = Field("", repr=False, description="clé de signature des jetons locaux")
    token_minutes: int = 480  # one working shift
    # The audit chain's HMAC key (activities.audit), never stored in the database; empty: the public
    # development key, refused outside development.
    audit_key: str = Field("", repr=False, description="clé HMAC du journal d'audit")
    # OIDC: tokens of this issuer for this audience, keys from its JWKS (all three or none);
    # an account is bound to the provider's (issuer, sub), never to a name.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_jwks_cooldown_seconds: float = 30  # at least this long between two unknown-kid fetches
    log_format: LogFormat = "auto"
    log_level: str = "INFO"
    worker_activity_threads: int = 16
    # Open pathways kept in the worker's memory between their tasks (the sticky cache): beyond
    # it, a pathway's next task replays its history first. Sized by bench/scale.py (README).
    worker_max_cached_workflows: int = Field(1000, ge=0)
    # Workflow tasks and local activities a worker works on at once. Its Python runs on one core
    # with one rules child: the SDK's 100 only made every task in flight wait for the others (an
    # action behind a storm's 100 deadlines); 20 covers the bench's 20 clients (README: Scale).
    worker_max_concurrent_workflow_tasks: int = Field(20, ge=2)
    worker_max_concurrent_local_activities: int = Field(20, ge=1)
    # Each new pathway's deadline work runs at its own offset within this many seconds after the
    # deadline (0: at the deadline); a storm of deadlines then reaches the workers at a rate they
    # drain. Sized by bench/scale.py's mass wake-up (README: Scale).
    deadline_wakeup_spread_seconds: WakeupSpreadSeconds = DEFAULT_WAKEUP_SPREAD_SECONDS
    # The Temporal SDK's Prometheus metrics (task latencies, sticky cache hits…) on this port
    # of 127.0.0.1 when set (`SIAO_WORKER_METRICS_BIND=0.0.0.0:9464` to expose them).
    worker_metrics_bind: str | None = None

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Self:
        """Every check of the secrets, here only. Outside development each secret that is given
        is at least 32 bytes and not its public development value (a missing one is refused by
        `require_secrets`, when a process that needs it starts); OIDC is all or nothing."""
        problems = [] if self.in_development else self._weak_secrets()
        oidc = {
            "SIAO_OIDC_ISSUER": self.oidc_issuer,
            "SIAO_OIDC_AUDIENCE": self.oidc_audience,
            "SIAO_OIDC_JWKS_URL": self.oidc_jwks_url,
        }
        missing = [name for name, value in oidc.items() if not value]
        if len(missing) < len(oidc) and missing:
            problems.append(
                "OIDC incomplet : l'émetteur, l'audience et l'adresse des clés sont obligatoires "
                f"ensemble (manque : {', '.join(missing)})."
            )
        if problems:
            raise ValueError(" ".join(problems))
        return self

    def _weak_secrets(self) -> list[str]:
        weak = [
            name
            for name, value, public in (
                ("SIAO_SECRET_KEY", self.secret_key, DEV_SECRET),
                ("SIAO_AUDIT_KEY", self.audit_key, DEV_AUDIT_KEY),
            )
            if value and (len(value.encode()) < MIN_SECRET_BYTES or value == public)
        ]
        problems = [
            f"{name} doit compter au moins {MIN_SECRET_BYTES} octets aléatoires hors "
            f"développement (environnement « {self.environment} »)."
            for name in weak
        ]
        if _holds_dev_encryption_key(self.encryption_keys):
            problems.append(
                "La clé de chiffrement de développement (publique, écrite dans le code) est "
                f"refusée dans l'environnement « {self.environment} » : générez une clé avec "
                "`python -m core.codec` et retirez-la de SIAO_ENCRYPTION_KEYS."
            )
        return problems

    def require_secrets(self) -> None:
        """For the API and the worker, at start: outside development no secret may be missing
        (the public development values stand in for them in development only)."""
        if self.in_development:
            return
        names = {
            "SIAO_SECRET_KEY": self.secret_key,
            "SIAO_AUDIT_KEY": self.audit_key,
            "SIAO_ENCRYPTION_KEYS": self.encryption_keys.strip(),
        }
        if missing := [name for name, value in names.items() if not value]:
            raise RuntimeError(
                f"{', '.join(missing)} : vide hors développement (environnement « "
                f"{self.environment} »). Clés secrètes : au moins 32 octets aléatoires "
                "(`openssl rand -base64 48`) ; clé de chiffrement : `python -m core.codec`."
            )

    @property
    def in_development(self) -> bool:
        return self.environment == DEVELOPMENT

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_jwks_url)


def _holds_dev_encryption_key(spec: str) -> bool:
    public = base64.b64decode(DEV_ENCRYPTION_KEY)
    for entry in spec.split(","):
        try:  # a malformed entry is for core.codec to refuse, with its own message
            if base64.b64decode(entry.partition(":")[2].strip(), validate=True) == public:
                return True
        except binascii.Error:
            continue
    return False


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
