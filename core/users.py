"""Staff accounts from the command line: `python -m core.users create …`; and the first admin
that `make up` creates on a fresh install."""

import argparse
import secrets
import sys

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.db import get_engine
from core.security import hash_password
from models.users import Role, User


def create_user(
    engine: Engine,
    username: str,
    password: str | None,
    roles: list[str],
    departements: list[str],
    structures: list[str] | None = None,
    display_name: str | None = None,
) -> User:
    unknown = [r for r in roles if r not in Role._value2member_map_]
    if unknown:
        raise ValueError(f"rôle(s) inconnu(s) : {', '.join(unknown)}")
    with Session(engine, expire_on_commit=False) as session:
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password) if password else None,
            roles=roles,
            departements=departements,
            structures=structures or [],
        )
        session.add(user)
        session.commit()
        return user


def ensure_first_admin(engine: Engine) -> str | None:
    """On an empty install, create `admin` with a random password and return it (once)."""
    with Session(engine) as session:
        if session.exec(select(User.id)).first() is not None:
            return None
    password = secrets.token_urlsafe(12)
    create_user(engine, "admin", password, [Role.ADMIN.value], [], display_name="Administrateur")
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.users", description="Comptes du SIAO")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="créer un compte")
    create.add_argument("username")
    create.add_argument("--password", help="mot de passe (sinon : généré et affiché)")
    create.add_argument(
        "--role", action="append", required=True, help=" | ".join(r.value for r in Role)
    )
    create.add_argument("--departement", action="append", default=[])
    create.add_argument("--structure", action="append", default=[])
    args = parser.parse_args(argv)
    password = args.password or secrets.token_urlsafe(12)
    try:
        create_user(
            get_engine(), args.username, password, args.role, args.departement, args.structure
        )
    except ValueError as exc:
        print(f"Refusé : {exc}")
        return 1
    print(
        f"Compte « {args.username} » créé."
        + ("" if args.password else f" Mot de passe : {password}")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
