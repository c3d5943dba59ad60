"""Issue 13 "Performance": the cases a proxy session keeps are packed (kore_contract.proxy.
checker `_packed`), one bytes object each, so the garbage collector's full collections do not
walk a dozen objects per exchange kept (their pauses were the proxy's p99: +121 ms at one
connection). The reports are the same as from the unpacked cases, and the objects a session
leaves for the collector grow by a few per exchange, not by the whole exchange. The same
for the entries `--har-out` collects.
"""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict
from traffic_testing import App

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from kore_contract.mock.server import running_mock
from kore_contract.proxy import checker as checker_module
from kore_contract.proxy.checker import MAX_CASES, TrafficChecker
from kore_contract.proxy.har import HarWriter, har_entry
from kore_contract.redaction import redact
from kore_contract.run.client import Exchange

#: What differs between two results of the same exchanges: when they were judged.
TIMING = ("started_at", "finished_at", "duration_s")


@pytest.fixture(scope="module")
def session() -> Iterator[list[Exchange]]:
    with running_mock(client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET) as mock:
        app = App(mock.base_url)
        app.clean_session()
        app.created_id()
        app.send("GET", mock.base_url + "/not/in/the/contract")
        yield app.exchanges


def judged(exchanges: list[Exchange], *, max_cases: int | None = MAX_CASES) -> dict[str, Any]:
    judge = TrafficChecker(
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        max_cases=max_cases,
        target="mock",
    )
    for exchange in exchanges:
        judge.check_exchange(copy.deepcopy(exchange))
    result = judge.result().to_json()
    for name in TIMING:
        result["run"].pop(name)
    return result


def odd(exchange: Exchange) -> Exchange:
    """The exchange with an answer JSON reads but orjson would not write the same (a
    70-digit integer, NaN) and request headers in a dict marshal cannot write."""
    changed = copy.deepcopy(exchange)
    changed.response_text = changed.response_text[:-1] + ', "big": 1' + "0" * 70 + ', "x": NaN}'
    changed.headers = CaseInsensitiveDict(changed.headers)  # type: ignore[assignment]
    return changed


def test_packed_cases_report_as_the_unpacked_ones(
    session: list[Exchange], monkeypatch: pytest.MonkeyPatch
) -> None:
    exchanges = [*session, odd(session[0]), odd(session[1])]
    packed = judged(exchanges)
    monkeypatch.setattr(checker_module, "_packed", lambda outcome: outcome)
    assert json.dumps(packed) == json.dumps(judged(exchanges))  # NaN != NaN: compare text
    answer = packed["cases"][-1]["response"]["body"]
    assert answer["big"] == 10**70 and answer["x"] != answer["x"]  # NaN kept as NaN


def test_packed_cases_past_max_cases_are_left_out_as_before(
    session: list[Exchange], monkeypatch: pytest.MonkeyPatch
) -> None:
    packed = judged(session, max_cases=5)
    monkeypatch.setattr(checker_module, "_packed", lambda outcome: outcome)
    assert packed == judged(session, max_cases=5)
    assert len(packed["cases"]) == 5


def test_a_kept_exchange_leaves_a_few_objects_for_the_collector(
    session: list[Exchange],
) -> None:
    """A get of a known campaign (kept as a case, the campaign already known) leaves its
    verdict and its packed case: under 4 tracked objects each, where unpacked it was 12."""
    judge = TrafficChecker(client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    create, get = session[0], session[1]
    judge.check_exchange(copy.deepcopy(create))
    gets = [copy.deepcopy(get) for _ in range(300)]
    gc.collect()
    before = len(gc.get_objects())
    for exchange in gets:
        judge.check_exchange(exchange)
    gets.clear()
    gc.collect()
    grown = len(gc.get_objects()) - before
    assert grown < 4 * 300, f"{grown / 300:.1f} tracked objects per kept exchange"
    assert len(judge.result().cases) == 301


def test_a_created_campaign_is_remembered_in_a_few_objects(session: list[Exchange]) -> None:
    """The state a session keeps (every campaign created, for get after create, L2, ...)
    is packed too: a create leaves under 4 tracked objects (its dicts and lists before)."""
    judge = TrafficChecker(client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    create = session[0]
    campaign_id = json.loads(create.response_text)["data"]["_id"]
    creates = []
    for n in range(300):
        exchange = copy.deepcopy(create)
        exchange.response_text = create.response_text.replace(campaign_id, f"cd-{n:06d}")
        creates.append(exchange)
    gc.collect()
    before = len(gc.get_objects())
    for exchange in creates:
        judge.check_exchange(exchange)
    creates.clear()
    gc.collect()
    grown = len(gc.get_objects()) - before
    assert grown < 4 * 300, f"{grown / 300:.1f} tracked objects per create"


def test_packing_keeps_the_mock_session_clean(session: list[Exchange]) -> None:
    result = judged(session)
    assert result["verdict"] == "pass", [c["findings"] for c in result["cases"] if c["findings"]]


def test_har_out_entries_are_packed_and_written_as_before(
    session: list[Exchange], tmp_path: Path
) -> None:
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    writer = HarWriter(tmp_path / "session.har")
    expected = [har_entry(exchange, started) for exchange in session]
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(20):
        for exchange in session:
            writer.add(exchange, started)
    gc.collect()
    grown = len(gc.get_objects()) - before
    assert grown < 20 * len(session), f"{grown / 20 / len(session):.1f} per entry"
    entries = writer.document()["log"]["entries"]
    assert entries == redact(expected * 20, list(writer.secrets))
