"""Issue 12 item 6: starts only where allowed; cleanup stops an Active campaign before deleting
it; the ledger records starts and stops; a possibly created campaign is found by name.

The server here is a small stateful HTTP server on 127.0.0.1 (create, start/stop, delete
refused while Active, list), independent of the embedded mock.
"""

from __future__ import annotations

import io
import json
import os
import re
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


class _Handler(BaseHTTPRequestHandler):
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
        return json.loads(self.rfile.read(length) or b"{}")

    def do_POST(self) -> None:
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        campaigns, body = self.server.campaigns, self._read()
        trigger = re.search(r"/(?:trigger/)?([^/]+)$", split.path)  # both URL shapes
        if split.path.endswith("/campaign"):
            campaign_id = f"cd-{len(campaigns) + 1}"
            campaigns[campaign_id] = {"id": campaign_id, "name": body.get("name"),
                                      "status": "Ready"}
            self.server.calls.append(f"create {campaign_id}")
            self._answer(201, {"status": "success", "data": {"_id": campaign_id,
                                                             "status": "Ready"}})
        elif split.path.endswith("/getAllCampaignDetails"):
            self.server.calls.append("list")
            results = list(campaigns.values())
            self._answer(200, {"status": "success", "message": "", "data": {
                "results": results, "skip": 0, "limit": 50, "hasMore": False,
                "totalPages": 1, "totalResults": len(results)}})
        elif trigger and trigger.group(1) in campaigns:
            campaign, action = campaigns[trigger.group(1)], query.get("trigger")
            self.server.calls.append(f"{action} {trigger.group(1)}")
            if (action == "play") == (campaign["status"] == "Active"):
                self._answer(409, {"errors": [{"msg": "not allowed"}]})
                return
            campaign["status"] = "Active" if action == "play" else "Stopped"
            self._answer(200, {"status": campaign["status"], "message": "ok",
                               "updatedAt": "2026-01-01T00:00:00.000Z"})
        else:
            self._answer(404, {"errors": [{"msg": "not found"}]})

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
            self._answer(200, {"status": "success", "data": {"_id": campaign_id}})

    def do_GET(self) -> None:
        self._answer(404, {"errors": [{"msg": "not found"}]})


@contextmanager
def family_server() -> Iterator[FamilyServer]:
    server = FamilyServer(("127.0.0.1", 0), _Handler)
    server.campaigns, server.calls = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def base_url(server: FamilyServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def cleanup(ledger: Path, url: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_run(["cleanup", "--ledger", str(ledger), "--base-url", url, "--token", "x.y.z",
                    "--timeout", "5"], out, err)
    return code, out.getvalue(), err.getvalue()


# --- the ledger records starts and stops ------------------------------------------------------


def test_ledger_records_a_start_and_a_stop_and_replays_the_state(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    with family_server() as server:
        client = KoreClient(Target(base_url(server), "st", "acc", "app", "x.y.z"),
                            ledger=Ledger(path))
        client.create({"name": "kc1 started"})
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
        client = KoreClient(Target(base_url(server), "st", "acc", "app", "x.y.z"),
                            ledger=Ledger(path))
        client.create({"name": "kc1"})
        client.start("cd-1")
        assert client.start("cd-1").status == 409
        client.close()
    assert sum("started" in line for line in path.read_text().splitlines()) == 1


def test_run_end_cleanup_stops_an_active_campaign_before_deleting_it(tmp_path: Path) -> None:
    with family_server() as server:
        client = KoreClient(Target(base_url(server), "st", "acc", "app", "x.y.z"),
                            ledger=Ledger(tmp_path / "ledger.jsonl"))
        client.create({"name": "kc1"})
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
        client.create({{"name": "kc1 killed while active"}})
        client.start("cd-1")
        print("active", flush=True)
        time.sleep(60)
    """)
    with family_server() as server:
        url = base_url(server)
        process = subprocess.Popen([sys.executable, "-c", script, url], stdout=subprocess.PIPE,
                                   text=True)
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


def test_cleanup_finds_a_possibly_created_campaign_by_name_and_deletes_it(
        tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    with family_server() as server:
        url = base_url(server)
        server.campaigns["cd-9"] = {"id": "cd-9", "name": "kc2 lost answer", "status": "Active"}
        server.campaigns["cd-8"] = {"id": "cd-8", "name": "someone else's", "status": "Ready"}
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
    assert start_refusal(options, LIVE, False, ["test phones", "customers"],
                         ("test phones",)) is not None
    assert start_refusal(options, LIVE, False, ["customers"], ("test phones",)) is not None
    assert start_refusal(options, LIVE, False, [], ("test phones",)) is not None
    assert start_refusal(options, LIVE, False, None, ("test phones",)) is not None


def test_allow_sends_option_and_environment_in_both_shells(
        monkeypatch: pytest.MonkeyPatch) -> None:
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
