"""Passwords and bearer tokens. Local accounts sign HS256 tokens with the secret key; in
production an OIDC provider may issue the tokens instead (RS256, checked against its JWKS)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from core.settings import Settings

DEV_SECRET = "dev-secret-not-for-production-change-me"
_hasher = PasswordHasher()


class TokenInvalid(Exception):
    """The token is missing, expired, forged, or for another audience."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    if not hashed:
        return False
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def check_secrets(settings: Settings) -> None:
    """Secrets left at their defaults are refused outside development."""
    if settings.environment != "development" and settings.secret_key in ("", DEV_SECRET):
        raise RuntimeError(
            "SIAO_SECRET_KEY est vide ou laissé à sa valeur de développement : "
            "choisissez une clé secrète (au moins 32 caractères aléatoires) hors développement."
        )


def create_token(settings: Settings, user_id: int, username: str) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "preferred_username": username,
        "iat": now,
        "exp": now + timedelta(minutes=settings.token_minutes),
        "iss": "siao-local",
    }
    return jwt.encode(claims, settings.secret_key or DEV_SECRET, algorithm="HS256")


def decode_token(settings: Settings, token: str) -> dict[str, Any]:
    """The token's claims; local tokens by secret, OIDC ones by the provider's keys."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") == "HS256":
            claims: dict[str, Any] = jwt.decode(
                token,
                settings.secret_key or DEV_SECRET,
                algorithms=["HS256"],
                issuer="siao-local",
                options={"require": ["exp", "sub"]},
            )
            return claims
        if not settings.oidc_jwks_url:
            raise TokenInvalid("jeton non local et OIDC non configuré")
        key = jwt.PyJWKClient(settings.oidc_jwks_url).get_signing_key_from_jwt(token)
        oidc: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256", "ES256"],
            audience=settings.oidc_audience,
            issuer=settings.oidc_issuer,
            options={"require": ["exp", "sub"]},
        )
        return oidc
    except jwt.PyJWTError as exc:
        raise TokenInvalid(str(exc)) from exc
