"""The shortcuts `validate --jsonl` takes for speed give the answers of the long way.

- `explain.explained` explains a payload with no list to cut as it is, not its skeleton:
  the same violations, in the same order, from both engines.
- A worker renders its chunk as the sink writes it (`Sink.render`): the same text and
  counts as the sink given each result.
"""

from __future__ import annotations

import io
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kore_contract.strategies import broken_campaigns, broken_list_requests, campaigns
from kore_contract.validate import explain, jsonl, schemas
from kore_contract.validate.batch import Checking, _expand
from kore_contract.validate.engine import _ReferenceEngine, _RsEngine
from kore_contract.validate.sinks import JsonSink, Sink, TextSink

BODIES = st.one_of(
    campaigns(),
    broken_campaigns().map(lambda broken: broken.payload),
    broken_list_requests().map(lambda broken: broken.payload),
)


def _by_skeleton(payload: Any, kind: schemas.SchemaName, engine: Any) -> list[Any]:
    shape, _ = explain._shapes(kind)
    return explain.collect(engine.errors(explain._skeleton(payload, shape)))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_a_payload_without_a_long_list_is_explained_as_its_skeleton_would_be(body: Any) -> None:
    names = [schemas.variant_schema_name(v) for v in schemas.variants()]
    for name in [*names, schemas.request_schema_name("list")]:
        for engine in (_RsEngine(name), _ReferenceEngine(name)):
            try:
                told = explain.explained(body, name, engine)
            except (ValueError, TypeError, OverflowError):  # the caller's reference fallback
                continue
            assert told[0] == _by_skeleton(body, name, engine)


LINES = [
    b'{"name": "a"}',
    b"",
    b"{",
    b"[1, 2]",
    b'{"name": "caf\\u00e9", "name": 1}',
]


def _one_by_one(sink: Sink, name: str, first: int, checked: jsonl.Checked) -> None:
    count, blanks, said = checked
    special = dict(said)
    for offset in range(count):
        if offset in blanks:
            sink.tally.blank += 1
            continue
        compact = special.get(offset)
        where = f"{name}:{first + offset}"
        if compact is None:
            sink.valid(where)
        else:
            sink.result(_expand(where, compact))


@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=12), st.integers(1, 10**6))
def test_a_rendered_chunk_is_what_the_sink_writes_result_by_result(
    lines: list[bytes], first: int
) -> None:
    data = b"\n".join(lines) + b"\n"
    jsonl._seen.clear()
    checked = jsonl.check_chunk(data, Checking())
    for kind in (TextSink, JsonSink):
        for name in ("bodies.jsonl", "odd \udce9 \x85 name"):
            alone, rendered = io.StringIO(), io.StringIO()
            one, whole = kind(alone), kind(rendered)
            _one_by_one(one, name, first, checked)
            chunk = whole.render(name, first, *checked)
            assert chunk is not None
            whole.add(chunk)
            one.finish()
            whole.finish()
            assert rendered.getvalue() == alone.getvalue()
            assert whole.tally == one.tally
