"""`make up`: the embedded default — Temporal dev server (SQLite, WAL), worker and API together.

Ctrl-C stops all three, API first, Temporal last, so no action is cut between them. Pathways and
their timers live in var/temporal.db and survive the restart.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from core.db import get_engine, migrate
from core.settings import VAR, get_settings
from core.users import ensure_first_admin
from workflows.search_attributes import dev_server_flags

BIN = Path(sys.executable).parent


def in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, what: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} s'est arrêté au démarrage (code {proc.returncode}).")
        if in_use(port):
            return
        time.sleep(0.2)
    raise SystemExit(f"{what} ne répond pas sur le port {port} après {seconds:.0f} s.")


def wait_for_health(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("L'API s'est arrêtée au démarrage.")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("L'API ne répond pas sur /health.")


def temporal_command(port: int, ui_port: int, api_port: int) -> list[str]:
    """The dev server; its UI asks the API's /codec to decode the (encrypted) payloads."""
    return [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--db-filename",
        str(VAR / "temporal.db"),
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--ui-codec-endpoint",
        f"http://localhost:{api_port}/codec",
        "--log-level",
        "warn",
        *dev_server_flags(),
    ]


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C and a service manager's SIGTERM both stop us in order (even when started in the
    # background, where SIGINT would otherwise be ignored).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    settings = get_settings()
    VAR.mkdir(exist_ok=True)
    port = int(settings.temporal_address.rsplit(":", 1)[1])
    env = {**os.environ, "SIAO_TEMPORAL_ADDRESS": f"127.0.0.1:{port}"}
    procs: list[tuple[str, subprocess.Popen]] = []
    busy = [p for p in (port, settings.temporal_ui_port, settings.api_port) if in_use(p)]
    if busy:
        print(f"Port(s) déjà utilisé(s) : {busy}. Un autre `make up` tourne-t-il déjà ?")
        return 1

    def start(name: str, cmd: list[str], log_name: str) -> subprocess.Popen:
        log = (VAR / log_name).open("ab")
        proc = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )  # our Ctrl-C decides the stop order
        procs.append((name, proc))
        return proc

    try:
        print("Base de données : migrations Alembic…", flush=True)
        migrate(settings.database_url)
        first_password = ensure_first_admin(get_engine())
        temporal = start(
            "Temporal",
            temporal_command(port, settings.temporal_ui_port, settings.api_port),
            "temporal.log",
        )
        wait_for_port(port, "Temporal", temporal)
        start("worker", [sys.executable, "worker.py"], "worker.log")
        api = start(
            "API",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.main:app",
                "--host",
                settings.api_host,
                "--port",
                str(settings.api_port),
            ],
            "api.log",
        )
        wait_for_health(f"http://127.0.0.1:{settings.api_port}/health", api)
        print(
            f"""
  SIAO — parcours : prêt.
  API (documentation interactive) : http://localhost:{settings.api_port}/docs
  Interface Temporal (superviseurs) : http://localhost:{settings.temporal_ui_port}
  Exemple de filtre : SiaoStage='admitted'  ou  SiaoOverdue=true
  Journaux : var/temporal.log, var/worker.log, var/api.log
  Des parcours d'exemple : make demo (dans un autre terminal). Arrêt : Ctrl-C.
""",
            flush=True,
        )
        if first_password:
            print(
                f"""  Premier compte administrateur créé : admin / {first_password}
  (notez-le : il ne sera plus affiché). Créez les comptes des équipes avec
  .venv/bin/python -m core.users create NOM --role coordinateur --departement 75
  puis connectez-vous dans /docs (bouton « Authorize »). Superviseurs : la connexion
  dépose aussi un cookie qui permet à l'interface Temporal de déchiffrer les données
  (réglage « Include cross-origin credentials » du codec dans l'interface).
""",
                flush=True,
            )
        while True:
            for name, proc in procs:
                if proc.poll() is not None:
                    print(f"{name} s'est arrêté (code {proc.returncode}) : arrêt de tout.")
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nArrêt : API, worker puis Temporal…", flush=True)
        return 0
    finally:
        for name, proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT if name != "Temporal" else signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()


if __name__ == "__main__":
    sys.exit(main())
