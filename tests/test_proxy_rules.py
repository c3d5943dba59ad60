"""The proxy's own rules over their whole space (Hypothesis), without a server: which
hosts a request may name (no open proxy), which headers go on (hop-by-hop never), and
decoding a compressed answer within its bound."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kore_contract.proxy.forward import (
    HOP_BY_HOP,
    Upstream,
    decoded,
    forwarded_request_headers,
    forwarded_response_headers,
)
from kore_contract.proxy.server import HostGuard, own_names

UPSTREAM = Upstream.parse("https://platform.kore.ai")
GUARD = HostGuard(own_names("127.0.0.1"), 8080, UPSTREAM)
ALLOWED = ("127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", "[::1]:8080",
           "platform.kore.ai:443", "Platform.Kore.AI:443")  # fmt: skip

labels = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\Z")
hostnames = st.lists(labels, min_size=1, max_size=4).map(".".join)
ports = st.integers(min_value=1, max_value=65535)


@given(hostnames, ports)
def test_a_host_that_is_neither_the_proxy_nor_the_upstream_is_refused(host: str, port: int) -> None:
    own = host in ("localhost", "127.0.0.1") and port == 8080
    upstream = host == "platform.kore.ai" and port == 443
    problem = GUARD.problem("GET", b"/campaign", f"{host}:{port}")
    assert (problem is None) == (own or upstream)
    absolute = GUARD.problem("GET", f"http://{host}:{port}/x".encode(), "127.0.0.1:8080")
    assert (absolute is None) == (own or upstream)


@given(st.text(max_size=60))
def test_any_host_header_text_is_judged_without_error(text: str) -> None:
    problem = GUARD.problem("GET", b"/", text)
    assert problem is None or "no open proxy" in problem


@pytest.mark.parametrize("host", ALLOWED)
def test_the_proxys_own_names_and_the_upstream_are_allowed(host: str) -> None:
    assert GUARD.problem("GET", b"/x", host) is None


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8081", "127.0.0.2:8080", "platform.kore.ai:80", "platform.kore.ai",
             "user@127.0.0.1:8080", "127.0.0.1:8080/x", "", "[::1]:80"],
)  # fmt: skip
def test_near_misses_are_refused(host: str) -> None:
    assert GUARD.problem("GET", b"/x", host) is not None


header_names = st.sampled_from(
    [*sorted(HOP_BY_HOP), "host", "content-length", "auth", "iid", "accountId", "X-Custom",
     "Content-Type", "Connection", "User-Agent"]
)  # fmt: skip
header_values = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=20)


@given(st.lists(st.tuples(header_names, header_values), max_size=12))
def test_hop_by_hop_headers_never_go_on_and_every_other_one_does(
    headers: list[tuple[str, str]],
) -> None:
    sent = forwarded_request_headers(headers, UPSTREAM)
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    dropped = HOP_BY_HOP | named | {"host", "content-length"}
    assert sent[0] == ("Host", "platform.kore.ai")
    assert sent[1:] == [(n, v) for n, v in headers if n.lower() not in dropped]
    answer = forwarded_response_headers(
        [(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers], keep_length=True
    )
    assert {n.decode("latin-1") for n, _ in answer}.isdisjoint(HOP_BY_HOP | named)


@given(st.binary(max_size=2000))
def test_gzip_and_deflate_answers_decode_to_what_was_compressed(data: bytes) -> None:
    assert decoded(gzip.compress(data), "gzip", 4096) == data
    assert decoded(zlib.compress(data), "deflate", 4096) == data
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decoded(raw.compress(data) + raw.flush(), "deflate", 4096) == data
    assert decoded(data, None, 4096) == data


def test_a_compressed_answer_over_the_bound_is_not_decoded_whole() -> None:
    bomb = gzip.compress(b"0" * 10_000_000)
    assert (
        decoded(bomb, "gzip", 8 * 1024 * 1024) == "answer over 8,388,608 bytes once decoded (gzip)"
    )


def test_on_a_wildcard_address_any_address_of_this_machine_is_the_proxys_own() -> None:
    guard = HostGuard(own_names("0.0.0.0"), 8080, UPSTREAM, wildcard=True)
    assert guard.problem("GET", b"/", "127.0.0.2:8080") is None  # all of 127/8 is local
    assert guard.problem("GET", b"/", "127.0.0.2:8081") is not None
    assert guard.problem("GET", b"/", "192.0.2.1:8080") is not None  # TEST-NET-1: not ours
    assert guard.problem("GET", b"/", "evil.example:8080") is not None
    loopback_only = HostGuard(own_names("127.0.0.1"), 8080, UPSTREAM)
    assert loopback_only.problem("GET", b"/", "127.0.0.2:8080") is not None
