"""`siao`: every command line of the SIAO, one entry point.

siao policies …            valider, tester, simuler les politiques (cli/policies.py)
siao check [--repair]      cohérence base / parcours Temporal (cli/check.py)
siao users create …        comptes (cli/users.py)
siao up                    la pile embarquée : Temporal, worker, API (`make up`)
siao demo                  quelques ménages de démonstration (`make demo`)
"""

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

import structlog

from cli.check import add_check_parser
from cli.policies import add_policies_parser
from cli.report import add_report_parser


def _delegate(name: str, help_: str, target: Callable[[list[str]], int]) -> Callable[..., None]:
    """A subcommand whose own parser (and `python -m`) takes the rest of the line."""

    def add(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
        p = commands.add_parser(name, help=help_, add_help=False)
        p.set_defaults(delegate=target)

    return add


def _users(argv: list[str]) -> int:
    from cli.users import main

    return main(argv)


def _up(argv: list[str]) -> int:
    from cli.up import main

    return main()


def _demo(argv: list[str]) -> int:
    from cli.demo import main

    return main()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="siao", description="Outils du SIAO.")
    commands = root.add_subparsers(dest="command", required=True)
    add_policies_parser(commands)
    add_check_parser(commands)
    add_report_parser(commands)
    _delegate("users", "comptes : créer, lister", _users)(commands)
    _delegate("up", "la pile embarquée (Temporal, worker, API)", _up)(commands)
    _delegate("demo", "quelques ménages de démonstration", _demo)(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    if not structlog.is_configured():  # keep the engine's info logs off the tables we print
        structlog.configure(
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
            logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),  # as it is then
        )
    root = parser()
    args, rest = root.parse_known_args(argv)
    if getattr(args, "delegate", None) is not None:
        return int(args.delegate(rest))
    if rest:
        root.error(f"arguments inconnus : {' '.join(rest)}")
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
