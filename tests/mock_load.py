"""A bounded load test of a running mock (or any server of the contract).

N client threads post valid and invalid create bodies; then every created campaign is
fetched back. The result says what a conforming server must show: no 5xx, every valid
body created, every created campaign retrievable, no id twice, every invalid body refused.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mock_testing import campaign_url, create_url, curl_headers

TIMEOUT = 30


@dataclass
class LoadResult:
    clients: int
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    created_ids: list[str] = field(default_factory=list)
    valid_not_created: list[tuple[int, str]] = field(default_factory=list)
    invalid_accepted: list[str] = field(default_factory=list)
    not_retrievable: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def duplicate_ids(self) -> list[str]:
        return [i for i, n in Counter(self.created_ids).items() if n > 1]

    @property
    def ok(self) -> bool:
        return not (
            self.server_errors
            or self.valid_not_created
            or self.invalid_accepted
            or self.not_retrievable
            or self.duplicate_ids
            or self.errors
        )

    def summary(self) -> str:
        total = sum(self.statuses.values())
        return (
            f"{total} requests from {self.clients} clients in {self.seconds:.1f} s "
            f"({total / max(self.seconds, 1e-9):.0f}/s); statuses {dict(self.statuses)}; "
            f"created {len(self.created_ids)}, duplicate ids {len(self.duplicate_ids)}, "
            f"valid not created {len(self.valid_not_created)}, invalid accepted "
            f"{len(self.invalid_accepted)}, not retrievable {len(self.not_retrievable)}, "
            f"client errors {len(self.errors)}"
        )


def run_load(
    base_url: str,
    valid: Sequence[bytes],
    invalid: Sequence[bytes],
    *,
    clients: int = 32,
    token: str | None = None,
) -> LoadResult:
    """Post every body (valid and invalid interleaved) from `clients` threads, then get
    every created campaign back."""
    import requests

    headers = curl_headers(token)
    local = threading.local()
    lock = threading.Lock()
    result = LoadResult(clients)
    url = create_url(base_url)

    def session() -> Any:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def post(job: tuple[bool, bytes]) -> None:
        is_valid, body = job
        try:
            answer = session().post(url, data=body, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as error:
            with lock:
                result.errors.append(f"POST: {error}")
            return
        with lock:
            result.statuses[answer.status_code] += 1
            if is_valid and answer.status_code in (200, 201):
                result.created_ids.append(json.loads(answer.content)["data"]["_id"])
            elif is_valid:
                result.valid_not_created.append((answer.status_code, answer.text[:200]))
            elif answer.status_code < 400:
                result.invalid_accepted.append(body[:200].decode("utf-8", "replace"))

    def get(campaign_id: str) -> None:
        try:
            answer = session().get(
                campaign_url(base_url, campaign_id), headers=headers, timeout=TIMEOUT
            )
        except requests.RequestException as error:
            with lock:
                result.errors.append(f"GET: {error}")
            return
        with lock:
            result.statuses[answer.status_code] += 1
            if answer.status_code != 200 or answer.json()["data"]["_id"] != campaign_id:
                result.not_retrievable.append(campaign_id)

    jobs: list[tuple[bool, bytes]] = []
    for index in range(max(len(valid), len(invalid))):  # interleaved
        jobs.extend(
            (kind, found[index])
            for kind, found in ((True, valid), (False, invalid))
            if index < len(found)
        )
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(post, jobs))
        list(pool.map(get, list(dict.fromkeys(result.created_ids))))
    result.seconds = time.perf_counter() - started
    return result


def bodies(count: int, *, seed: int = 0, fixture: Any = None) -> tuple[list[bytes], list[bytes]]:
    """`count` generated valid create bodies and `count` invalid ones (each breaking one
    rule, R1 to R13 spread evenly), the same for the same seed."""
    from kore_contract import strategies
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.strategies import _broken as broken

    fixture = fixture or load_fixture()
    valid = strategies.generate(strategies.campaigns(fixture), count, seed=seed)
    rules = broken.breakable_rules(fixture)
    invalid: list[bytes] = []
    for index, rule in enumerate(rules):
        wanted = count // len(rules) + (1 if index < count % len(rules) else 0)
        try:
            found = strategies.generate(
                broken.broken_campaigns(fixture, rule), wanted, seed=seed + 1 + index
            )
        except Exception:  # a strategy that cannot draw: its deterministic examples instead
            examples = broken.broken_examples(fixture, rule)
            found = [examples[i % len(examples)] for i in range(wanted)]
        invalid.extend(b.to_bytes() for b in found)
    return [json.dumps(b, ensure_ascii=False).encode() for b in valid], invalid
