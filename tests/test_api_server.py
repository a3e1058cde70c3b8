"""The API as `make up`, `make api`, the benches and production start it (`python -m
core.api_server`): uvicorn on the settings' host and port, keeping idle connections open for the
settings' keep-alive, so that its clients close them first (core/api_server.py says why)."""

import http.client
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.ports import free_port
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
KEEP_ALIVE = 1  # second, short for the test: uvicorn's own default is 5


@pytest.fixture
def api_port(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAO_")}
    env |= {
        "SIAO_ENVIRONMENT": "development",
        "SIAO_DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
        "SIAO_POLICIES_ACCEPTED_DIR": str(tmp_path / "accepted"),
        "SIAO_API_HOST": "127.0.0.1",
        "SIAO_API_PORT": str(port),
        "SIAO_API_KEEP_ALIVE_SECONDS": str(KEEP_ALIVE),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "core.api_server", "--log-level", "warning"],  # passed to uvicorn
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/docs")
                probe.getresponse().read()
                probe.close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the API did not start within 60 s"
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(15)


def test_an_idle_connection_stays_open_for_the_settings_keep_alive_then_the_api_closes_it(
    api_port: int,
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", api_port, timeout=5)
    connection.request("GET", "/docs")
    assert connection.getresponse().read()
    sock = connection.sock
    assert sock is not None
    time.sleep(KEEP_ALIVE / 2)  # idle, within the keep-alive: the same connection answers
    connection.request("GET", "/docs")
    assert connection.getresponse().read()
    assert connection.sock is sock
    # Past it, long before uvicorn's own 5 s: the API has closed its end (a readable socket
    # that reads nothing).
    readable, _, _ = select.select([sock], [], [], 3)
    assert readable, "the API kept the idle connection past its keep-alive"
    assert sock.recv(1) == b""
    connection.close()


def test_the_default_keep_alive_outlasts_a_reverse_proxys() -> None:
    """nginx's upstream keep-alive and the common load balancers' idle timeout: 60 s."""
    assert Settings(_env_file=None).api_keep_alive_seconds > 60
