"""The `kore-contract` command: parse, run, exit in one place (only `main` exits)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TextIO

from kore_contract.commands import COMMANDS
from kore_contract.common.version import __version__

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kore-contract",
        description=(
            "Check payloads against, mock, and contract-test the Kore.ai SMS campaign v2 API. "
            "Rule ids (R.., S.., A..) refer to docs/contract.md."
        ),
    )
    parser.add_argument("--version", action="version", version=f"kore-contract {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"kore_contract.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"kore_contract.commands.{name}":
                raise
            continue  # not built yet
        sub = commands.add_parser(
            name,
            help=module.HELP,
            description=module.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(_module=module)
    return parser


def run(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.command is None:
        parser.print_help(out)
        return EXIT_USAGE
    try:
        return int(args._module.run(args, out, err))
    except KeyboardInterrupt:
        err.write("kore-contract: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run(argv, sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
