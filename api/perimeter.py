"""The API's outer perimeter, as ASGI middlewares: a request-size limit, and the security headers
of every answer.

The size limit reads the body before the application does, counting what arrives, so a body
sent in chunks (no Content-Length, or one that lies) is held to the same limit as a declared
one: past the limit the request gets a 413 in French and the application never sees it.
"""

import json
from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024
BODY_LIMIT = 256 * KIB  # a first contact of 30 people with every text at its longest is < 100 KiB
# The Temporal Web UI sends history payloads to decode; Temporal's own limit for a payload is
# 2 MB, base64 makes it 2.7 MB.
PATH_LIMITS: Mapping[str, int] = {"/codec/": 4 * KIB * KIB}

# Nothing is loaded from elsewhere: scripts, styles and images come from the API itself (the
# documentation's assets are served by the app), no inline script runs, no page frames ours.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=63072000; includeSubDomains"
# Answers carry personal data: no browser or proxy keeps them; the documentation's assets may
# be cached.
CACHEABLE_PREFIXES = ("/docs-assets/",)


def _kib(size: int) -> str:
    return f"{size // (KIB * KIB)} Mio" if size >= KIB * KIB else f"{size // KIB} Kio"


def limit_for(path: str) -> int:
    return next(
        (size for prefix, size in PATH_LIMITS.items() if path.startswith(prefix)), BODY_LIMIT
    )


class TooLarge(Exception):
    pass


class BodySizeLimit:
    """413 for a request body over the limit of its path, whatever its transfer encoding."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        try:
            if declared is not None and int(declared) > limit:
                await self._too_large(send, limit)
                return
            body = await self._read(receive, limit)
        except TooLarge:
            await self._too_large(send, limit)
            return
        if body is None:  # the client left before sending its body
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # then what the server says next (a disconnect)

        await self.app(scope, replay, send)

    @staticmethod
    async def _read(receive: Receive, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    async def _too_large(send: Send, limit: int) -> None:
        content = json.dumps(
            {
                "detail": f"Requête trop volumineuse : {_kib(limit)} au plus. "
                "Rien n'a été enregistré."
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(content)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})


class SecurityHeaders:
    """The security headers on every answer (HSTS outside development)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = {**SECURITY_HEADERS, **({"Strict-Transport-Security": HSTS} if hsts else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith(CACHEABLE_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
