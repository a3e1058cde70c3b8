"""`siao`, the one entry point: each subcommand reaches its module."""

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, select

from models.users import User

ROOT = Path(__file__).resolve().parent.parent


def siao(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAO_")}
    env |= {"SIAO_ENVIRONMENT": "development", "SIAO_DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_users_create_through_siao(db_url, engine) -> None:
    out = siao(
        db_url, "users", "create", "cli-agent", "--role", "coordinateur", "--departement", "75"
    )
    assert out.returncode == 0, out.stderr
    assert "Compte « cli-agent » créé. Mot de passe :" in out.stdout
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "cli-agent")).one()
    assert user.roles == ["coordinateur"] and user.departements == ["75"]
    refused = siao(db_url, "users", "create", "cli-other", "--role", "inconnu")
    assert refused.returncode == 1 and "Refusé" in refused.stdout


def test_help_lists_every_subcommand_and_unknown_arguments_are_refused(db_url) -> None:
    out = siao(db_url, "--help")
    for command in ("policies", "check", "users", "up", "demo"):
        assert command in out.stdout
    wrong = siao(db_url, "policies", "list", "--nope")
    assert wrong.returncode == 2 and "arguments inconnus : --nope" in wrong.stderr
