"""Passwords and bearer tokens. Local accounts sign HS256 tokens with the secret key; an OIDC
provider may issue them instead (RS256/ES256, checked against its JWKS, kept in a cache)."""

import hashlib
import hmac
import threading
from datetime import timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from core import clock
from core.settings import DEV_SECRET, Settings

LOCAL_ISSUER = "siao-local"
_hasher = PasswordHasher()
# Verified when the account is unknown, disabled or without a password: a login costs the same
# work whatever the name, so timing does not tell which accounts exist.
_DUMMY_HASH = _hasher.hash("compte inexistant : travail constant")


class TokenInvalid(Exception):
    """The token is missing, expired, forged, revoked, or for another audience."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Always one argon2 verification, even without a hash to check against."""
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerifyMismatchError, InvalidHashError):
        return False


def signing_secret(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    if settings.in_development:
        return DEV_SECRET
    raise TokenInvalid("aucune clé de signature hors développement")


def keyed_digest(settings: Settings, *parts: str) -> str:
    """An HMAC of `parts` under the token secret: names and addresses never stored in clear."""
    message = "\0".join(parts).encode()
    return hmac.new(signing_secret(settings).encode(), message, hashlib.sha256).hexdigest()


def create_token(settings: Settings, user_id: int, username: str, version: int = 0) -> str:
    now = clock.now()
    claims = {
        "sub": str(user_id),
        "preferred_username": username,
        "ver": version,  # the account's token version: bumped, it revokes this token
        "iat": now,
        "exp": now + timedelta(minutes=settings.token_minutes),
        "iss": LOCAL_ISSUER,
    }
    return jwt.encode(claims, signing_secret(settings), algorithm="HS256")


_jwks_clients: dict[tuple[str, float], jwt.PyJWKClient] = {}
_jwks_lock = threading.Lock()


def jwks_client(settings: Settings) -> jwt.PyJWKClient:
    """One client per key-set URL and process: the key set is cached (5 min) and fetched again
    early only for an unknown `kid`, at most once per cooldown."""
    assert settings.oidc_jwks_url is not None
    key = (settings.oidc_jwks_url, settings.oidc_jwks_cooldown_seconds)
    with _jwks_lock:
        client = _jwks_clients.get(key)
        if client is None:
            client = jwt.PyJWKClient(
                settings.oidc_jwks_url,
                timeout=10,
                cooldown_duration=settings.oidc_jwks_cooldown_seconds,
            )
            _jwks_clients[key] = client
        return client


def decode_token(settings: Settings, token: str) -> dict[str, Any]:
    """The token's claims; local tokens by secret, OIDC ones by the provider's keys (this may
    fetch the key set over the network: call it off the event loop)."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") == "HS256":
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_secret(settings),
                algorithms=["HS256"],
                issuer=LOCAL_ISSUER,
                options={"require": ["exp", "sub", "ver"]},
            )
            return claims
        if not settings.oidc_enabled:
            raise TokenInvalid("jeton non local et OIDC non configuré")
        key = jwks_client(settings).get_signing_key_from_jwt(token)
        oidc: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256", "ES256"],
            audience=settings.oidc_audience,
            issuer=settings.oidc_issuer,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
        return oidc
    except jwt.PyJWTError as exc:
        raise TokenInvalid(str(exc)) from exc
