"""`kore-contract cleanup --ledger FILE --base-url URL`: delete the campaigns a run left behind."""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from kore_contract.run.ledger import LedgerState

HELP = "delete campaigns a run created and did not delete (from its ledger)"
DESCRIPTION = """\
Every create a contract run sends is written to a ledger (reports/ledger.jsonl) before it
is sent and once it is answered; campaigns are deleted at the run's end. After a crash or
a lost connection, this command deletes what the ledger still holds (stopping a
campaign the ledger last saw started: an Active campaign cannot be deleted), on the --base-url
server only (the token goes nowhere else): lines naming another server are skipped and
listed. A create that was sent and never answered is listed by name ("possibly created"):
check the account for it. Bad ledger lines are skipped and reported on stderr.

Exit status: 0 nothing left; 1 something may be left (a delete failed: run it again; a
campaign possibly created, or created on another server: see the listing);
2 bad options or an unreadable ledger.
"""

LIVE_RATE = 5.0  # requests a second on a non-loopback server, as `test`


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ledger",
        required=True,
        metavar="FILE",
        help="the ledger of a run, e.g. reports/ledger.jsonl",
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get("KORE_BASE_URL"),
        metavar="URL",
        help="the server to delete on [env KORE_BASE_URL]",
    )
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="needed to delete on a base URL that is not loopback",
    )
    parser.add_argument("--client-id", default=os.environ.get("KORE_CLIENT_ID"))
    parser.add_argument(
        "--client-secret",
        default=os.environ.get("KORE_CLIENT_SECRET"),
        help="prefer KORE_CLIENT_SECRET, which stays out of shell history",
    )
    parser.add_argument("--token", default=os.environ.get("KORE_TOKEN"))
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS")


class Refused(Exception):
    """The cleanup cannot be made; the message says why and what to do."""


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kore_contract.run.ledger import LedgerError, read_ledger

    path = Path(args.ledger)
    try:
        base_url = _base_url(args)
        state = read_ledger(path)
    except (Refused, LedgerError) as error:
        err.write(f"kore-contract cleanup: {error}\n")
        return 2
    for bad in state.bad_lines:
        err.write(f"kore-contract cleanup: {path}:{bad.number}: skipped: {bad.problem}\n")
    here, elsewhere = _split_by_server(state, base_url)
    unresolved = [entry for entry in state.unresolved if _same_server(entry, base_url)]
    try:
        token = _token(args) if here or unresolved else ""
    except Refused as error:
        err.write(f"kore-contract cleanup: {error}\n")
        return 2
    for other_url, count in sorted(elsewhere.items()):
        out.write(
            f"skipped {count} campaign(s) created on {shown(other_url)} (not the "
            f"--base-url): run cleanup with --base-url {shown(other_url)} for them\n"
        )
    found, unresolved = _found_by_name(args, base_url, token, unresolved, out)
    here += found
    left = _delete_all(args, path, base_url, token, here, out)
    for entry in unresolved:
        out.write(
            f"possibly created, name {shown_name(entry.get('name'))}: check the account "
            "(the create was sent and its answer never recorded)\n"
        )
    out.write(
        json.dumps(
            {
                "deleted": len(here) - left,
                "left": left,
                "possibly_created": len(unresolved),
                "skipped": sum(elsewhere.values()),
            }
        )
        + "\n"
    )
    return 1 if left or unresolved or elsewhere else 0


#: Campaigns asked for per list page while looking intents up by name.
LIST_PAGE = 50
#: Pages read at most (LIST_PAGE x LIST_PAGES campaigns, newest first).
LIST_PAGES = 20


def _found_by_name(
    args: argparse.Namespace, base_url: str, token: str, intents: list[dict[str, Any]], out: TextIO
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The intents ("possibly created") resolved by name with the list call: the campaigns
    of that exact name, as ledger entries to delete; and the intents still unresolved (no
    name, not listed, or the list call failed)."""
    from kore_contract.run.client import KoreClient, Target

    named = [entry for entry in intents if isinstance(entry.get("name"), str)]
    if not named:
        return [], intents
    first = named[0]
    client = KoreClient(
        Target(base_url, first["stream_id"], first["account_id"], first["iid"], token),
        timeout=args.timeout,
    )
    try:
        found_names = client.listed_by_name(
            {str(entry["name"]) for entry in named}, page_size=LIST_PAGE, pages=LIST_PAGES
        )
    finally:
        client.close()
    if found_names is None:
        out.write("could not list the campaigns to find the possibly created ones by name\n")
    listed = found_names or {}
    found: list[dict[str, Any]] = []
    still: list[dict[str, Any]] = []
    for entry in intents:
        matches = listed.get(str(entry.get("name")), []) if entry in named else []
        if not matches:
            still.append(entry)
        for match in matches:
            out.write(
                f"possibly created, name {shown_name(entry.get('name'))}: found by name "
                f"as {shown(match['id'])}\n"
            )
            found.append(
                {
                    **entry,
                    "created": match["id"],
                    "state": "Active" if match.get("status") == "Active" else None,
                }
            )
    return found, still


def _base_url(args: argparse.Namespace) -> str:
    from kore_contract.run.client import is_loopback

    base_url: str | None = args.base_url
    if not base_url:
        raise Refused(
            "pass --base-url URL (or KORE_BASE_URL): the server to delete on; "
            "ledger lines naming another server are skipped"
        )
    if not is_loopback(base_url) and not args.allow_writes:
        raise Refused(
            f"{shown(base_url)} is not a loopback address: deleting there changes "
            "a real account; pass --allow-writes to go ahead"
        )
    return base_url


def _normal(url: str) -> str:
    return url.strip().rstrip("/").lower()


def _same_server(entry: dict[str, Any], base_url: str) -> bool:
    return _normal(str(entry.get("base_url", ""))) == _normal(base_url)


def _split_by_server(
    state: LedgerState, base_url: str
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The campaigns on `base_url`, and how many each other server holds."""
    here: list[dict[str, Any]] = []
    elsewhere: defaultdict[str, int] = defaultdict(int)
    for entry in state.pending:
        if _same_server(entry, base_url):
            here.append(entry)
        else:
            elsewhere[str(entry["base_url"])] += 1
    return here, dict(elsewhere)


def _token(args: argparse.Namespace) -> str:
    from kore_contract import auth

    if args.token:
        return str(args.token)
    if args.client_id and args.client_secret:
        return auth.mint_token(args.client_id, args.client_secret, ttl=600)
    raise Refused(
        "pass --client-id and --client-secret (or KORE_CLIENT_ID/KORE_CLIENT_SECRET), or --token"
    )


def _delete_all(
    args: argparse.Namespace,
    path: Path,
    base_url: str,
    token: str,
    entries: list[dict[str, Any]],
    out: TextIO,
) -> int:
    """Delete each campaign on `base_url` (the token goes there only); how many are left."""
    from kore_contract.run.client import KoreClient, RateLimiter, Target, is_loopback
    from kore_contract.run.ledger import Ledger

    if not entries:
        out.write(f"{path}: nothing to delete on {shown(base_url)}\n")
        return 0
    ledger = Ledger(path)
    limiter = RateLimiter(None if is_loopback(base_url) else LIVE_RATE)  # one cap for all
    left = 0
    for entry in entries:
        target = Target(base_url, entry["stream_id"], entry["account_id"], entry["iid"], token)
        client = KoreClient(target, timeout=args.timeout, ledger=ledger)
        client.limiter = limiter
        ledger.pending[entry["created"]] = entry
        stopped = ""
        if entry.get("state") == "Active":  # a server refuses to delete it (T5): stop first
            stop = client.stop(entry["created"])
            stopped = f"stopped ({shown(str(stop.status or stop.error))}), "
        exchange = client.delete(entry["created"])
        client.close()
        gone = exchange.status is not None and (
            200 <= exchange.status < 300 or exchange.status == 404
        )
        left += not gone
        status = exchange.status if exchange.status is not None else exchange.error
        out.write(
            f"{stopped}{'deleted' if gone else 'NOT deleted'} "
            f"{shown(entry['created'])} ({shown(str(status))})\n"
        )
    return left


def shown(text: str) -> str:
    """Text from a ledger or a server, with control characters escaped (safe on a terminal)."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def shown_name(name: object) -> str:
    if not isinstance(name, str):
        return "unknown (the body had no name)"
    return shown(json.dumps(name, ensure_ascii=False))
