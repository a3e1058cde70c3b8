"""`siao users create …` (or `python -m cli.users create …`): a staff account from a shell."""

import argparse
import secrets
import sys

from api.accounts import AccountError, check_rights, create_user
from core.db import get_engine
from models.users import Role


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="siao users", description="Comptes du SIAO")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="créer un compte")
    create.add_argument("username")
    create.add_argument("--password", help="mot de passe (sinon : généré et affiché)")
    create.add_argument(
        "--role", action="append", required=True, help=" | ".join(r.value for r in Role)
    )
    create.add_argument("--departement", action="append", default=[])
    create.add_argument("--structure", action="append", default=[])
    create.add_argument(
        "--oidc-subject",
        help="identifiant `sub` du compte chez le fournisseur OIDC (émetteur : SIAO_OIDC_ISSUER)",
    )
    args = parser.parse_args(argv)
    generated = not args.password and not args.oidc_subject
    password = secrets.token_urlsafe(12) if generated else args.password
    oidc = None
    if args.oidc_subject:
        from core.settings import get_settings

        issuer = get_settings().oidc_issuer
        if not issuer:
            print("Refusé : SIAO_OIDC_ISSUER n'est pas configuré.")
            return 1
        oidc = (issuer, args.oidc_subject)
    try:
        check_rights(args.role, args.departement, args.structure)
        create_user(
            get_engine(),
            args.username,
            password,
            args.role,
            args.departement,
            args.structure,
            oidc=oidc,
        )
    except AccountError as exc:
        print(f"Refusé : {exc}")
        return 1
    print(
        f"Compte « {args.username} » créé." + (f" Mot de passe : {password}" if generated else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
