"""Issue 13 item 2: recorded traffic read (proxy/recorded.py) and written (proxy/har.py).

HAR 1.2 and JSON Lines of exchanges; bad input: truncated, not JSON, a huge file streamed
(never whole in memory), an entry over the size bound, non-UTF-8 bytes, base64 bodies,
binary content, entries that are not exchanges. What HarWriter writes reads back as the
same exchanges (the secrets redacted) with the same verdicts.
"""

from __future__ import annotations

import base64
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from traffic_testing import TOKEN, App, har_document, har_entry, write_har

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from kore_contract.contract.loader import Unreadable
from kore_contract.mock.server import MockServer, running_mock
from kore_contract.proxy import recorded
from kore_contract.proxy.checker import TrafficChecker
from kore_contract.proxy.har import HarWriter
from kore_contract.proxy.recorded import read_traffic
from kore_contract.redaction import REDACTED, RunSecrets
from kore_contract.run.client import Exchange


@pytest.fixture(scope="module")
def mock() -> Any:
    with running_mock() as server:
        yield server


@pytest.fixture(scope="module")
def session(mock: MockServer) -> list[Exchange]:
    app = App(mock.base_url)
    app.clean_session()
    app.send("GET", mock.base_url + "/favicon.ico")
    return app.exchanges


def read(path: Path) -> list[tuple[int, Exchange | Unreadable]]:
    return list(read_traffic(path))


def same(a: Exchange, b: Exchange) -> bool:
    keys = ("method", "url", "headers", "body", "status", "response_headers", "response_text")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def judged(exchanges: list[Any]) -> list[tuple[Any, ...]]:
    checker = TrafficChecker(client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    return [
        (v.call, v.status, v.verdict, tuple(f.rule for f in v.findings))
        for v in map(checker.check_exchange, exchanges)
    ]


# --- HAR -------------------------------------------------------------------------------------


def test_a_HAR_reads_back_as_the_exchanges_recorded(
    session: list[Exchange], tmp_path: Path
) -> None:
    found = read(write_har(tmp_path / "s.har", session))
    assert [index for index, _ in found] == list(range(len(session)))
    assert all(same(item, exchange) for (_, item), exchange in zip(found, session, strict=True))


def test_base64_bodies_are_decoded(session: list[Exchange], tmp_path: Path) -> None:
    found = read(write_har(tmp_path / "b64.har", session, base64_bodies=True))
    assert all(same(item, exchange) for (_, item), exchange in zip(found, session, strict=True))


def test_an_indented_HAR_with_a_byte_order_mark_is_read(
    session: list[Exchange], tmp_path: Path
) -> None:
    path = tmp_path / "indented.har"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(har_document(session), indent=2).encode())
    assert len([i for i in read(path) if isinstance(i[1], Exchange)]) == len(session)


def test_a_truncated_HAR_yields_every_entry_before_the_cut_then_says_where(
    session: list[Exchange], tmp_path: Path
) -> None:
    text = json.dumps(har_document(session))
    cut = text.index('{"startedDateTime"', text.index('"entries"') + 200)  # the 2nd or later
    path = tmp_path / "cut.har"
    path.write_text(text[: cut + 150])
    found = read(path)
    *whole, (index, last) = found
    assert whole and all(isinstance(item, Exchange) for _, item in whole)
    assert isinstance(last, Unreadable) and index == len(whole)
    assert "truncated" in last.reason and f"entry {index}" in last.reason


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "the file is empty"),
        (b"{oops", "not JSON"),
        (b"<html>not json</html>", "not JSON"),
        (b'{"log": {"version": "1.2"}}', "no log.entries"),
        (b"[1, 2, 3]", "not an object"),
    ],
    ids=["empty", "broken-json", "html", "no-entries", "array"],
)
def test_a_file_with_nothing_readable_is_one_unreadable_item(
    content: bytes, why: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.har"
    path.write_bytes(content)
    found = read(path)
    assert all(isinstance(item, Unreadable) for _, item in found)
    assert found and any(why in item.reason for _, item in found), found  # type: ignore[union-attr]


def test_entries_that_are_not_exchanges_are_unreadable_each_with_its_index(
    session: list[Exchange], tmp_path: Path
) -> None:
    good = har_entry(session[0])
    no_url = json.loads(json.dumps(good))
    del no_url["request"]["url"]
    odd_encoding = json.loads(json.dumps(good))
    odd_encoding["response"]["content"]["encoding"] = "gzip"
    document = {"log": {"entries": [good, 42, no_url, {"x": 1}, odd_encoding, good]}}
    path = tmp_path / "mixed.har"
    path.write_text(json.dumps(document))
    found = read(path)
    assert [type(item).__name__ for _, item in found] == [
        "Exchange",
        "Unreadable",
        "Unreadable",
        "Unreadable",
        "Unreadable",
        "Exchange",
    ]
    assert [index for index, _ in found] == list(range(6))
    reasons = [item.reason for _, item in found if isinstance(item, Unreadable)]
    assert reasons == [
        "entry 1: not an object",
        "entry 2: request.method or request.url missing",
        "entry 3: no request object",
        "entry 4: response.content: encoding 'gzip'; only base64 is read",
    ]


def test_raw_non_UTF8_bytes_in_a_HAR_are_read_as_replacement_characters(
    session: list[Exchange], tmp_path: Path
) -> None:
    document = har_document(session[:2])
    text = json.dumps(document, ensure_ascii=False)
    marker = document["log"]["entries"][0]["response"]["content"]["text"][:20]
    raw = text.encode().replace(json.dumps(marker)[1:-1].encode(), b"\xff\xfe" + b"x" * 18, 1)
    path = tmp_path / "latin.har"
    path.write_bytes(raw)
    found = read(path)
    assert [type(item).__name__ for _, item in found] == ["Exchange", "Exchange"]
    first = found[0][1]
    assert isinstance(first, Exchange) and first.response_text.startswith("\ufffd\ufffd")


def test_binary_content_and_no_answer_are_exchanges(
    session: list[Exchange], tmp_path: Path
) -> None:
    image = har_entry(session[-1])
    image["response"]["content"] = {
        "mimeType": "image/png",
        "text": base64.b64encode(bytes(range(256))).decode(),
        "encoding": "base64",
    }
    aborted = har_entry(session[0])
    aborted["response"] = {"status": 0, "headers": [], "content": {}, "_error": "net::ERR_ABORTED"}
    path = tmp_path / "binary.har"
    path.write_text(json.dumps({"log": {"entries": [image, aborted]}}))
    (_, png), (_, lost) = read(path)
    assert isinstance(png, Exchange) and len(png.response_text) == 256  # each byte one character
    assert isinstance(lost, Exchange) and (lost.status, lost.error) == (None, "net::ERR_ABORTED")
    assert [v[2] for v in judged([png, lost])] == ["not in the contract", "error"]


def test_an_answer_whose_body_is_not_in_the_recording_is_not_judged(
    session: list[Exchange], tmp_path: Path
) -> None:
    """Playwright's record_har_content "attach" (a `_file`) or "omit" (a size, no text): the
    request is still judged, the answer is an error verdict, never an empty body's S1."""
    attached, omitted = har_entry(session[0]), har_entry(session[0])
    attached["response"]["content"] = {"size": 900, "mimeType": "application/json", "_file": "a"}
    omitted["response"]["content"] = {"size": 900, "mimeType": "application/json"}
    empty = har_entry(session[0])
    empty["response"]["content"] = {"size": 0, "mimeType": "application/json"}
    path = tmp_path / "attached.har"
    path.write_text(json.dumps({"log": {"entries": [attached, omitted, empty]}}))
    found = [item for _, item in read(path)]
    assert [getattr(item, "error", None) is not None for item in found] == [True, True, False]
    assert [v[2] for v in judged(found)] == ["error", "error", "violations"]


def test_a_request_whose_body_is_not_in_the_recording_is_unreadable(
    session: list[Exchange], tmp_path: Path
) -> None:
    unsaved = har_entry(session[0])
    del unsaved["request"]["postData"]
    assert unsaved["request"]["bodySize"] > 0
    path = tmp_path / "unsaved.har"
    path.write_text(json.dumps({"log": {"entries": [unsaved, har_entry(session[1])]}}))
    (_, first), (_, second) = read(path)
    assert isinstance(first, Unreadable) and "is not in the recording" in first.reason
    assert isinstance(second, Exchange) and second.body is None  # a get: no body, bodySize -1


def test_an_entry_over_the_size_bound_is_skipped_and_the_next_one_read(
    session: list[Exchange], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read fast (ijson's C builder) until an entry is over the bound; then read again
    event by event, skip that one entry unbuilt, and read those after it."""
    monkeypatch.setattr(recorded, "MAX_ENTRY_BYTES", 100_000)
    big = har_entry(session[0])
    big["response"]["content"]["text"] = "x" * 3_000_000  # over the bound and the read-ahead
    entries = [har_entry(session[0])] * 50 + [big] + [har_entry(session[1])] * 2
    path = tmp_path / "big.har"
    path.write_text(json.dumps({"log": {"entries": entries}}))
    found = read(path)
    assert [index for index, _ in found] == list(range(53))
    assert [n for n, (_, item) in enumerate(found) if isinstance(item, Unreadable)] == [50]
    assert "entry 50: larger than" in found[50][1].reason  # type: ignore[union-attr]
    assert all(same(item, session[1]) for _, item in found[51:])  # type: ignore[arg-type]


def test_a_large_HAR_is_streamed_not_read_whole(session: list[Exchange], tmp_path: Path) -> None:
    """About 16 MB of entries; the reader's peak memory stays a small fraction of it (a 1 GB
    HAR is read the same way: tests/benchmarks/bench_traffic.py)."""
    entry = json.dumps(har_entry(session[0]))
    path = tmp_path / "large.har"
    count = 0
    with path.open("w") as out:
        out.write('{"log": {"version": "1.2", "entries": [')
        while out.tell() < 16 * 1024 * 1024:
            out.write(("," if count else "") + entry)
            count += 1
        out.write("]}}")
    tracemalloc.start()
    try:
        seen = sum(1 for _, item in read_traffic(path) if isinstance(item, Exchange))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    assert peak < 4 * 1024 * 1024, peak


# --- JSON Lines ------------------------------------------------------------------------------


def as_line(exchange: Exchange) -> dict[str, Any]:
    return {
        "request": {
            "method": exchange.method,
            "url": exchange.url,
            "headers": exchange.headers,
            "body": None if exchange.body is None else exchange.body.decode(),
        },
        "response": {
            "status": exchange.status,
            "headers": exchange.response_headers,
            "body": exchange.response_text,
        },
    }


def test_JSON_lines_of_exchanges_and_of_HAR_entries_are_read_with_line_numbers(
    session: list[Exchange], tmp_path: Path
) -> None:
    lines = [json.dumps(as_line(session[0])), "", json.dumps(har_entry(session[1]))]
    as_json = as_line(session[2])
    as_json["response"]["body"] = json.loads(session[2].response_text)  # a JSON value
    lines += [json.dumps(as_json), "not json", json.dumps({"request": "x"}), "[1]"]
    binary = as_line(session[0])
    binary["request"]["body"] = {"base64": base64.b64encode(b"\x00\xff").decode()}
    lines.append(json.dumps(binary))
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(lines) + "\n")
    found = read(path)
    assert [index for index, _ in found] == [1, 3, 4, 5, 6, 7, 8]
    assert same(found[0][1], session[0]) and same(found[1][1], session[1])  # type: ignore[arg-type]
    third = found[2][1]
    assert isinstance(third, Exchange)
    assert third.response_json == json.loads(session[2].response_text)
    assert [item.reason for _, item in found[3:6]] == [  # type: ignore[union-attr]
        "line 5: not JSON (Expecting value: line 1 column 1 (char 0))",
        "line 6: no request object",
        "line 7: not an object",
    ]
    last = found[6][1]
    assert isinstance(last, Exchange) and last.body == b"\x00\xff"


def test_a_JSON_line_over_the_size_bound_is_skipped(
    session: list[Exchange], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorded, "MAX_ENTRY_BYTES", 1000)
    monkeypatch.setattr(recorded, "_CHUNK", 100)
    long = as_line(session[0])
    long["response"]["body"] = "y" * 5000
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps(long) + "\n" + json.dumps(as_line(session[-1])) + "\n")
    (_, skipped), (number, kept) = read(path)
    assert isinstance(skipped, Unreadable) and "longer than" in skipped.reason
    assert number == 2 and isinstance(kept, Exchange)


# --- HarWriter -------------------------------------------------------------------------------


def test_what_HarWriter_writes_reads_back_with_the_same_verdicts_and_no_secret(
    session: list[Exchange], tmp_path: Path
) -> None:
    path = tmp_path / "out.har"
    with HarWriter(path, secrets=RunSecrets([DEFAULT_CLIENT_SECRET, TOKEN])) as writer:
        for exchange in session:
            writer.add(exchange)
    text = path.read_text()
    assert TOKEN not in text and TOKEN.rsplit(".", 1)[-1] not in text
    assert json.loads(text)["log"]["version"] == "1.2"
    entry = json.loads(text)["log"]["entries"][0]
    assert {"name": "campaignType", "value": "sms"} in entry["request"]["queryString"]
    assert entry["startedDateTime"].endswith("Z") and entry["time"] >= 0
    back = [item for _, item in read(path)]
    assert all(isinstance(item, Exchange) for item in back)
    assert all(item.headers.get("auth") == REDACTED for item in back)  # type: ignore[union-attr]
    assert judged(back) == judged(session)
    assert {v[2] for v in judged(back)} == {"ok", "not in the contract"}


def test_HarWriter_writes_a_body_that_is_not_UTF8_as_base64(tmp_path: Path) -> None:
    exchange = Exchange(
        "POST", "http://127.0.0.1:1/x", {"Content-Type": "application/octet-stream"}, b"\xff\x00"
    )
    exchange.status, exchange.response_text = 200, "fine"
    path = tmp_path / "bin.har"
    writer = HarWriter(path)
    writer.add(exchange)
    writer.close()
    post = json.loads(path.read_text())["log"]["entries"][0]["request"]["postData"]
    assert post["encoding"] == "base64"
    ((_, back),) = read(path)
    assert isinstance(back, Exchange) and back.body == b"\xff\x00"


@settings(max_examples=60, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    body=st.none() | st.binary(max_size=64),
    answer=st.text(max_size=64),
    status=st.integers(100, 599),
    headers=st.dictionaries(
        st.from_regex(r"\A[a-z][a-z0-9-]{0,10}\Z"), st.text(max_size=20), max_size=4
    ),
)
def test_any_exchange_HarWriter_writes_reads_back_the_same(
    method: str, body: bytes | None, answer: str, status: int, headers: dict[str, str]
) -> None:
    import tempfile

    answer = answer.encode("utf-8", "replace").decode("utf-8")  # no lone surrogates
    exchange = Exchange(method, "http://127.0.0.1:9/p?q=1", dict(headers), body)
    exchange.status, exchange.response_text = status, answer
    exchange.response_headers = {k.lower(): v for k, v in headers.items()}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "one.har"
        writer = HarWriter(path)
        writer.add(exchange)
        writer.close()
        ((_, back),) = read(path)
    assert isinstance(back, Exchange) and same(back, exchange)


@settings(max_examples=150, deadline=None)
@given(content=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_read_as_exchanges_or_unreadable_items_never_an_error(content: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.har"
        for prefix in (b"", b'{"log": {"entries": [', b'{"request": '):
            path.write_bytes(prefix + content)
            found = read(path)
            assert found and all(isinstance(item, Exchange | Unreadable) for _, item in found)


@settings(max_examples=60, deadline=None)
@given(cut=st.floats(0.0, 1.0), flip=st.integers(0, 255))
def test_a_HAR_cut_or_corrupted_anywhere_yields_each_entry_before_the_damage(
    cut: float, flip: int
) -> None:
    import tempfile

    entries = [har_entry(_SMALL[0]), har_entry(_SMALL[1]), har_entry(_SMALL[0])]
    whole = json.dumps({"log": {"entries": entries}}).encode()
    at = int(len(whole) * cut)
    damaged = whole[:at] + bytes([flip]) + whole[at + 1 :] if at < len(whole) else whole
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.har"
        path.write_bytes(damaged[: at + 1])
        found = read(path)
    assert all(isinstance(item, Exchange | Unreadable) for _, item in found)
    readable = [index for index, item in found if isinstance(item, Exchange)]
    assert readable == list(range(len(readable)))  # a prefix of the entries, in order


def test_JSON_lines_with_raw_non_UTF8_bytes_are_read(tmp_path: Path) -> None:
    line = json.dumps(as_line(_SMALL[0])).encode()
    marker = b'"body": "'
    raw = line.replace(marker, marker + b"\xff\xfe", 1)
    path = tmp_path / "latin.jsonl"
    path.write_bytes(raw + b"\n")
    ((number, item),) = read(path)
    assert number == 1 and isinstance(item, Exchange)
    assert item.body is not None and item.body.startswith("\ufffd\ufffd".encode())


def _exchange(method: str, status: int, answer: str) -> Exchange:
    exchange = Exchange(method, "http://127.0.0.1:9/x", {"Content-Type": "application/json"}, b"{}")
    exchange.status, exchange.response_text = status, answer
    exchange.response_headers = {"content-type": "application/json"}
    return exchange


_SMALL = [_exchange("POST", 201, '{"status": "success"}'), _exchange("GET", 404, '{"errors": []}')]
