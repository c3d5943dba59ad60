"""One module per `kore-contract` sub-command.

Each module defines `HELP` (one line), `DESCRIPTION` (the --help text), `add_arguments(parser)`
and `run(args, out, err) -> int`. Modules import only the standard library at import time:
`kore-contract validate` must start fast, so heavy imports live inside `run`.
"""

COMMANDS = ("validate", "test", "mock", "proxy", "token", "fuzz", "report", "trace", "cleanup")
