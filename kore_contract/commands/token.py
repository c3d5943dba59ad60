"""`kore-contract token`: mint the JWT the documentation describes, for curl or Postman."""

from __future__ import annotations

import argparse
import os
from typing import TextIO

HELP = "mint the auth JWT (HS256, appId claim) for calls with curl or Postman"
DESCRIPTION = """\
Mint the JWT of jwt-token.md: signed with HS256 using the app's client secret, with
the claims {"sub": ..., "appId": <client id>} (rule A1 of docs/contract.md). The token
alone is printed on standard output, so it can be captured:

  export KORE_CLIENT_SECRET=...        # keeps the secret out of shell history
  TOKEN=$(kore-contract token --client-id cs-1234)
  curl -H "auth: $TOKEN" ...

--client-id and --client-secret default to KORE_CLIENT_ID and KORE_CLIENT_SECRET.
Exit status: 0 printed; 2 a usage error (a missing id or secret, a bad --ttl).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--client-id",
        metavar="C",
        default=os.environ.get("KORE_CLIENT_ID"),
        help="the app's client id, put in the appId claim (default: $KORE_CLIENT_ID)",
    )
    parser.add_argument(
        "--client-secret",
        metavar="K",
        default=os.environ.get("KORE_CLIENT_SECRET"),
        help="the app's client secret, the HS256 key "
        "(default: $KORE_CLIENT_SECRET; prefer the variable)",
    )
    parser.add_argument(
        "--sub", metavar="S", default=None, help="the sub claim (default: kore-contract)"
    )
    parser.add_argument("--jti", action="store_true", help="add a random jti claim")
    parser.add_argument(
        "--ttl",
        metavar="SECONDS",
        type=int,
        default=None,
        help="add iat and exp: the token expires after SECONDS (default: no exp)",
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not args.client_id:
        err.write("kore-contract token: --client-id (or KORE_CLIENT_ID) is required\n")
        return 2
    if not args.client_secret:
        err.write("kore-contract token: --client-secret (or KORE_CLIENT_SECRET) is required\n")
        return 2
    if args.ttl is not None and args.ttl < 1:
        err.write(f"kore-contract token: --ttl={args.ttl}: must be at least 1 second\n")
        return 2
    from kore_contract.auth import DEFAULT_SUB, mint_token

    token = mint_token(
        args.client_id, args.client_secret, sub=args.sub or DEFAULT_SUB, jti=args.jti, ttl=args.ttl
    )
    out.write(token + "\n")
    return 0
