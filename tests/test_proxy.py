"""`kore-contract proxy` (issue 13 item 1): an application's requests (real HTTP with
`requests`) through the proxy, in process, to the embedded mock or to a misbehaving server.

Each mock fault behind the proxy is reported under its own rule with the application's
requests as the only traffic: the same small script runs against the clean mock and the
faulty one, and the fault's rule is among the findings the fault added.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from hostile_servers import Handler, serving, url_of
from traffic_testing import KIND, App, body

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token, sign_claims
from kore_contract.contract.fixture import load_fixture
from kore_contract.mock.faults import FAULTS
from kore_contract.mock.server import MockServer, running_mock
from kore_contract.proxy.checker import TrafficChecker
from kore_contract.proxy.forward import HOP_BY_HOP, Upstream
from kore_contract.proxy.server import OFFLOAD_BYTES, ProxyServer, running_proxy
from kore_contract.run.client import Exchange

UNKNOWN_ID = "cd-00000000-0000-4000-8000-000000000000"


@dataclass
class Proxied:
    """A proxy in front of an upstream: its URL, lines printed, exchanges recorded."""

    proxy: ProxyServer
    checker: TrafficChecker
    mock: MockServer | None
    lines: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.proxy.base_url

    def app(self, **kwargs: Any) -> App:
        return App(self.url, **kwargs)

    def settle(self) -> None:
        """Wait until every exchange is checked (each is, just after its answer is sent)."""
        deadline = time.monotonic() + 10
        while self.proxy.app.in_flight and time.monotonic() < deadline:
            time.sleep(0.002)
        assert not self.proxy.app.in_flight, "the proxy did not finish its exchanges in 10 s"

    def rules(self) -> Counter[str]:
        """Findings by rule (each finding counts: a fault adds findings to a request
        that already broke its rule)."""
        self.settle()
        return Counter(f.rule for verdict in self.checker.verdicts for f in verdict.findings)


def checker_for(base_url: str, *, fixture: bool = True) -> TrafficChecker:
    return TrafficChecker(
        fixture=load_fixture(None) if fixture else None,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        base_url=base_url,
        target="mock",
    )


@contextlib.contextmanager
def proxied(
    upstream: str | None = None, *, fault: str | None = None, **options: Any
) -> Iterator[Proxied]:
    """The proxy in front of `upstream` (default: the embedded mock, with `fault`)."""
    with contextlib.ExitStack() as stack:
        mock = None
        if upstream is None:
            mock = stack.enter_context(running_mock(fault=fault))
            upstream = mock.base_url
        checker = checker_for(upstream)
        lines: list[str] = []
        exchanges: list[Exchange] = []
        proxy = stack.enter_context(
            running_proxy(
                upstream, checker, emit=lines.append, on_exchange=exchanges.append, **options
            )
        )
        seen = Proxied(proxy, checker, mock, lines, exchanges)
        yield seen
        seen.settle()
        proxy.check()


def stored(mock: MockServer | None) -> int:
    assert mock is not None
    return int(mock.store.count())


# --- the clean session ---------------------------------------------------------------------


def test_clean_lifecycle_through_the_proxy_has_no_finding() -> None:
    with proxied() as seen:
        app = seen.app()
        app.clean_session()
    verdicts = seen.checker.verdicts
    assert [v.verdict for v in verdicts] == ["ok"] * len(app.exchanges)
    assert [v.call for v in verdicts] == [
        "create", "get", "update", "get", "status", "start", "status", "get", "list",
        "stop", "status", "create", "list", "delete", "delete", "list",
    ]  # fmt: skip
    assert len(seen.lines) == len(app.exchanges)
    assert seen.lines[0] == "#0000 create 201 ok"
    assert seen.proxy.app.forwarded == len(app.exchanges)
    assert seen.checker.result().verdict == "pass"


def test_the_answer_is_the_upstreams_own() -> None:
    with proxied() as seen, running_mock() as direct:
        through = seen.app(account="acc-same").create(body(name="Same"))
        straight = App(direct.base_url, account="acc-same").create(body(name="Same"))
    assert through.status_code == straight.status_code == 201
    assert through.headers["content-type"] == straight.headers["content-type"]
    sent, got = through.json()["data"], straight.json()["data"]
    assert sent.keys() == got.keys()


def test_unknown_path_is_forwarded_and_said_not_in_the_contract() -> None:
    with proxied() as seen:
        answer = requests.get(seen.url + "/api/nothing/here?x=1", timeout=10)
    assert answer.status_code == 404  # the mock's own answer
    assert answer.json()["errors"][0]["rule"] == "S9"
    assert seen.lines == ["#0000 GET /api/nothing/here 404 not in the contract"]
    assert seen.proxy.app.forwarded == 1


# --- faults behind the proxy ------------------------------------------------------------------


def _data(answer: requests.Response) -> dict[str, Any]:
    try:
        content = answer.json()
    except ValueError:
        return {}
    data = content.get("data") if isinstance(content, dict) else None
    return data if isinstance(data, dict) else {}


def lifecycle(app: App) -> None:
    campaign_id = str(_data(app.create()).get("_id") or UNKNOWN_ID)
    app.get(campaign_id)
    app.delete(campaign_id)
    app.get(campaign_id)


def two_creates(app: App) -> None:
    for name in ("First", "Second"):
        app.get(str(_data(app.create(body(name=name))).get("_id") or UNKNOWN_ID))


def accented(app: App) -> None:
    app.create(body(name="ÉTÉ Campaña"))


def unknown_ids(app: App) -> None:
    app.get(UNKNOWN_ID)
    app.delete(UNKNOWN_ID)


def unsigned_token() -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part({'appId': DEFAULT_CLIENT_ID})}."


def bad_tokens(app: App) -> None:
    expired = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ttl=10, now=time.time() - 60)
    for token in (
        None,
        unsigned_token(),
        mint_token(DEFAULT_CLIENT_ID, "another-secret-entirely"),
        expired,
        sign_claims({"sub": "someone"}, DEFAULT_CLIENT_SECRET),
    ):
        headers = {k: v for k, v in app.headers.items() if k != "auth"}
        if token is not None:
            headers["auth"] = token
        app.create(headers=headers)


def bad_headers(app: App) -> None:
    app.create(headers={k: v for k, v in app.headers.items() if k != "iid"})
    app.send("POST", app.url("create", campaignType=KIND), body())
    app.create(data=json.dumps(body()), headers={**app.headers, "Content-Type": "text/plain"})


def bad_bodies(app: App) -> None:
    for sent in (
        body(priority="6"),
        body(contactLists=["No such list"]),
        body(message={"template_name": "No such template", "message": "SGk="}),
    ):
        app.create(sent)
    twice = (json.dumps(body())[:-1] + ', "name": "twice"}').encode()
    for raw in (twice, b"{not json"):
        app.create(data=raw)


def variants(app: App) -> None:
    for sent in (body("plain"), body("advanced"), body("advanced", priority=None)):
        app.get(str(_data(app.create(sent)).get("_id") or UNKNOWN_ID))
    app.create(body("advanced", experienceFlowName="No such flow"))


def transitions(app: App) -> None:
    first = str(_data(app.create(body(name="Started"))).get("_id") or UNKNOWN_ID)
    app.status(first)
    app.start(first)
    app.status(first)
    app.get(first)
    app.start(first)  # T4: already Active
    app.update(first, body(name="While active"))  # T5
    app.send(
        "POST",
        app.url("trigger", first, campaignType="voice", trigger="stop", accountId=app.account),
    )  # T6
    app.trigger(first, "STOP")  # T6
    app.stop(first)
    app.status(first)
    app.get(first)
    second = str(_data(app.create(body(name="Never started"))).get("_id") or UNKNOWN_ID)
    app.stop(second)  # T4: not Active
    app.start(second)
    app.delete(second)  # T5
    app.get(second)


def updates(app: App) -> None:
    campaign_id = str(_data(app.create()).get("_id") or UNKNOWN_ID)
    app.update(campaign_id, body(name="Renamed"))
    app.get(campaign_id)
    app.update(campaign_id, body(priority=5))  # U1
    app.get(campaign_id)


def deleted_ids(app: App) -> None:
    campaign_id = str(_data(app.create()).get("_id") or UNKNOWN_ID)
    app.delete(campaign_id)
    app.update(campaign_id, body())
    app.start(campaign_id)
    app.stop(campaign_id)
    app.status(campaign_id)


def lists(app: App) -> None:
    ids = [str(_data(app.create(body(name=n))).get("_id") or UNKNOWN_ID) for n in "CAB"]
    app.start(ids[0])
    app.stop(ids[0])
    for page in (1, 2):
        app.list({"type": KIND, "limit": 2, "page": page, "sortBy": {"name": "asc"}})
    app.list({"type": KIND, "filters": {"status": ["Stopped"]}})
    app.list({"type": KIND, "limit": 0})  # L1
    for campaign_id in ids:
        app.get(campaign_id)
    app.list({"type": KIND})


#: The application's requests that show a fault, by fault (the lifecycle for the others).
SCRIPTS: dict[str, Callable[[App], None]] = {
    **{name: bad_tokens for name in FAULTS if name.startswith("A2-")},
    "S11-secret-in-error": bad_tokens,
    **{name: bad_headers for name in FAULTS if name.startswith("A3-")},
    **{
        name: bad_bodies
        for name in FAULTS
        if name.startswith(("S9-accept-", "S9-error-", "S9-500-on-malformed"))
    },
    **{name: variants for name in FAULTS if name.startswith("C4-")},
    "S9-accept-unknown-experience-flow": variants,
    **{name: transitions for name in FAULTS if name.startswith(("T2-", "T3-", "T4-", "T5-"))},
    **{name: transitions for name in FAULTS if name.startswith(("T6-", "Q1-"))},
    **{name: updates for name in FAULTS if name.startswith(("U1-", "U2-"))},
    **{name: deleted_ids for name in FAULTS if name.startswith("U3-")},
    **{name: lists for name in FAULTS if name.startswith(("L1-", "L2-", "L3-"))},
    "S2-duplicate-id": two_creates,
    "S4-lname-ascii-lower": accented,
}
_CLEAN: dict[str, Counter[str]] = {}


def findings_of(script: Callable[[App], None], fault: str | None) -> Counter[str]:
    with proxied(fault=fault) as seen:
        script(seen.app())
        return seen.rules()


@pytest.mark.parametrize("fault", sorted(FAULTS), ids=str)
def test_fault_behind_the_proxy_is_reported_under_its_rule(fault: str) -> None:
    script = SCRIPTS.get(fault, lifecycle)
    if script.__name__ not in _CLEAN:
        _CLEAN[script.__name__] = findings_of(script, None)
    added = findings_of(script, fault) - _CLEAN[script.__name__]
    assert FAULTS[fault].rule in added, (script.__name__, dict(added))


def test_clean_mock_scripts_find_only_the_applications_own_bad_requests() -> None:
    assert findings_of(lifecycle, None) == Counter()
    assert findings_of(two_creates, None) == Counter()
    # the bad requests are the application's: each reported under the rule it breaks
    assert set(findings_of(bad_tokens, None)) == {"A2"}
    assert set(findings_of(bad_headers, None)) == {"A3"}


# --- --enforce -----------------------------------------------------------------------------


def test_R7_enforce_refuses_a_bad_create_with_the_mocks_error_body_and_forwards_nothing() -> None:
    with proxied(enforce=True) as seen:
        answer = seen.app().create(body(priority="6"))
        assert stored(seen.mock) == 0
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert {e["rule"] for e in errors} == {"R7"}
    assert errors[0]["pointer"] == "/priority" and errors[0]["code"] == 400
    assert seen.proxy.app.forwarded == 0
    assert seen.lines == [
        "#0000 create 400 violations R7 (refused by the proxy (--enforce), not forwarded)"
    ]


def test_R7_without_enforce_the_bad_create_reaches_the_upstream() -> None:
    with proxied() as seen:
        answer = seen.app().create(body(priority="6"))
    assert answer.status_code == 400
    assert seen.proxy.app.forwarded == 1
    assert seen.lines == ["#0000 create 400 violations R7"]


def test_A2_enforce_refuses_a_bad_token_401_and_lets_a_good_create_through() -> None:
    with proxied(enforce=True) as seen:
        app = seen.app()
        refused = app.create(headers={**app.headers, "auth": unsigned_token()})
        accepted = app.create()
        assert stored(seen.mock) == 1
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["rule"] == "A2"
    assert accepted.status_code == 201
    assert seen.proxy.app.forwarded == 1


# --- the forwarding itself -----------------------------------------------------------------


def echo(handler: Handler) -> None:
    seen = handler.server.seen[-1]
    handler.answer(
        200,
        {
            "method": seen["method"],
            "path": seen["path"],
            "headers": {k.lower(): v for k, v in seen["headers"].items()},
            "body": seen["body"].decode("latin-1"),
        },
        {"X-Upstream": "yes", "Keep-Alive": "timeout=5", "Set-Cookie": "a=1"},
    )


def test_method_path_query_headers_and_body_are_forwarded_unchanged_but_hop_by_hop() -> None:
    sent = b'{"name": "x",  "weird":"\\u00e9"}'
    with serving(echo) as upstream, proxied(url_of(upstream)) as seen:
        answer = requests.put(
            seen.url + "/a//b/%2Fc%20?q=1&q=2&e=",
            data=sent,
            headers={
                "X-Custom": "kept",
                "Connection": "keep-alive, X-Hop",
                "X-Hop": "dropped",
                "Keep-Alive": "timeout=5",
                "Proxy-Authorization": "Basic abc",
                "Content-Type": "application/json",
            },
            timeout=10,
        )
    echoed = answer.json()
    assert echoed["method"] == "PUT"
    assert echoed["path"] == "/a//b/%2Fc%20?q=1&q=2&e="
    assert echoed["body"].encode("latin-1") == sent
    headers = echoed["headers"]
    assert headers["host"] == Upstream.parse(url_of(upstream)).netloc
    assert headers["x-custom"] == "kept" and headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(sent))
    assert not {"x-hop", "keep-alive", "proxy-authorization"} & set(headers)
    assert "user-agent" in headers  # the client's own, not aiohttp's
    assert headers["user-agent"].startswith("python-requests")
    assert answer.headers["x-upstream"] == "yes" and answer.headers["set-cookie"] == "a=1"
    assert "keep-alive" not in {k.lower() for k in answer.headers if k.lower() in HOP_BY_HOP}


def test_large_request_body_streams_through_unchecked() -> None:
    big = b'{"name": "' + b"x" * 3000 + b'"}'
    with (
        serving(echo) as upstream,
        proxied(url_of(upstream), max_request_checked=1000) as seen,
    ):
        answer = requests.post(
            seen.url + "/big", data=big, headers={"Content-Type": "application/json"}, timeout=10
        )
    assert answer.status_code == 200
    assert answer.json()["body"].encode("latin-1") == big
    assert answer.json()["headers"]["content-length"] == str(len(big))
    assert seen.lines == ["#0000 POST /big 200 not in the contract"]


def test_large_chunked_create_streams_through_unchecked() -> None:
    sent = json.dumps(body(description="d" * 200)).encode()
    assert len(sent) > 1000
    with proxied(max_request_checked=1000) as seen:
        app = seen.app()
        url = app.url("create", accountId=app.account, campaignType=KIND)
        answer = requests.post(
            url, data=iter([sent[:600], sent[600:]]), headers=app.headers, timeout=10
        )
        assert stored(seen.mock) == 1  # the mock read the whole chunked body
    assert answer.status_code == 201
    assert seen.lines == [
        "#0000 create 201 error (not checked: too large (request body over 1,000 bytes))"
    ]


def test_too_large_answer_streams_through_and_is_not_checked() -> None:
    payload = json.dumps({"data": "y" * 5000}).encode()

    def large(handler: Handler) -> None:
        handler.answer(201, payload)

    with serving(large) as upstream, proxied(url_of(upstream), max_answer_checked=1000) as seen:
        app = seen.app()
        answer = app.create()
    assert answer.status_code == 201 and answer.content == payload
    assert seen.lines == [
        "#0000 create 201 error (not checked: too large (answer over 1,000 bytes))"
    ]


def test_doubled_slash_of_the_stop_page_reaches_the_mock_as_sent_D14() -> None:
    with proxied() as seen:
        app = seen.app()
        campaign_id = app.created_id()
        app.start(campaign_id)
        doubled = app.url("trigger", campaign_id, campaignType=KIND, trigger="stop")
        doubled = doubled.replace("/campaign/", "/campaign//", 1)
        answer = app.send("POST", doubled + f"&accountId={app.account}")
    assert answer.status_code == 200, answer.text
    assert seen.lines[-1] == "#0002 stop 200 ok"


# --- the upstream failing -----------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_dead_upstream_is_a_502_naming_the_problem() -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    with proxied(dead, timeout=5) as seen:
        answer = seen.app().create()
    assert answer.status_code == 502
    error = answer.json()["errors"][0]
    assert error["code"] == 502 and error["rule"] == "proxy"
    assert error["msg"].startswith(f"upstream {dead}: cannot connect")
    assert seen.lines[0].startswith("#0000 create --- error (upstream ")
    assert seen.lines[0].endswith("(answered 502 by the proxy)")


def stall(handler: Handler) -> None:
    handler.server.stopping.wait(30)


def stall_mid_body(handler: Handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    handler.wfile.write(b'{"status": ')
    handler.wfile.flush()
    handler.server.stopping.wait(30)


@pytest.mark.parametrize(
    ("respond", "problem"),
    [(stall, "no answer within 0.5 s"), (stall_mid_body, "answer not complete within 0.5 s")],
    ids=["no-answer", "answer-stops"],
)
def test_stalling_upstream_is_a_502_within_the_timeout(
    respond: Callable[[Handler], None], problem: str
) -> None:
    with serving(respond) as upstream, proxied(url_of(upstream), timeout=0.5) as seen:
        answer = seen.app().get(UNKNOWN_ID)
    assert answer.status_code == 502
    assert answer.json()["errors"][0]["msg"] == f"upstream {url_of(upstream)}: {problem}"
    assert seen.lines[0].startswith("#0000 get --- error")


# --- no open proxy ------------------------------------------------------------------------


def raw_request(url: str, head: bytes) -> tuple[int, dict[str, Any]]:
    """Send a raw request head; the status and JSON body of the answer."""
    host, port = Upstream.parse(url).host, Upstream.parse(url).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head)
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, json.loads(data.split(b"\r\n\r\n", 1)[1])


@pytest.mark.parametrize(
    "head",
    [
        b"GET /campaign HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        b"GET /campaign HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n",
        b"GET http://evil.example/campaign HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        b"GET http://evil.example/campaign HTTP/1.1\r\nHost: {own}\r\n\r\n",
        b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
        b"GET /campaign HTTP/1.1\r\nHost: {own}\r\nHost: evil.example\r\n\r\n",
    ],
    ids=["host", "host-other-port", "absolute", "absolute-own-host", "connect", "two-hosts"],
)
def test_a_request_naming_another_host_is_refused_400_and_never_forwarded(head: bytes) -> None:
    with serving(echo) as upstream, proxied(url_of(upstream)) as seen:
        own = Upstream.parse(seen.url).netloc.encode()
        status, answer = raw_request(seen.url, head.replace(b"{own}", own))
        assert upstream.seen == []
    assert status == 400
    # CONNECT is refused by the HTTP layer already (the mock's: malformed for it)
    assert answer["errors"][0]["rule"] == ("S9" if head.startswith(b"CONNECT") else "proxy")
    assert seen.proxy.app.forwarded == 0
    assert seen.lines[0].startswith("refused 400 ")


@pytest.mark.parametrize("name", ["own", "localhost", "upstream", "absolute-upstream"])
def test_a_request_naming_the_proxy_or_its_upstream_is_forwarded(name: str) -> None:
    with serving(echo) as upstream, proxied(url_of(upstream)) as seen:
        proxy, target = Upstream.parse(seen.url), Upstream.parse(url_of(upstream))
        host = {
            "own": proxy.netloc,
            "localhost": f"localhost:{proxy.port}",
            "upstream": target.netloc,
            "absolute-upstream": target.netloc,
        }[name]
        path = f"http://{target.netloc}/p" if name.startswith("absolute") else "/p"
        status, answer = raw_request(
            seen.url, f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        )
    assert status == 200
    assert answer["path"] == "/p"
    assert answer["headers"]["host"] == target.netloc


# --- secrets -------------------------------------------------------------------------------


def test_S11_the_token_never_appears_in_the_lines() -> None:
    token = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    with proxied() as seen:
        app = seen.app(token=token)
        app.send("GET", seen.url + f"/leak/{token}?auth={token}")
        app.get(token)
    text = "\n".join(seen.lines)
    assert token not in text and token.rsplit(".", 1)[1] not in text
    assert DEFAULT_CLIENT_SECRET not in text


def test_concurrent_clients_each_get_their_own_answer() -> None:
    with proxied() as seen:
        answers: list[int] = []

        def client(n: int) -> None:
            app = seen.app(account=f"acc-thread-{n}")
            for _ in range(5):
                answers.append(app.get(app.created_id(body(name=f"T{n}"))).status_code)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == [200] * 30
    assert {v.verdict for v in seen.checker.verdicts} == {"ok"}


def raw_create(seen: Proxied) -> requests.Response:
    """A create whose answer is left undecoded (`answer.raw`)."""
    app = seen.app()
    url = app.url("create", accountId=app.account, campaignType=KIND)
    return requests.post(url, json=body(), headers=app.headers, stream=True, timeout=10)


def test_a_gzip_answer_reaches_the_client_as_sent_and_is_checked_decoded() -> None:
    with running_mock() as mock:
        straight = App(mock.base_url).create()
    plain = straight.content
    packed = gzip.compress(plain)

    def gzipped(handler: Handler) -> None:
        handler.answer(201, packed, {"Content-Encoding": "gzip"})

    with serving(gzipped) as upstream, proxied(url_of(upstream)) as seen:
        answer = raw_create(seen)
        raw = answer.raw.read(decode_content=False)
    assert raw == packed
    assert answer.headers["content-encoding"] == "gzip"
    assert seen.exchanges[0].response_text == plain.decode()
    assert seen.lines == ["#0000 create 201 ok"]


@pytest.mark.parametrize(
    ("encoding", "problem"),
    [("zstd", "Content-Encoding 'zstd' is not one the proxy decodes"),
     ("gzip", "Content-Encoding gzip: cannot decode (error)")],
)  # fmt: skip
def test_an_answer_the_proxy_cannot_decode_is_forwarded_and_not_checked(
    encoding: str, problem: str
) -> None:
    def encoded(handler: Handler) -> None:
        handler.answer(201, b"\x00\x01 not what it says", {"Content-Encoding": encoding})

    with serving(encoded) as upstream, proxied(url_of(upstream)) as seen:
        answer = raw_create(seen)
        assert answer.raw.read(decode_content=False) == b"\x00\x01 not what it says"
    assert seen.lines == [f"#0000 create 201 error (not checked: {problem})"]


def test_head_keeps_the_upstreams_content_length(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Handler, "do_HEAD", Handler.handle_one, raising=False)

    def sized(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1234")
        handler.end_headers()

    with serving(sized) as upstream, proxied(url_of(upstream)) as seen:
        answer = requests.head(seen.url + "/thing", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-length"] == "1234"


def test_enforce_refuses_a_contract_body_too_large_to_check_413() -> None:
    with proxied(enforce=True, max_request_checked=1000) as seen:
        app = seen.app()
        answer = app.create(body(description="d" * 2000))
        assert stored(seen.mock) == 0
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["msg"].startswith("--enforce: a create body over 1,000")
    assert seen.proxy.app.forwarded == 0


def test_a_body_over_the_offload_size_is_checked_off_the_loop_like_any_other() -> None:
    sent = body(description="d" * (OFFLOAD_BYTES + 100))
    with proxied() as seen, running_mock() as direct:
        answer = seen.app().create(sent)
        straight = App(direct.base_url).create(sent)
    assert answer.status_code == straight.status_code
    verdict = seen.checker.verdicts[0]
    assert verdict.call == "create" and verdict.status == answer.status_code
    refused = {e["rule"] for e in straight.json().get("errors", [])}
    assert set(verdict.rules) == refused  # the proxy reads the body as the mock does


def test_a_failing_check_never_stops_the_traffic(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in the checks")

    with proxied() as seen:
        monkeypatch.setattr(seen.checker, "check_request", broken)
        monkeypatch.setattr(seen.checker, "check_exchange", broken)
        answer = seen.app().create()
        seen.settle()
        errors = list(seen.proxy.app.errors)
        seen.proxy.app.errors.clear()  # seen; the block's check() would re-raise them
    assert answer.status_code == 201  # forwarded unchecked
    assert [str(e) for e in errors] == ["a bug in the checks", "a bug in the checks"]
    assert seen.lines[0].startswith("proxy: unexpected error checking a request: RuntimeError")
    assert seen.lines[-1] == "create 201 error (not checked: the check failed)"
