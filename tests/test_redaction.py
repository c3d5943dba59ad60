"""S11: every secret of a run (the client secret, each token it mints) stays out of what it writes.

Issue 10 item 3: the A2 probe tokens were not on the redaction list, and the JWT-shaped
pattern began with a word boundary, so `token%3DeyJ...` or `_eyJ...` passed through.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import quote

from hostile_servers import Handler, serving, url_of

from kore_contract.cli import run as cli_run
from kore_contract.redaction import (
    REDACTED,
    RunSecrets,
    redact,
    redact_bytes,
    redact_text,
    secret_bytes,
)

SECRET = "hostile-echo-client-secret/+=%"
CLIENT_ID = "hostile-echo-client"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImNsaWVudCJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"


def run_line(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_run(args, out, err)
    return code, out.getvalue(), err.getvalue()


def echo_auth(handler: Handler) -> None:
    """Refuse everything, echoing the auth header raw, URL-encoded and glued to a word."""
    token = handler.headers.get("auth") or ""
    encoded = quote(token, safe="")
    handler.answer(
        401,
        {
            "error": f"bad token {token}",
            "link": f"https://x/?token%3D{encoded}",
            "ref": f"_{token}",
            "escaped": json.dumps({"auth": token}),
        },
        headers={"X-Echo": f"token%3D{encoded}", "X-Ref": f"_{token}"},
    )


def test_a2_probe_tokens_are_redacted(tmp_path: Path) -> None:
    with serving(echo_auth) as server:
        code, out, err = run_line(
            [
                "test",
                "--base-url",
                url_of(server),
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                SECRET,
                "--report-dir",
                str(tmp_path),
                "--max-examples",
                "1",
                "--no-fuzz",
                "--timeout",
                "5",
            ]
        )
        tokens = {seen["headers"].get("auth") for seen in server.seen} - {None, "not-a-jwt"}
    assert code == 1, out + err
    assert len(tokens) >= 7, tokens  # the run's token and six A2 probes at least
    written = {path.name: path.read_text("utf-8") for path in tmp_path.iterdir()}
    assert {"results.json", "report.html", "report.md", "junit.xml"} <= set(written)
    written["stdout+stderr"] = out + err
    for name, text in written.items():
        for secret in (*tokens, SECRET, quote(SECRET, safe="")):
            assert secret not in text, (name, secret)
            signature = secret.rsplit(".", 1)[-1]
            assert len(signature) < 8 or signature not in text, (name, secret)
    assert "S11" in {
        row["id"]
        for row in json.loads(written["results.json"])["rules"]
        if row["status"] == "failed"
    }


def test_jwt_shape_is_redacted_without_a_word_boundary() -> None:
    for glued in (f"token%3D{JWT}", f"_{JWT}", f"x={JWT}", f"ab{JWT}cd"):
        assert JWT not in redact_text(glued), glued
        assert REDACTED in redact_text(glued)


def test_ordinary_words_with_eyj_are_left_alone() -> None:
    assert redact_text("heyJoe.example.com") == "heyJoe.example.com"


def test_known_secrets_are_redacted_percent_encoded_and_json_escaped() -> None:
    secret = 'sec"ret/+= \\é'
    registry = RunSecrets([secret])
    for form in (
        secret,
        quote(secret, safe=""),
        quote(secret, safe="").lower(),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    ):
        assert redact(f"<{form}>", registry) == f"<{REDACTED}>", form


def test_minted_tokens_join_the_registry_as_they_are_minted() -> None:
    from kore_contract.run.client import Target
    from kore_contract.run.planning import auth_cases

    registry = RunSecrets()
    target = Target("http://127.0.0.1:1", "st", "acc", "app", JWT)
    cases = auth_cases(target, {"name": "x"}, CLIENT_ID, SECRET, secrets=registry)
    sent = {case.headers["auth"] for case in cases if case.headers and "auth" in case.headers}
    assert sent - {"not-a-jwt"} <= set(registry)
    assert len(sent - {"not-a-jwt"}) == 6  # wrong secret, alg none and four with the secret


def test_S11_redact_bytes_replaces_known_secrets_in_an_encoded_answer() -> None:
    """The byte-level form the mock uses on the answers it has already encoded."""
    token = "tok\xe9n-12345"  # as a header decodes it (latin-1)
    secret = "s\u00e9cret-of-the-app"
    body = ('{"a":"' + secret + '","b":"').encode() + token.encode("latin-1") + b'"}'
    found = redact_bytes(body, [secret_bytes(token, "latin-1"), secret_bytes(secret), None])
    assert found == b'{"a":"[redacted]","b":"[redacted]"}'
    assert secret_bytes("short") is None and secret_bytes(None) is None
    assert redact_bytes(b"a short x", [secret_bytes("x")]) == b"a short x"


def test_S11_redact_bytes_leaves_what_is_only_shaped_like_a_token() -> None:
    """An answer echoes the client's data (S3): only known secrets go, not JWT shapes."""
    assert redact_bytes(JWT.encode(), [secret_bytes(SECRET)]) == JWT.encode()
