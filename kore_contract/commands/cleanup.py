"""`kore-contract cleanup --ledger FILE`: delete the campaigns a run left behind."""

from __future__ import annotations

import argparse
import os
from typing import TextIO

HELP = "delete campaigns a run created and did not delete (from its ledger)"
DESCRIPTION = """\
Every campaign a contract run creates is written to a ledger (reports/ledger.jsonl)
before the run goes on, and deleted at its end. After a crash or a lost connection,
this command deletes what the ledger still holds.

Exit status: 0 nothing left; 1 some campaigns could not be deleted (run it again);
2 bad options or an unreadable ledger.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ledger", required=True, metavar="FILE",
                        help="the ledger of a run, e.g. reports/ledger.jsonl")
    parser.add_argument("--client-id", default=os.environ.get("KORE_CLIENT_ID"))
    parser.add_argument("--client-secret", default=os.environ.get("KORE_CLIENT_SECRET"),
                        help="prefer KORE_CLIENT_SECRET, which stays out of shell history")
    parser.add_argument("--token", default=os.environ.get("KORE_TOKEN"))
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json
    from pathlib import Path

    from kore_contract import auth
    from kore_contract.client import KoreClient, Target
    from kore_contract.ledger import Ledger

    path = Path(args.ledger)
    try:
        pending = Ledger.read_pending(path)
    except (OSError, ValueError) as error:
        err.write(f"kore-contract cleanup: {path}: cannot read the ledger: {error}\n")
        return 2
    if not pending:
        out.write(f"{path}: nothing to delete\n")
        return 0
    if args.token:
        token = args.token
    elif args.client_id and args.client_secret:
        token = auth.mint_token(args.client_id, args.client_secret, ttl=600)
    else:
        err.write("kore-contract cleanup: pass --client-id and --client-secret (or "
                  "KORE_CLIENT_ID/KORE_CLIENT_SECRET), or --token\n")
        return 2
    ledger = Ledger(path)
    left = 0
    for entry in pending:
        target = Target(entry["base_url"], entry["stream_id"], entry["account_id"],
                        entry["iid"], token)
        client = KoreClient(target, timeout=args.timeout, ledger=ledger)
        ledger.pending[entry["created"]] = entry
        exchange = client.delete(entry["created"])
        ok = exchange.status is not None and (200 <= exchange.status < 300
                                              or exchange.status == 404)
        left += not ok
        status = exchange.status if exchange.status is not None else exchange.error
        out.write(f"{'deleted' if ok else 'NOT deleted'} {entry['created']} ({status})\n")
        client.close()
    out.write(json.dumps({"deleted": len(pending) - left, "left": left}) + "\n")
    return 1 if left else 0
