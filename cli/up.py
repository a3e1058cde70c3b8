"""`make up`: the embedded default — Temporal dev server (SQLite, WAL), worker and API together.

Supervised (cli.supervisor): a worker or API that stops on its own is restarted with backoff;
the dev server's death stops everything (non-zero exit). Ctrl-C (or SIGTERM) stops all three, API
first, Temporal last, so no action is cut between them. Pathways and their timers live in
var/temporal.db and survive the restart. SIAO_VAR_DIR puts the dev server's database and the logs
elsewhere (with SIAO_DATABASE_URL, SIAO_TEMPORAL_ADDRESS, SIAO_TEMPORAL_UI_PORT and SIAO_API_PORT:
a second stack beside the first, as the tests do).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from api.accounts import ensure_first_admin
from cli.supervisor import Supervised, Supervisor, describe_exit, shown
from core.db import get_engine, migrate
from core.dev_server import DEV_SERVER_FLAGS
from core.settings import ROOT, VAR, development_unless_set, get_settings
from workflows.search_attributes import dev_server_flags

BIN = Path(sys.executable).parent


def var_dir() -> Path:
    """Where the dev server's database and the logs go: var/, or SIAO_VAR_DIR."""
    return Path(os.environ.get("SIAO_VAR_DIR") or VAR)


def in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def died_at_start(spec: Supervised, proc: subprocess.Popen) -> SystemExit:
    where = f" — journal : {shown(spec.log)}" if spec.log else ""
    return SystemExit(
        f"{spec.title} s'est {spec.stopped} au démarrage ({describe_exit(proc.returncode)}){where}."
    )


def wait_for_port(port: int, spec: Supervised, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise died_at_start(spec, proc)
        if in_use(port):
            return
        time.sleep(0.2)
    raise SystemExit(f"{spec.title} ne répond pas sur le port {port} après {seconds:.0f} s.")


def wait_for_health(
    url: str, spec: Supervised, proc: subprocess.Popen, seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise died_at_start(spec, proc)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{spec.title} ne répond pas sur /health.")


def temporal_command(port: int, ui_port: int, api_port: int, var: Path = VAR) -> list[str]:
    """The dev server; its UI asks the API's /codec to decode the (encrypted) payloads."""
    return [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--db-filename",
        str(var / "temporal.db"),
        *DEV_SERVER_FLAGS,
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


def main() -> int:
    development_unless_set()  # the embedded stack: development, unless told otherwise
    settings = get_settings()
    var = var_dir()
    var.mkdir(parents=True, exist_ok=True)
    port = int(settings.temporal_address.rsplit(":", 1)[1])
    busy = [p for p in (port, settings.temporal_ui_port, settings.api_port) if in_use(p)]
    if busy:
        print(f"Port(s) déjà utilisé(s) : {busy}. Un autre `make up` tourne-t-il déjà ?")
        return 1
    sup = Supervisor({**os.environ, "SIAO_TEMPORAL_ADDRESS": f"127.0.0.1:{port}"})
    # Ctrl-C and a service manager's SIGTERM both stop us in order (even when started in the
    # background, where SIGINT would otherwise be ignored).
    signal.signal(signal.SIGINT, sup.handle_signal)
    signal.signal(signal.SIGTERM, sup.handle_signal)
    temporal = Supervised(
        "Temporal (serveur de développement)",
        temporal_command(port, settings.temporal_ui_port, settings.api_port, var),
        var / "temporal.log",
        critical=True,
        stop_signal=signal.SIGTERM,
    )
    worker = Supervised("le worker", [sys.executable, str(ROOT / "worker.py")], var / "worker.log")
    api = Supervised(
        "l'API",
        [sys.executable, "-m", "core.api_server"],  # host, port, keep-alive: the settings
        var / "api.log",
        feminine=True,
    )
    code = 0
    try:
        print("Base de données : migrations Alembic…", flush=True)
        migrate(settings.database_url)
        first_password = ensure_first_admin(get_engine())
        wait_for_port(port, temporal, sup.start(temporal))
        sup.start(worker)
        health = f"http://127.0.0.1:{settings.api_port}/health"
        wait_for_health(health, api, sup.start(api))
        logs = ", ".join(shown(spec.log or var) for spec in (temporal, worker, api))
        print(
            f"""
  SIAO — parcours : prêt.
  API (documentation interactive) : http://localhost:{settings.api_port}/docs
  Interface Temporal (superviseurs) : http://localhost:{settings.temporal_ui_port}
  Exemple de filtre : SiaoStage='admitted'  ou  SiaoOverdue=true
  Journaux : {logs}
  Le worker et l'API redémarrent d'eux-mêmes s'ils s'arrêtent.
  Des parcours d'exemple : make demo (dans un autre terminal). Arrêt : Ctrl-C.
""",
            flush=True,
        )
        if first_password:
            print(
                f"""  Premier compte administrateur créé : admin / {first_password}
  (notez-le : il ne sera plus affiché). Créez les comptes des équipes avec
  .venv/bin/siao users create NOM --role coordinateur --departement 75
  puis connectez-vous dans /docs (bouton « Authorize »). Superviseurs : connectez-vous sur
  http://localhost:{settings.api_port}/login ; la connexion dépose un cookie qui permet à
  l'interface Temporal de déchiffrer les parcours de vos départements (réglage « Include
  cross-origin credentials » du codec dans l'interface).
""",
                flush=True,
            )
        code = sup.watch()
    except KeyboardInterrupt:
        pass
    finally:
        # After a stop request or an error at start-up (0), or the dev server's death (1).
        stopping = "API, worker puis Temporal" if code == 0 else "API puis worker"
        print(f"\nArrêt : {stopping}…", flush=True)
        sup.stop_all()
    return code


if __name__ == "__main__":
    sys.exit(main())
