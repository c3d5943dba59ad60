"""`kore-contract mock`: serve the contract on loopback, for offline development."""

from __future__ import annotations

import argparse
import os
import shlex
import textwrap
from typing import TextIO

from kore_contract.mock import limits

HELP = "serve every call of the SMS campaign v2 family from the spec on 127.0.0.1"
DESCRIPTION = f"""\
Serve the Kore.ai SMS campaign v2 family of docs/contract.md from the spec: create (using
a template, without one, advanced format), get, update, delete, start (both URL shapes),
stop, status and list, with the campaign's states (Ready, Active, Stopped), seeded from a
fixture (default: the bundled example). Requests are checked like a conforming server
would: the auth JWT (A1, A2), the iid and accountId headers and the accountId query (A3),
the call's query (T6, Q1), the campaign id (404 for an unknown one, U3), the body (R1 to
R13, C1 to C3, U1, L1) against the fixture's contact lists, templates and experience
flows, then the campaign's state (409 for a start of an Active campaign, a stop of one
that is not, an update or delete of an Active one: T4, T5). Refusals are 4xx with a JSON
body naming the rule.

The stream, account and application ids accept any non-empty value unless pinned
with --stream-id, --account-id, --iid. The base URL, the ids and a ready token are
printed at start; one line per request is logged on standard error (token redacted).
Ctrl-C stops it.

{textwrap.fill(limits.describe(), 88)}

examples:
  kore-contract mock
  kore-contract mock --port 0 --fixture account.json --quiet
  KORE_CLIENT_SECRET=... kore-contract mock --client-id cs-1234 --stream-id st-1
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port (default: 8080; 0 picks a free one)"
    )
    parser.add_argument(
        "--fixture",
        metavar="F",
        default=os.environ.get("KORE_FIXTURE"),
        help="the account's fixture (JSON; default: $KORE_FIXTURE, else the bundled example)",
    )
    parser.add_argument(
        "--client-id",
        metavar="C",
        default=os.environ.get("KORE_CLIENT_ID"),
        help="the client id tokens must carry in appId "
        "(default: $KORE_CLIENT_ID, else kore-contract-client)",
    )
    parser.add_argument(
        "--client-secret",
        metavar="K",
        default=os.environ.get("KORE_CLIENT_SECRET"),
        help="the HS256 secret tokens are signed with "
        "(default: $KORE_CLIENT_SECRET, else kore-contract-secret)",
    )
    parser.add_argument("--stream-id", metavar="S", help="accept only this stream id")
    parser.add_argument("--account-id", metavar="A", help="accept only this account id")
    parser.add_argument("--iid", metavar="I", help="accept only this application id")
    parser.add_argument("--quiet", action="store_true", help="no line per request (benchmarks)")
    parser.add_argument(
        "--fault",
        metavar="NAME",
        default=None,
        help="break one rule on purpose, to prove a checker catches it (names: --list-faults)",
    )
    parser.add_argument("--list-faults", action="store_true", help="list the fault names and exit")
    parser.add_argument(
        "--max-campaigns",
        metavar="N",
        type=int,
        default=limits.MAX_CAMPAIGNS,
        help="campaigns the store holds at most (default: "
        f"{limits.MAX_CAMPAIGNS:,}); past it a create is refused 409",
    )
    parser.add_argument(
        "--max-store-mb",
        metavar="MB",
        type=int,
        default=limits.MAX_STORED_BYTES // 2**20,
        help="megabytes of campaigns the store holds at most (default: "
        f"{limits.MAX_STORED_BYTES // 2**20}); past it a create is "
        "refused 409",
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kore_contract.mock.faults import every_fault

    faults = every_fault()
    if args.list_faults:
        for fault in faults.values():
            out.write(f"{fault.name:36} {fault.description}\n")
        return 0
    if args.fault is not None and args.fault not in faults:
        err.write(
            f"kore-contract mock: --fault={args.fault}: unknown; "
            "see kore-contract mock --list-faults\n"
        )
        return 2
    if not 0 <= args.port <= 65535:
        err.write(f"kore-contract mock: --port={args.port}: must be 0 to 65535\n")
        return 2
    for option in ("max_campaigns", "max_store_mb"):
        if getattr(args, option) < 1:
            err.write(
                f"kore-contract mock: --{option.replace('_', '-')}={getattr(args, option)}"
                ": must be at least 1\n"
            )
            return 2
    for option in ("stream_id", "account_id", "iid", "client_id", "client_secret"):
        value = getattr(args, option)
        if value is not None and not value.strip():
            err.write(f"kore-contract mock: --{option.replace('_', '-')}: must not be empty\n")
            return 2

    from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token
    from kore_contract.contract.fixture import FixtureError
    from kore_contract.mock.server import MockServer, bind, make_app, raise_open_file_limit

    client_id = args.client_id or DEFAULT_CLIENT_ID
    client_secret = args.client_secret or DEFAULT_CLIENT_SECRET

    def log(line: str) -> None:
        err.write(line + "\n")
        err.flush()

    raise_open_file_limit()  # every connection is a file; 1,024 is a low ceiling
    try:
        app = make_app(
            args.fixture,
            client_id=client_id,
            client_secret=client_secret,
            stream_id=args.stream_id,
            account_id=args.account_id,
            iid=args.iid,
            fault=args.fault,
            log=None if args.quiet else log,
            max_campaigns=args.max_campaigns,
            max_stored_bytes=args.max_store_mb * 2**20,
        )
    except FixtureError as error:
        err.write(f"kore-contract mock: {error}\n")
        return 2
    try:
        sock = bind(args.host, args.port)
    except OSError as error:
        err.write(
            f"kore-contract mock: cannot listen on {args.host}:{args.port}: "
            f"{error.strerror or error}; try --port 0 for a free port\n"
        )
        return 2
    server = MockServer(app, sock)
    token = mint_token(client_id, client_secret)
    import gc

    gc.freeze()  # what start-up loaded (spec, schemas, modules) is never walked again
    gc.set_threshold(20_000, 20, 20)  # a request makes ~200 objects, freed by refcount
    _banner(out, server, app.fixture.source, token, args)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        err.write(f"kore-contract mock: warning: listening on {args.host}, not only loopback\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    out.write(f"kore-contract mock: stopped after {app.requests} request(s)\n")
    out.flush()
    return 0


def _banner(
    out: TextIO, server: object, fixture: str, token: str, args: argparse.Namespace
) -> None:
    from kore_contract.mock.server import MockServer

    assert isinstance(server, MockServer)
    stream = args.stream_id or "st-mock"
    account = args.account_id or "acc-mock"
    iid = args.iid or "st-mock"

    def accepted(pinned: str | None, example: str) -> str:
        return f"{pinned} (only)" if pinned else f"any non-empty value (e.g. {example})"

    url = f"{server.base_url}/campaign/api/v2/public/{stream}/campaign"
    curl = (
        f"curl -sS {shlex.quote(url + f'?accountId={account}&campaignType=sms')} \\\n"
        f"    -H {shlex.quote('auth: ' + token)} \\\n"
        f"    -H {shlex.quote('accountid: ' + account)} -H {shlex.quote('iid: ' + iid)} \\\n"
        f"    -H 'Content-Type: application/json' --data @campaign.json"
    )
    app = server.app
    out.write(
        "kore-contract mock: the Kore.ai SMS campaign v2 family (create, get, update, delete,"
        " start, stop, status, list)\n"
        f"  base URL    {server.base_url}\n"
        f"  stream id   {accepted(args.stream_id, stream)}\n"
        f"  account id  {accepted(args.account_id, account)}\n"
        f"  iid         {accepted(args.iid, iid)}\n"
        f"  client id   {app.client_id}\n"
        f"  fixture     {fixture} ({len(app.fixture.contact_lists)} contact lists, "
        f"{len(app.fixture.templates)} templates)\n"
        + (f"  fault       {args.fault} (on purpose)\n" if args.fault else "")
        + f"  token       {token}\n"
        "              (HS256, appId = client id, no exp; kore-contract token mints others)\n"
        f"try:\n  {curl}\n"
        "Ctrl-C stops it.\n"
    )
    out.flush()
