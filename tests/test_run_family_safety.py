"""Issue 12 item 6: starts only where allowed; cleanup stops an Active campaign before deleting
it; the ledger records starts and stops; a possibly created campaign is found by name.

The server here is a small stateful HTTP server on 127.0.0.1 (create, start/stop, delete
refused while Active, list), independent of the embedded mock.
"""

from __future__ import annotations

import functools
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from kore_contract.cli import run as cli_run
from kore_contract.run.client import KoreClient, Target
from kore_contract.run.ledger import Ledger, read_ledger
from kore_contract.run.options import SessionOptions, start_refusal


class FamilyServer(ThreadingHTTPServer):
    campaigns: dict[str, dict[str, Any]]
    calls: list[str]
    clock: int


@functools.cache
def _body_schema() -> Any:
    """The create body's schema (the oneOf of the variants), with base64 checked: what the
    small server refuses (C2, R7, ...)."""
    import jsonschema

    from kore_contract.contract import formats, spec

    checker = jsonschema.FormatChecker()
    checker.checks("base64-utf8")(formats.is_base64_utf8)
    return jsonschema.Draft202012Validator(spec.create_body_schema(), format_checker=checker)


@functools.cache
def _list_schema() -> Any:
    import jsonschema

    from kore_contract.contract import formats, spec

    checker = jsonschema.FormatChecker()
    checker.checks("date-time-with-zone")(formats.is_date_time_with_zone)
    schema = spec.operations()["list"]["requestBody"]["content"]["application/json"]["schema"]
    return jsonschema.Draft202012Validator(spec.with_dialect(schema), format_checker=checker)


def _variant_fields(body: dict[str, Any]) -> dict[str, Any]:
    """What the server fills in: a description; an advanced campaign's flow id and a
    priority (C4)."""
    from kore_contract.contract.fixture import load_fixture

    fields = {"description": body.get("description", "")}
    if body.get("format") != "advanced":
        return fields
    flow = load_fixture().experience_flows[str(body.get("experienceFlowName"))]
    return {**fields, "experienceFlow": flow, "priority": body.get("priority", "3")}


def _body_refused(body: Any) -> bool:
    """A create or update body the server refuses: its schema, or C3's unknown flow."""
    from kore_contract.contract.fixture import load_fixture

    if not _body_schema().is_valid(body):
        return True
    flows = load_fixture().experience_flows
    return body.get("format") == "advanced" and body.get("experienceFlowName") not in flows


def _envelope(campaign: dict[str, Any]) -> dict[str, Any]:
    data = {key: value for key, value in campaign.items() if key != "id"}
    return {"status": "success", "message": "ok", "data": {"_id": campaign["id"], **data}}


class _Handler(BaseHTTPRequestHandler):
    """A conforming server of the family, small: every call of docs/contract.md part 2."""

    server: FamilyServer

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return None

    def _now(self) -> str:
        self.server.clock += 1
        return f"2026-01-01T00:{self.server.clock // 60:02d}:{self.server.clock % 60:02d}.000Z"

    def _parts(self) -> tuple[str, dict[str, str]]:
        split = urlsplit(self.path)
        return split.path, {
            k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()
        }

    def _campaign(self, path: str) -> dict[str, Any] | None:
        return self.server.campaigns.get(path.rstrip("/").rsplit("/", 1)[-1])

    def do_POST(self) -> None:
        path, query = self._parts()
        campaigns, body = self.server.campaigns, self._read()
        if path.endswith("/campaign") and _body_refused(body):
            self._answer(400, {"errors": [{"msg": "bad body"}]})
        elif path.endswith("/campaign"):
            campaign_id = f"cd-{self.server.clock + 1}"
            now = self._now()
            campaigns[campaign_id] = {
                **body,
                **_variant_fields(body),
                "id": campaign_id,
                "lname": str(body.get("name")).lower(),
                "status": "Ready",
                "createdAt": now,
                "updatedAt": now,
            }
            self.server.calls.append(f"create {campaign_id}")
            self._answer(201, _envelope(campaigns[campaign_id]))
        elif path.endswith("/getAllCampaignDetails") and not _list_schema().is_valid(body):
            self._answer(400, {"errors": [{"msg": "bad list body"}]})
        elif path.endswith("/getAllCampaignDetails"):
            self.server.calls.append("list")
            self._list(body)
        elif path.endswith("/status"):
            campaign = self._campaign(path.removesuffix("/status"))
            if campaign is None:
                self._answer(404, {"errors": [{"msg": "not found"}]})
                return
            self._answer(
                200,
                {
                    "status": "success",
                    "data": {
                        "id": campaign["id"],
                        "status": campaign["status"],
                        "name": campaign["name"],
                    },
                },
            )
        else:
            self._trigger(path, query)

    def _trigger(self, path: str, query: dict[str, str]) -> None:
        campaign, action = self._campaign(path), query.get("trigger")
        if campaign is None:
            self._answer(404, {"errors": [{"msg": "not found"}]})
            return
        self.server.calls.append(f"{action} {campaign['id']}")
        allowed = ("play", "stop") if "/trigger/" in path else ("play",)  # the start page's form
        if query.get("campaignType") != "sms" or action not in allowed:
            self._answer(400, {"errors": [{"msg": "bad trigger"}]})
        elif (action == "play") == (campaign["status"] == "Active"):
            self._answer(409, {"errors": [{"msg": "not allowed"}]})
        else:
            campaign["status"] = "Active" if action == "play" else "Stopped"
            campaign["updatedAt"] = self._now()
            answer = {
                "status": campaign["status"],
                "message": "ok",
                "updatedAt": campaign["updatedAt"],
            }
            if action == "stop":
                answer["campaignExecutionType"] = "NORMAL"
            self._answer(200, answer)

    def _list(self, body: dict[str, Any]) -> None:
        filters = body.get("filters") or {}
        statuses, priorities = filters.get("status"), filters.get("priority")
        ((key, direction),) = (body.get("sortBy") or {"createdAt": "desc"}).items()
        wanted = None if priorities is None else [str(p) for p in priorities]
        rows = sorted(
            (
                c
                for c in self.server.campaigns.values()
                if (statuses is None or c["status"] in statuses)
                and (wanted is None or c.get("priority") in wanted)
            ),
            key=lambda c: str(c.get(key)).lower() if key == "name" else c[key],
            reverse=direction == "desc",
        )
        skip, limit = int(body.get("skip") or 0), int(body.get("limit") or 50)
        page = [
            {
                key: c[key]
                for key in (
                    "id",
                    "name",
                    "status",
                    "priority",
                    "contactLists",
                    "format",
                    "createdAt",
                    "updatedAt",
                    "message",
                    "experienceFlow",
                )
                if key in c
            }
            for c in rows[skip : skip + limit]
        ]
        self._answer(
            200,
            {
                "status": "success",
                "message": "",
                "data": {
                    "results": page,
                    "skip": skip,
                    "limit": limit,
                    "hasMore": skip + len(page) < len(rows),
                    "totalPages": -(-len(rows) // limit),
                    "totalResults": len(rows),
                },
            },
        )

    def do_PUT(self) -> None:
        path, _ = self._parts()
        campaign, body = self._campaign(path), self._read()
        if campaign is None:
            self._answer(404, {"errors": [{"msg": "not found"}]})
        elif campaign["status"] == "Active":
            self._answer(409, {"errors": [{"msg": "stop it first"}]})
        elif _body_refused(body):
            self._answer(400, {"errors": [{"msg": "bad body"}]})
        else:
            kept = {key: campaign[key] for key in ("id", "status", "createdAt")}
            campaign.clear()
            campaign.update(
                {
                    **body,
                    **_variant_fields(body),
                    **kept,
                    "lname": str(body.get("name")).lower(),
                    "updatedAt": self._now(),
                }
            )
            self._answer(200, _envelope(campaign))

    def do_DELETE(self) -> None:
        campaign_id = urlsplit(self.path).path.rsplit("/", 1)[-1]
        campaign = self.server.campaigns.get(campaign_id)
        self.server.calls.append(f"delete {campaign_id}")
        if campaign is None:
            self._answer(404, {"errors": [{"msg": "not found"}]})
        elif campaign["status"] == "Active":
            self._answer(409, {"errors": [{"msg": "stop it first"}]})
        else:
            del self.server.campaigns[campaign_id]
            self._answer(200, _envelope(campaign))

    def do_GET(self) -> None:
        campaign = self._campaign(urlsplit(self.path).path)
        if campaign is None:
            self._answer(404, {"errors": [{"msg": "not found"}]})
        else:
            self._answer(200, _envelope(campaign))


@contextmanager
def family_server() -> Iterator[FamilyServer]:
    server = FamilyServer(("127.0.0.1", 0), _Handler)
    server.campaigns, server.calls, server.clock = {}, [], 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def valid(name: str) -> dict[str, Any]:
    """A valid create body of this name."""
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.strategies import base_campaign

    return {**base_campaign(load_fixture()), "name": name}


def base_url(server: FamilyServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def cleanup(ledger: Path, url: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_run(
        [
            "cleanup",
            "--ledger",
            str(ledger),
            "--base-url",
            url,
            "--token",
            "x.y.z",
            "--timeout",
            "5",
        ],
        out,
        err,
    )
    return code, out.getvalue(), err.getvalue()


# --- the ledger records starts and stops ------------------------------------------------------


def test_ledger_records_a_start_and_a_stop_and_replays_the_state(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    with family_server() as server:
        client = KoreClient(
            Target(base_url(server), "st", "acc", "app", "x.y.z"), ledger=Ledger(path)
        )
        client.create(valid("kc1 started"))
        assert client.start("cd-1").status == 200
        assert [entry.get("state") for entry in read_ledger(path).pending] == ["Active"]
        assert client.stop("cd-1").status == 200
        client.close()
    kinds = [next(iter(line)) for line in map(json.loads, path.read_text().splitlines())]
    assert kinds == ["intent", "created", "started", "stopped"]
    assert [entry.get("state") for entry in read_ledger(path).pending] == ["Stopped"]


def test_ledger_a_refused_start_records_no_state_change(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    with family_server() as server:
        client = KoreClient(
            Target(base_url(server), "st", "acc", "app", "x.y.z"), ledger=Ledger(path)
        )
        client.create(valid("kc1"))
        client.start("cd-1")
        assert client.start("cd-1").status == 409
        client.close()
    assert sum("started" in line for line in path.read_text().splitlines()) == 1


def test_run_end_cleanup_stops_an_active_campaign_before_deleting_it(tmp_path: Path) -> None:
    with family_server() as server:
        client = KoreClient(
            Target(base_url(server), "st", "acc", "app", "x.y.z"),
            ledger=Ledger(tmp_path / "ledger.jsonl"),
        )
        client.create(valid("kc1"))
        client.start("cd-1", shape="start")  # the start page's URL shape
        assert client.delete_pending() == []
        client.close()
        assert server.calls[-2:] == ["stop cd-1", "delete cd-1"]
        assert server.campaigns == {}


# --- SIGKILL while Active: cleanup stops and deletes -------------------------------------------


def test_cleanup_after_sigkill_while_active_stops_then_deletes(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from kore_contract.run.client import KoreClient, Target
        from kore_contract.run.ledger import Ledger
        client = KoreClient(Target(sys.argv[1], "st", "acc", "app", "x.y.z"),
                            ledger=Ledger(Path({str(ledger)!r})))
        from kore_contract.contract.fixture import load_fixture
        from kore_contract.strategies import base_campaign
        client.create({{**base_campaign(load_fixture()), "name": "kc1 killed while active"}})
        client.start("cd-1")
        print("active", flush=True)
        time.sleep(60)
    """)
    with family_server() as server:
        url = base_url(server)
        process = subprocess.Popen(
            [sys.executable, "-c", script, url], stdout=subprocess.PIPE, text=True
        )
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "active"
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()
        assert server.campaigns["cd-1"]["status"] == "Active"
        code, out, err = cleanup(ledger, url)
        assert code == 0, out + err
        assert server.calls[-2:] == ["stop cd-1", "delete cd-1"]
        assert server.campaigns == {}
    assert "stopped (200), deleted cd-1 (200)" in out
    assert read_ledger(ledger).pending == []


# --- possibly created: found by name with the list call ----------------------------------------


def test_cleanup_finds_a_possibly_created_campaign_by_name_and_deletes_it(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    with family_server() as server:
        url = base_url(server)
        server.campaigns["cd-9"] = {
            "id": "cd-9",
            "name": "kc2 lost answer",
            "status": "Active",
            "createdAt": "2026-01-01T00:00:02.000Z",
        }
        server.campaigns["cd-8"] = {
            "id": "cd-8",
            "name": "someone else's",
            "status": "Ready",
            "createdAt": "2026-01-01T00:00:01.000Z",
        }
        Ledger(ledger).intent("kc2 lost answer", Target(url, "st", "acc", "app", "x.y.z"))
        code, out, err = cleanup(ledger, url)
        assert code == 0, out + err
        assert list(server.campaigns) == ["cd-8"]  # only the one of that exact name
    assert 'possibly created, name "kc2 lost answer": found by name as cd-9' in out
    assert json.loads(out.splitlines()[-1])["possibly_created"] == 0


def test_cleanup_a_name_not_listed_stays_possibly_created(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    with family_server() as server:
        url = base_url(server)
        Ledger(ledger).intent("kc3 never made", Target(url, "st", "acc", "app", "x.y.z"))
        code, out, _ = cleanup(ledger, url)
    assert code == 1
    assert 'possibly created, name "kc3 never made": check the account' in out


# --- item 6: no start on a live server without --allow-sends -----------------------------------

LIVE = "https://platform.kore.ai"


@pytest.mark.parametrize("loopback", [True, False])
def test_start_on_loopback_needs_nothing(loopback: bool) -> None:
    refusal = start_refusal(SessionOptions(), LIVE, loopback, ["any list"], ())
    assert (refusal is None) == loopback
    if refusal:
        assert "--allow-sends" in refusal and "KORE_ALLOW_SENDS" in refusal


def test_start_on_live_with_allow_sends_only_on_sendable_lists() -> None:
    options = SessionOptions(allow_sends=True)
    assert start_refusal(options, LIVE, False, ["test phones"], ("test phones",)) is None
    assert (
        start_refusal(options, LIVE, False, ["test phones", "customers"], ("test phones",))
        is not None
    )
    assert start_refusal(options, LIVE, False, ["customers"], ("test phones",)) is not None
    assert start_refusal(options, LIVE, False, [], ("test phones",)) is not None
    assert start_refusal(options, LIVE, False, None, ("test phones",)) is not None


def test_allow_sends_option_and_environment_in_both_shells(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from kore_contract.commands import test as test_command

    def parsed(*argv: str) -> SessionOptions:
        parser = argparse.ArgumentParser()
        test_command.add_arguments(parser)
        return test_command.session_options(parser.parse_args(list(argv)))

    monkeypatch.delenv("KORE_ALLOW_SENDS", raising=False)
    assert parsed().allow_sends is False
    assert parsed("--allow-sends").allow_sends is True
    monkeypatch.setenv("KORE_ALLOW_SENDS", "1")
    assert parsed().allow_sends is True


# --- item 5: the family lifecycle walked against a conforming server --------------------------


def walked(server: FamilyServer, tmp_path: Path, policy: Any = None) -> Any:
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.run.planning import family_cases, run_prefix
    from kore_contract.run.runner import Runner

    client = KoreClient(
        Target(base_url(server), "st", "acc", "app", "x.y.z"),
        ledger=Ledger(tmp_path / "ledger.jsonl"),
    )
    runner = Runner(client, start_policy=policy)
    runner.run_plan(family_cases(load_fixture(), run_prefix(), seed=0))
    client.close()
    return runner


def test_family_lifecycle_on_a_conforming_server_finds_nothing_and_exercises_each_rule(
    tmp_path: Path,
) -> None:
    from kore_contract.run.runner import rule_results

    with family_server() as server:
        runner = walked(server, tmp_path)
        assert server.campaigns == {}  # each campaign deleted (and nothing left behind)
        calls = list(server.calls)
    findings = [(f.rule, f.call, f.message) for o in runner.outcomes for f in o.findings]
    assert findings == []
    exercised = {row.id for row in rule_results(runner.outcomes) if row.status == "passed"}
    assert {
        "C4",
        "T1",
        "U2",
        "U3",
        "T2",
        "T3",
        "T4",
        "T5",
        "T6",
        "Q1",
        "L2",
        "L3",
        "S10",
    } <= exercised
    assert any(call.startswith("play") for call in calls)
    assert runner.left_behind == []


def test_family_lifecycle_catches_a_server_that_deletes_an_active_campaign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _Handler.do_DELETE

    def deletes_anything(self: _Handler) -> None:
        campaign = self._campaign(urlsplit(self.path).path)
        if campaign is not None:
            campaign["status"] = "Stopped"  # the T5 defect: an Active campaign is deleted
        original(self)

    monkeypatch.setattr(_Handler, "do_DELETE", deletes_anything)
    with family_server() as server:
        runner = walked(server, tmp_path)
    failing = [o for o in runner.outcomes if any(f.rule == "T5" for f in o.findings)]
    assert failing
    from kore_contract.run.runner import case_result

    # the reproducer is the failing step's request (the delete), not the case's create
    assert case_result(failing[0]).curl.startswith("curl -X DELETE ")


def test_family_lifecycle_without_a_start_marks_the_start_rules_not_exercised(
    tmp_path: Path,
) -> None:
    from kore_contract.run.runner import rule_results

    reason = "not started: pass --allow-sends"
    with family_server() as server:
        runner = walked(server, tmp_path, policy=lambda lists: reason)
        calls = list(server.calls)
    assert not any(
        call.split()[0] in ("play", "None", "", "start", "pause", "PLAY") for call in calls
    )  # nothing that could start was sent (a stop may be)
    rows = {row.id: row for row in rule_results(runner.outcomes, runner.not_exercised)}
    assert rows["T4"].status == "passed"  # the stop of a Ready campaign, refused
    for rule in ("T2", "T3", "T5", "T6"):
        assert rows[rule].status == "not_exercised"
        assert rows[rule].reason == reason
    assert [f for o in runner.outcomes for f in o.findings] == []


def test_run_end_cleanup_finds_a_create_without_answer_by_name_stops_and_deletes_it(
    tmp_path: Path,
) -> None:
    from kore_contract.run.runner import Runner

    with family_server() as server:
        target = Target(base_url(server), "st", "acc", "app", "x.y.z")
        server.campaigns["cd-7"] = {
            "id": "cd-7",
            "name": "kc4 answer lost",
            "status": "Active",
            "createdAt": "2026-01-01T00:00:01.000Z",
        }
        ledger = Ledger(tmp_path / "ledger.jsonl")
        ledger.intent("kc4 answer lost", target)  # sent; the answer never came
        client = KoreClient(target, ledger=ledger)
        assert Runner(client).cleanup() == []
        client.close()
        assert server.calls[-2:] == ["stop cd-7", "delete cd-7"]
        assert server.campaigns == {}
    state = read_ledger(tmp_path / "ledger.jsonl")
    assert state.unresolved == [] and state.pending == []


def test_session_start_policy_refuses_a_live_start_without_allow_sends(tmp_path: Path) -> None:
    from kore_contract.run.session import ContractSession

    live = SessionOptions(base_url=LIVE, allow_writes=True, token="x.y.z", report_dir=tmp_path)
    with ContractSession(live, target=Target(LIVE, "st", "acc", "app", "x.y.z")) as session:
        refusal = session.start_policy(["Billing customers"])  # no request is sent
    assert refusal is not None and "--allow-sends" in refusal
    local = SessionOptions(base_url="http://127.0.0.1:9", token="x.y.z", report_dir=tmp_path)
    target = Target("http://127.0.0.1:9", "st", "acc", "app", "x.y.z")
    with ContractSession(local, target=target) as session:
        assert session.start_policy(["Billing customers"]) is None


def test_summary_says_why_the_start_rules_were_not_exercised(tmp_path: Path) -> None:
    from kore_contract.run.console import print_summary
    from kore_contract.run.results import RunInfo
    from kore_contract.run.runner import NOT_PLANNED, build_result

    reason = "not started: pass --allow-sends (or KORE_ALLOW_SENDS=1)"
    info = RunInfo(
        base_url=LIVE,
        target="live",
        stream_id="st",
        account_id="acc",
        seed=0,
        max_examples=1,
        started_at="2026-01-01T00:00:00.000Z",
        finished_at="2026-01-01T00:00:01.000Z",
        duration_s=1.0,
        requests=0,
    )
    result = build_result(
        [], run=info, secrets=(), not_exercised={rule: reason for rule in ("T2", "T3", "T5")}
    )
    assert {
        row.id: row.to_json().get("reason") for row in result.rules if row.id in ("T2", "T4")
    } == {"T2": reason, "T4": NOT_PLANNED}  # every row not exercised says why
    out = io.StringIO()
    print_summary(result, out, [])
    assert f"not exercised (T2, T3, T5): {reason}" in out.getvalue()


def test_family_cases_join_the_plan_and_name_the_suite_tests_of_each_new_rule() -> None:
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.run import planning
    from kore_contract.run.checks import SUITE_TESTS
    from kore_contract.run.runner import planned_rules

    target = Target("http://planning.invalid", "st", "acc", "app", "x.y.z")
    plan = planning.plan_cases(
        target, load_fixture(), max_examples=1, seed=0, client_id="c", client_secret="s" * 32
    )
    by_rule: dict[str, list[str]] = {}
    for case in plan:
        for rule in planned_rules(case):
            by_rule.setdefault(rule, []).append(case.id)
    for rule in (
        "C2",
        "C4",
        "U1",
        "U2",
        "U3",
        "T1",
        "T2",
        "T3",
        "T4",
        "T5",
        "T6",
        "Q1",
        "L1",
        "L2",
        "L3",
    ):
        assert rule in SUITE_TESTS and by_rule.get(rule), rule  # a suite test, with cases
    assert "family-template-lifecycle" in by_rule["T2"]
    assert "status-unknown-campaign" in by_rule["U3"]
    assert any(case_id.startswith("list-breaks-l1-") for case_id in by_rule["L1"])


def test_bundled_example_fixture_marks_no_list_sendable() -> None:
    """The example fixture is what a live run uses when no --fixture is given: if it marked a
    list sendable, `--allow-sends` on a live URL would start campaigns on a list of that name in
    a real account. Sendable lists come only from the user's own fixture (issue 12 item 6)."""
    from kore_contract.contract.fixture import load_fixture

    bundled = load_fixture()
    assert bundled.contact_lists  # it is a usable fixture...
    assert bundled.sendable_contact_lists == ()  # ...that sends to no one
