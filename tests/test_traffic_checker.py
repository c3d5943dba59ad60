"""Issue 13 item 2: the stateful exchange checker (kore_contract.proxy.checker) on traffic an
application had with the embedded mock over real HTTP (requests, recorded as exchanges and
as HAR 1.2), and on exchanges changed in the test to break one rule.

A clean session has no finding; a session that sends what a server must refuse has only the
requests' own findings against a clean mock; each mock fault behind the same session is
reported under its own rule; the state checks (S3 echo, S10 get after create, T2 status after
start, L2 listed against get, U3 after delete) on both sides of their boundary.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_mock_faults import family_fixture
from traffic_testing import (
    KIND,
    TOKEN,
    UNKNOWN_ID,
    App,
    body,
    exchange_of,
    probe_session,
    write_har,
)

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token
from kore_contract.contract.fixture import Fixture
from kore_contract.mock import faults
from kore_contract.mock.server import MockServer, running_mock
from kore_contract.proxy.checker import ExchangeVerdict, TrafficChecker
from kore_contract.proxy.recorded import read_traffic
from kore_contract.report import write_reports
from kore_contract.run.client import Exchange

FIXTURE = family_fixture()
#: Every fault (the family's were kept apart in FAMILY_FAULTS until the run caught each).
EVERY_FAULT = {**faults.FAULTS, **getattr(faults, "FAMILY_FAULTS", {})}


def checker(fixture: Fixture | None = FIXTURE, secret: str | None = DEFAULT_CLIENT_SECRET) -> Any:
    return TrafficChecker(fixture=fixture, client_id=DEFAULT_CLIENT_ID, client_secret=secret)


def verdicts(exchanges: list[Exchange], judge: TrafficChecker | None = None) -> list[Any]:
    judge = judge or checker()
    return [judge.check_exchange(exchange) for exchange in exchanges]


def rules_of(found: list[ExchangeVerdict]) -> set[str]:
    return {f.rule for verdict in found for f in verdict.findings}


def session_of(server: MockServer, steps: Any = None) -> list[Exchange]:
    app = App(server.base_url)
    (steps or probe_session)(app)
    return app.exchanges


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with running_mock(FIXTURE) as server:
        yield server
        server.check()


@pytest.fixture(scope="module")
def probe_exchanges(mock: MockServer) -> list[Exchange]:
    return session_of(mock)


@pytest.fixture(scope="module")
def probe_baseline(probe_exchanges: list[Exchange]) -> list[ExchangeVerdict]:
    return verdicts(probe_exchanges)


def changed(exchange: Exchange, change: Any) -> Exchange:
    """The exchange with its JSON answer changed by `change(answer)`."""
    answer = json.loads(exchange.response_text)
    change(answer)
    twin = copy.copy(exchange)
    twin.__dict__.pop("_parsed_response", None)
    twin.response_text = json.dumps(answer)
    return twin


# --- whole sessions ---------------------------------------------------------------------


def test_a_clean_session_of_every_call_has_no_finding(mock: MockServer) -> None:
    app = App(mock.base_url)
    app.clean_session()
    found = verdicts(app.exchanges)
    assert [v.verdict for v in found] == ["ok"] * len(app.exchanges)
    assert {v.call for v in found} >= {
        "create",
        "get",
        "update",
        "start",
        "stop",
        "status",
        "list",
        "delete",
    }


def test_a_clean_session_exercises_the_request_rules_it_was_checked_against(
    mock: MockServer,
) -> None:
    app = App(mock.base_url)
    app.clean_session()
    judge = checker()
    verdicts(app.exchanges, judge)
    rows = {(row.id, row.call): row for row in judge.result().rules}
    for key in (("R2", "create"), ("C1", "create"), ("U1", "update"), ("L1", "list")):
        assert rows[key].status == "passed", key
    for key in (("A2", "get"), ("A3", "status"), ("T6", "start"), ("S10", "get")):
        assert rows[key].status == "passed", key
    idle = rows[("R14", "any")]  # a warning: never a finding of a request
    assert (idle.status, idle.to_json()["reason"]) == (
        "not_exercised",
        "no exchange of this traffic exercises it",
    )


def test_a_clean_session_read_back_from_HAR_has_the_same_verdicts(
    mock: MockServer, tmp_path: Path
) -> None:
    app = App(mock.base_url)
    app.clean_session()
    har = write_har(tmp_path / "clean.har", app.exchanges)
    read = [item for _, item in read_traffic(har)]
    assert all(isinstance(item, Exchange) for item in read)
    assert [(v.call, v.status, v.verdict) for v in verdicts(read)] == [
        (v.call, v.status, v.verdict) for v in verdicts(app.exchanges)
    ]


def test_against_a_clean_mock_only_the_requests_own_findings_are_reported(
    probe_baseline: list[ExchangeVerdict], probe_exchanges: list[Exchange]
) -> None:
    """The probe session sends what a server must refuse (bad bodies, tokens, headers,
    triggers, transitions): each such exchange names the rule its request breaks, and the
    clean mock's refusals add nothing."""
    judge = checker()
    for verdict, exchange in zip(probe_baseline, probe_exchanges, strict=True):
        own = judge.check_request(exchange.method, exchange.url, exchange.headers, exchange.body)
        assert verdict.findings == own.findings, judge.line(verdict)
    assert rules_of(probe_baseline) == {"R1", "R4", "R7", "R10", "C3", "A2", "A3", "T6", "L1"}


def _new_findings(
    found: list[ExchangeVerdict], baseline: list[ExchangeVerdict]
) -> set[tuple[int, str, str]]:
    before = {(v.index, f.rule, f.pointer) for v in baseline for f in v.findings}
    return {(v.index, f.rule, f.pointer) for v in found for f in v.findings} - before


@pytest.mark.parametrize("fault", sorted(EVERY_FAULT), ids=str)
def test_each_mock_fault_behind_the_traffic_is_reported_under_its_own_rule(
    fault: str, probe_baseline: list[ExchangeVerdict], tmp_path: Path
) -> None:
    """The same application session against the mock with one fault, recorded as HAR and
    read back: a finding of the fault's rule that the clean mock's session does not have."""
    with running_mock(FIXTURE, fault=fault) as server:
        exchanges = session_of(server)
    har = write_har(tmp_path / "session.har", exchanges)
    read = [item for _, item in read_traffic(har)]
    assert all(isinstance(item, Exchange) for item in read)
    new = _new_findings(verdicts(read), probe_baseline)
    assert EVERY_FAULT[fault].rule in {rule for _, rule, _ in new}, sorted(new)


# --- the request side --------------------------------------------------------------------


def test_R4_a_body_naming_an_unknown_contact_list_is_judged_with_the_fixture_only(
    mock: MockServer,
) -> None:
    app = App(mock.base_url)
    app.create(body(contactLists=["No such list"]))
    (exchange,) = app.exchanges
    assert rules_of([checker().check_exchange(exchange)]) == {"R4"}
    # without the fixture the body looks valid, and its 400 is not judged
    assert checker(fixture=None).check_exchange(exchange).verdict == "ok"


def test_A2_a_signature_is_verified_only_when_the_client_secret_is_given() -> None:
    other = mint_token(DEFAULT_CLIENT_ID, "another-secret-entirely")
    headers = {"auth": other, "iid": "i", "accountId": "a"}
    target = "/campaign/api/v2/public/st-1/campaign/cd-1?accountId=a"
    assert [f.rule for f in checker().check_request("GET", target, headers, None).findings] == [
        "A2"
    ]
    assert checker(secret=None).check_request("GET", target, headers, None).findings == ()


@pytest.mark.parametrize(
    "token",
    [
        mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ttl=10, now=0),
        mint_token("another-app", DEFAULT_CLIENT_SECRET),
        "not-a-jwt",
        "eyJhbGciOiJub25lIn0.eyJhcHBJZCI6ImtvcmUtY29udHJhY3QtY2xpZW50In0.",
    ],
    ids=["expired", "other-appId", "not-a-jwt", "alg-none"],
)
@pytest.mark.parametrize("secret", [DEFAULT_CLIENT_SECRET, None], ids=["secret", "no-secret"])
def test_A2_shape_and_claims_are_checked_with_or_without_the_secret(
    token: str, secret: str | None
) -> None:
    headers = {"auth": token, "iid": "i", "accountId": "a"}
    target = "/campaign/api/v2/public/st-1/campaign/cd-1?accountId=a"
    verdict = checker(secret=secret).check_request("GET", target, headers, None)
    assert [f.rule for f in verdict.findings] == ["A2"]
    assert verdict.refusal is not None and verdict.refusal[0] in (401, 403)


def test_A2_a_good_token_and_the_headers_break_nothing() -> None:
    headers = {"auth": TOKEN, "iid": "i", "accountId": "a"}
    target = "/campaign/api/v2/public/st-1/campaign/cd-1?accountId=a"
    verdict = checker().check_request("GET", target, headers, None)
    assert (verdict.call, verdict.findings, verdict.refusal) == ("get", (), None)


def test_A3_missing_headers_and_account_query_are_request_findings() -> None:
    target = "/campaign/api/v2/public/st-1/campaign/cd-1"
    verdict = checker().check_request("GET", target, {"auth": TOKEN}, None)
    assert sorted(f.pointer for f in verdict.findings) == [
        "/headers/accountId",
        "/headers/iid",
        "/query/accountId",
    ]
    assert {f.rule for f in verdict.findings} == {"A3"}


def test_D14_the_stop_page_doubled_slash_is_the_stop_call() -> None:
    headers = {"auth": TOKEN, "iid": "i", "accountId": "a"}
    target = f"/campaign/api/v2/public/st-1/campaign//trigger/cd-1?campaignType={KIND}&trigger=stop"
    verdict = checker().check_request("POST", target, headers, None)
    assert (verdict.call, verdict.findings) == ("stop", ())


def test_a_call_behind_a_gateway_prefix_is_still_the_call() -> None:
    """A dev server's or gateway's path in front of the API's (`/api` + the spec's path)."""
    headers = {"auth": TOKEN, "iid": "i", "accountId": "a"}
    target = "http://localhost:3000/api/campaign/api/v2/public/st-1/campaign/cd-1?accountId=a"
    verdict = checker().check_request("GET", target, headers, None)
    assert (verdict.call, verdict.findings, verdict.campaign_id) == ("get", (), "cd-1")
    elsewhere = checker().check_request("GET", "/api/v2/public/st-1/campaign", headers, None)
    assert elsewhere.call is None


def test_T6_a_trigger_other_than_play_or_stop_is_a_request_finding() -> None:
    headers = {"auth": TOKEN, "iid": "i", "accountId": "a"}
    target = f"/campaign/api/v2/public/st-1/campaign/trigger/cd-1?campaignType={KIND}&trigger=pause"
    verdict = checker().check_request("POST", target, headers, None)
    assert [f.rule for f in verdict.findings] == ["T6"]


def test_the_enforce_refusal_is_the_mock_s_own_answer(mock: MockServer) -> None:
    """For --enforce: the status and the rules of the mock's refusal of the same request."""
    app = App(mock.base_url)
    for broken in (body(priority="6"), body(contactLists=["No such list"])):
        app.create(broken)
    headers = dict(app.headers)
    del headers["iid"]
    app.create(headers=headers)
    app.create(headers={**app.headers, "auth": "not-a-jwt"})
    app.create(body(priority="6"), headers={**headers, "auth": "not-a-jwt"})  # the token first
    app.create(body(priority="6"), headers=headers)  # the headers before the body
    for exchange in app.exchanges:
        verdict = checker().check_request(
            exchange.method, exchange.url, exchange.headers, exchange.body
        )
        assert verdict.refusal is not None
        status, refusal = verdict.refusal
        assert status == exchange.status
        mine = [(e["rule"], e["pointer"], e["code"]) for e in json.loads(refusal)["errors"]]
        theirs = [(e["rule"], e["pointer"], e["code"]) for e in exchange.response_json["errors"]]
        assert mine == theirs


def test_a_path_outside_the_contract_is_reported_and_kept_out_of_the_cases(
    mock: MockServer,
) -> None:
    app = App(mock.base_url)
    app.send("GET", mock.base_url + "/health?x=1")
    app.created_id()
    judge = checker()
    found = verdicts(app.exchanges, judge)
    assert (found[0].call, found[0].verdict, found[0].findings) == (
        None,
        "not in the contract",
        (),
    )
    assert judge.line(found[0]) == "#0000 GET /health 404 not in the contract"
    result = judge.result()
    assert [case.id for case in result.cases] == ["traffic-0001-create"]
    assert result.extra["not_in_the_contract"][0]["path"] == "/health"
    assert result.run.requests == 2


# --- the state across exchanges ------------------------------------------------------------


@pytest.fixture(scope="module")
def lifecycle(mock: MockServer) -> dict[str, Exchange]:
    """create, get, start, status, get, list, stop, status, delete, get, status of one
    campaign, by name."""
    app = App(mock.base_url)
    steps: dict[str, Any] = {}
    first = app.created_id()
    steps["create"] = app.exchanges[-1]
    for name, call in (
        ("get", lambda: app.get(first)),
        ("start", lambda: app.start(first)),
        ("status after start", lambda: app.status(first)),
        ("get after start", lambda: app.get(first)),
        ("list", lambda: app.list({"type": KIND, "limit": 1000})),
        ("start again", lambda: app.start(first)),
        ("update while active", lambda: app.update(first, body(name="While active"))),
        ("stop", lambda: app.stop(first)),
        ("status after stop", lambda: app.status(first)),
        ("delete", lambda: app.delete(first)),
        ("get after delete", lambda: app.get(first)),
        ("status after delete", lambda: app.status(first)),
        ("list after delete", lambda: app.list({"type": KIND, "limit": 1000})),
    ):
        call()
        steps[name] = app.exchanges[-1]
    return steps


def judged(steps: dict[str, Exchange], names: list[str], **changes: Any) -> list[Any]:
    """The verdicts of the named steps in order, each answer changed where asked."""
    judge = checker()
    return [
        judge.check_exchange(changed(steps[n], changes[n]) if n in changes else steps[n])
        for n in names
    ]


def test_S3_an_accepted_create_echoes_what_was_sent(lifecycle: dict[str, Exchange]) -> None:
    (clean,) = judged(lifecycle, ["create"])
    assert clean.verdict == "ok"
    (renamed,) = judged(lifecycle, ["create"], create=lambda a: a["data"].update(name="Other"))
    assert [(f.rule, f.pointer) for f in renamed.findings if f.rule == "S3"] == [
        ("S3", "/data/name")
    ]


def test_S10_get_after_create_answers_the_created_campaign(
    lifecycle: dict[str, Exchange],
) -> None:
    assert [v.verdict for v in judged(lifecycle, ["create", "get"])] == ["ok", "ok"]
    _, got = judged(
        lifecycle, ["create", "get"], get=lambda a: a["data"].update(description="changed")
    )
    assert [(f.rule, f.pointer) for f in got.findings] == [("S10", "/data/description")]
    # a get with no create before it has nothing to be compared with
    (alone,) = judged(lifecycle, ["get"], get=lambda a: a["data"].update(description="changed"))
    assert alone.verdict == "ok"


def test_T2_status_and_get_after_start_say_Active(lifecycle: dict[str, Exchange]) -> None:
    names = ["create", "start", "status after start", "get after start"]
    assert [v.verdict for v in judged(lifecycle, names)] == ["ok"] * 4
    found = judged(
        lifecycle,
        names,
        **{
            "status after start": lambda a: a["data"].update(status="Ready"),
            "get after start": lambda a: a["data"].update(status="Ready"),
        },
    )
    assert ("T2", "/data/status") in {(f.rule, f.pointer) for f in found[2].findings}
    assert ("T2", "/data/status") in {(f.rule, f.pointer) for f in found[3].findings}


def test_T2_get_after_start_may_answer_other_counts_but_not_another_state(
    lifecycle: dict[str, Exchange],
) -> None:
    """Once a campaign runs, what get answers of it besides its state and updatedAt (the
    messages sent, ...) may change; after a create or update it may not (S10, U2)."""
    names = ["create", "start", "get after start"]
    found = judged(
        lifecycle, names, **{"get after start": lambda a: a["data"].update(totalMessagesSent=7)}
    )
    assert found[2].verdict == "ok"
    found = judged(
        lifecycle, names, **{"get after start": lambda a: a["data"].update(updatedAt="2020")}
    )
    assert [(f.rule, f.pointer) for f in found[2].findings if f.rule == "T2"] == [
        ("T2", "/data/updatedAt")
    ]
    (_, got) = judged(
        lifecycle, ["create", "get"], get=lambda a: a["data"].update(totalMessagesSent=7)
    )
    assert [(f.rule, f.pointer) for f in got.findings] == [("S10", "/data/totalMessagesSent")]


def test_T3_status_after_stop_says_Stopped(lifecycle: dict[str, Exchange]) -> None:
    names = ["create", "start", "stop", "status after stop"]
    assert [v.verdict for v in judged(lifecycle, names)] == ["ok"] * 4
    found = judged(
        lifecycle, names, **{"status after stop": lambda a: a["data"].update(status="Active")}
    )
    assert "T3" in {f.rule for f in found[3].findings}


def test_T4_a_second_start_must_be_refused(lifecycle: dict[str, Exchange]) -> None:
    names = ["create", "start", "start again"]
    assert lifecycle["start again"].status == 409
    assert [v.verdict for v in judged(lifecycle, names)] == ["ok"] * 3
    accepted = copy.copy(lifecycle["start"])  # the first start's 200 in the second's place
    steps = {**lifecycle, "start again": accepted}
    found = judged(steps, names)
    assert "T4" in {f.rule for f in found[2].findings}


def test_T5_an_update_while_Active_must_be_refused(lifecycle: dict[str, Exchange]) -> None:
    names = ["create", "start", "update while active"]
    assert lifecycle["update while active"].status == 409
    assert [v.verdict for v in judged(lifecycle, names)] == ["ok"] * 3
    accepted = copy.copy(lifecycle["create"])  # a 201 with the campaign in the 409's place
    accepted.method, accepted.url = "PUT", lifecycle["update while active"].url
    accepted.body = lifecycle["update while active"].body
    found = judged({**lifecycle, "update while active": accepted}, names)
    assert "T5" in {f.rule for f in found[2].findings}


def test_L3_a_deleted_campaign_is_never_listed(lifecycle: dict[str, Exchange]) -> None:
    names = ["create", "delete", "list after delete"]
    assert [v.verdict for v in judged(lifecycle, names)] == ["ok"] * 3
    still_listed = {**lifecycle, "list after delete": lifecycle["list"]}  # listed it Active
    found = judged(still_listed, names)
    assert "L3" in {f.rule for f in found[2].findings}


def test_L2_a_listed_campaign_equals_what_get_answers(lifecycle: dict[str, Exchange]) -> None:
    names = ["create", "get", "start", "list"]  # the list was asked after the start
    assert [v.verdict for v in judged(lifecycle, names)] == ["ok"] * 4

    def other_description(answer: dict[str, Any]) -> None:
        for result in answer["data"]["results"]:
            result["description"] = "listed otherwise"
            result["name"] = "listed otherwise"

    found = judged(lifecycle, names, list=other_description)
    assert {(f.rule, f.pointer.rsplit("/", 1)[-1]) for f in found[3].findings} == {
        ("L2", "description"),
        ("L2", "name"),
    }


def test_U3_and_S10_calls_on_a_deleted_campaign_must_answer_404(
    lifecycle: dict[str, Exchange],
) -> None:
    names = ["create", "delete", "get after delete", "status after delete"]
    assert [lifecycle[n].status for n in names[2:]] == [404, 404]
    assert [v.verdict for v in judged(lifecycle, names)] == ["ok"] * 4
    found_200 = {**lifecycle, "status after delete": lifecycle["status after start"]}
    found = judged(found_200, names)
    assert "U3" in {f.rule for f in found[3].findings}
    got_200 = {**lifecycle, "get after delete": lifecycle["get"]}
    assert "S10" in {f.rule for f in judged(got_200, names)[2].findings}


def test_U3_an_id_the_traffic_never_showed_may_answer_404(mock: MockServer) -> None:
    app = App(mock.base_url)
    app.status(UNKNOWN_ID)
    app.update(UNKNOWN_ID, body())
    app.delete(UNKNOWN_ID)
    assert [e.status for e in app.exchanges] == [404, 404, 404]
    assert [v.verdict for v in verdicts(app.exchanges)] == ["ok"] * 3


# --- results, secrets, threads -------------------------------------------------------------


def test_the_result_is_written_as_the_four_reports_without_a_secret(
    probe_baseline: list[ExchangeVerdict], mock: MockServer, tmp_path: Path
) -> None:
    judge = checker()
    exchanges = session_of(mock)
    lines = [judge.line(judge.check_exchange(exchange)) for exchange in exchanges]
    result = judge.result()
    assert result.verdict == "fail"
    assert [case.id for case in result.cases][:2] == ["traffic-0000-create", "traffic-0001-create"]
    assert {case.phase for case in result.cases} == {"traffic"}
    assert result.run.stream_id and result.run.account_id
    written = write_reports(result, tmp_path)
    assert sorted(p.name for p in written) == [
        "junit.xml",
        "report.html",
        "report.md",
        "results.json",
    ]
    everything = "\n".join(lines) + "".join(p.read_text() for p in written)
    assert TOKEN not in everything and DEFAULT_CLIENT_SECRET not in everything
    assert TOKEN.rsplit(".", 1)[-1] not in everything
    rows = {(row.id, row.call): row.status for row in result.rules}
    assert rows[("R7", "create")] == "failed" and rows[("S3", "create")] == "passed"


def test_S11_a_token_echoed_in_an_answer_is_found_and_never_shown(tmp_path: Path) -> None:
    with running_mock(FIXTURE, fault="S11-token-echo") as server:
        app = App(server.base_url)
        app.created_id()
    judge = checker()
    (verdict,) = verdicts(app.exchanges, judge)
    assert "S11" in {f.rule for f in verdict.findings}
    shown = judge.line(verdict) + json.dumps(judge.result().to_json())
    assert TOKEN not in shown and TOKEN.rsplit(".", 1)[-1] not in shown


def test_without_kept_exchanges_the_rule_rows_are_the_same(
    probe_exchanges: list[Exchange],
) -> None:
    """validate --traffic without reports keeps no exchange (flat memory over a 1 GB HAR)."""
    kept, folded = (
        checker(),
        TrafficChecker(
            fixture=FIXTURE,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            keep_exchanges=False,
        ),
    )
    for exchange in probe_exchanges:
        assert kept.check_exchange(exchange) == folded.check_exchange(exchange)
    with_cases, without = kept.result(), folded.result()
    assert without.cases == () and folded.verdicts == ()
    assert [r.to_json() for r in without.rules] == [r.to_json() for r in with_cases.rules]
    assert (without.verdict, without.run.requests) == (with_cases.verdict, len(probe_exchanges))


def test_past_max_cases_exchanges_are_counted_in_the_rule_rows_not_kept(
    probe_exchanges: list[Exchange],
) -> None:
    every, first_ones = (
        checker(),
        TrafficChecker(
            fixture=FIXTURE,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            max_cases=5,
        ),
    )
    for exchange in probe_exchanges:
        every.check_exchange(exchange)
        first_ones.check_exchange(exchange)
    whole, cut = every.result(), first_ones.result()
    assert [case.id for case in cut.cases] == [case.id for case in whole.cases[:5]]
    assert cut.extra["cases_left_out"] == len(whole.cases) - 5
    assert [r.to_json() for r in cut.rules] == [r.to_json() for r in whole.rules]
    assert len(first_ones.verdicts) == 5


def test_concurrent_exchanges_each_get_their_own_index(mock: MockServer) -> None:
    """The proxy calls the checker from concurrent requests."""
    app = App(mock.base_url)
    for _ in range(4):
        app.created_id()
    judge = checker()
    found: list[ExchangeVerdict] = []
    lock = threading.Lock()

    def work(exchange: Exchange) -> None:
        for _ in range(10):
            verdict = judge.check_exchange(exchange)
            with lock:
                found.append(verdict)

    threads = [threading.Thread(target=work, args=(e,)) for e in app.exchanges]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(v.index for v in found) == list(range(40))
    assert len(judge.result().cases) == 40
    # the same create answered 30 more times: the same _id again is S2, not a crash
    assert {f.rule for v in found for f in v.findings} <= {"S2"}


def test_an_exchange_without_an_answer_is_an_error_verdict(mock: MockServer) -> None:
    app = App(mock.base_url)
    app.created_id()
    (exchange,) = app.exchanges
    lost = copy.copy(exchange)
    lost.status, lost.error = None, "the connection was reset"
    verdict = checker().check_exchange(lost)
    assert (verdict.verdict, verdict.status) == ("error", None)
    assert checker().line(verdict).endswith("create --- error (the connection was reset)")


def test_requests_helper_records_what_was_sent(mock: MockServer) -> None:
    answer = requests.get(mock.base_url + "/nothing", timeout=5)
    exchange = exchange_of(answer)
    assert (exchange.method, exchange.status, exchange.body) == ("GET", 404, None)


_TEXT = st.text(max_size=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", ""]),
    path=st.sampled_from(
        [
            "/campaign/api/v2/public/st-1/campaign",
            "/campaign/api/v2/public/st-1/campaign/cd-1",
            "/campaign/api/v2/public/st-1/campaign//trigger/cd-1",
            "/campaign/api/v2/public/st-1/campaign/cd-1/status",
            "/campaign/api/v2/public/st-1/campaign/getAllCampaignDetails",
            "/campaign/api/v2/public/st-1/campaign/%2F..%2F",
            "/",
            "",
        ]
    )
    | _TEXT,
    query=_TEXT,
    headers=st.dictionaries(_TEXT, _TEXT, max_size=4),
    sent=st.none() | st.binary(max_size=80) | st.just(json.dumps(body()).encode()),
    status=st.none() | st.integers(100, 599),
    answer=_TEXT | st.just('{"status": "success", "data": {"_id": "cd-1", "status": "Active"}}'),
)
def test_any_exchange_is_judged_without_an_error(
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    sent: bytes | None,
    status: int | None,
    answer: str,
) -> None:
    """Whatever an application sent and a server answered, the checker gives a verdict
    (the proxy calls it on every exchange it forwards)."""
    judge = checker()
    for auth in (None, TOKEN, "eyJ.x.y"):
        shown = dict(headers) if auth is None else {**headers, "auth": auth}
        exchange = Exchange(method, f"http://127.0.0.1:1{path}?{query}", shown, sent)
        exchange.status, exchange.response_text = status, answer
        verdict = judge.check_exchange(exchange)
        assert verdict.verdict in ("ok", "violations", "not in the contract", "error")
        assert TOKEN not in judge.line(verdict)
    assert len(judge.result().cases) <= 3
