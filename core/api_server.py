"""Serving the API: `python -m core.api_server` runs uvicorn with the settings' host, port and
keep-alive, for `make up`, `make api`, the benches and production (extra arguments go to
uvicorn, e.g. `--proxy-headers --forwarded-allow-ips=<proxy>`).

Why the keep-alive is ours: uvicorn closes a connection idle for 5 s by default. A request its
client sends on it at that moment is lost — under load, uvicorn's loop (uvloop) runs the expired
timer before it reads the bytes already arrived, and the client reads an empty answer (httpx's
`ReadError`, nginx's 502 « upstream prematurely closed connection »). `make bench` lost an
operation so at 20 clients; a reproduction (20 connections idle just under 5 s between bursts,
the loop kept busy by another client) lost 1 or 2 requests of 200 with uvicorn's default, none
with 75 s. Only the side that closes first is safe, so the API keeps idle connections longer
than its clients keep theirs (`SIAO_API_KEEP_ALIVE_SECONDS`, 75 s: above a reverse proxy's
60 s; keep it above yours). `tests/test_api_server.py` checks that the setting reaches uvicorn.
"""

import os
import sys

from core.settings import Settings, get_settings

APP = "api.main:app_factory"  # built by uvicorn in its process: nothing is built at import


def uvicorn_args(settings: Settings, app: str = APP) -> list[str]:
    """uvicorn's command line, after the Python interpreter (`app`: the benches' bare front)."""
    return [
        "-m",
        "uvicorn",
        "--factory",
        app,
        "--host",
        settings.api_host,
        "--port",
        str(settings.api_port),
        "--timeout-keep-alive",
        str(settings.api_keep_alive_seconds),
    ]


def main() -> None:
    # exec, not a child: the process a supervisor started (and signals) is the server itself.
    args = [sys.executable, *uvicorn_args(get_settings()), *sys.argv[1:]]
    os.execv(sys.executable, args)


if __name__ == "__main__":
    main()
