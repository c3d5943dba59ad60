"""Read an API documentation page (Markdown) into what `trace` compares.

Generic Markdown reading, no knowledge of this API: headings (their GitHub-style slugs name
the sections, as the spec's `x-source` does), pipe tables, fenced code blocks, the
`Endpoint` row of the page's key/value table, and the samples: the JSON a curl command
sends (`--data '...'`) and the JSON code block under a "Sample Response" heading.

A page is read only if it is a regular file of at most MAX_DOCUMENT_BYTES; a sample that
looks like JSON but is no usable JSON (a missing comma, a NaN, nested deeper than
MAX_SAMPLE_DEPTH, an integer too long to convert) is kept as a `BrokenSample`, not dropped.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

Role = Literal["path", "query", "header", "request", "response", "other"]

HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w-]*)")
DELIMITER_CELL = re.compile(r"^\s*:?-+:?\s*$")
CODE_SPAN = re.compile(r"`([^`]+)`")
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}|\{(\w+)\}")
# Section words, in priority order ("Response Body Parameters" is a response table).
ROLE_WORDS: tuple[tuple[str, Role], ...] = (
    ("respons", "response"),
    ("body", "request"),
    ("path", "path"),
    ("quer", "query"),
    ("header", "header"),
    ("request", "request"),
)
#: A documentation page is a few tens of KB.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
#: A sample nested deeper than this is not traced (a documented payload nests a few levels;
#: the validator and the path walk must be able to walk what is traced).
MAX_SAMPLE_DEPTH = 32


class UnreadablePage(Exception):
    """A document that cannot be traced; the message says why (one line)."""


@dataclass(frozen=True)
class Row:
    name: str  # the parameter cell, as spelled ("data.dncLists"), markup removed
    description: str  # the description cell, markup removed
    type: str  # the type cell ("string, required"), or ""
    code_spans: tuple[str, ...]  # `words` in the description cell


@dataclass(frozen=True)
class Table:
    section: str  # slug of the heading above it ("body-parameters")
    heading: str  # the heading as written ("Body Parameters")
    role: Role
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Sample:
    section: str  # "sample-request"
    role: Role  # "request", "response" or "other"
    payload: Any  # the parsed JSON
    text: str  # the JSON as written (for the strict loader)


@dataclass(frozen=True)
class BrokenSample:
    """A code block (or curl `--data`) that looks like JSON but is no usable JSON."""

    section: str
    role: Role
    reason: str  # "not JSON: Expecting ',' delimiter (line 63, column 9)"


@dataclass(frozen=True)
class Endpoint:
    method: str  # "POST", or "" when the page does not say
    url: str  # as written, `\&` unescaped
    path_params: tuple[str, ...]  # placeholders in host and path, in order
    query_params: tuple[str, ...]


@dataclass
class Document:
    path: Path
    name: str  # file name ("create-sms-campaign-using-template-v2.md")
    tables: list[Table] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    broken_samples: list[BrokenSample] = field(default_factory=list)
    endpoint: Endpoint | None = None
    sent_headers: list[tuple[str, str]] = field(default_factory=list)  # (section, name)

    def tables_of(self, role: Role) -> list[Table]:
        return [table for table in self.tables if table.role == role]

    def sample_of(self, role: Role) -> Sample | None:
        return next((sample for sample in self.samples if sample.role == role), None)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: `Body Parameters` -> `body-parameters`."""
    text = re.sub(r"[^\w\- ]", "", plain(heading).lower())
    return text.strip().replace(" ", "-")


def plain(cell: str) -> str:
    """Cell text without Markdown emphasis, code ticks and `<br>`."""
    text = re.sub(r"<br\s*/?>", " ", cell)
    text = text.replace("**", "").replace("`", "").replace("\\|", "|")
    return " ".join(text.split())


def role_of(section: str) -> Role:
    words = section.split("-")
    for prefix, role in ROLE_WORDS:
        if any(word.startswith(prefix) for word in words):
            return role
    return "other"


def read_document(path: Path) -> Document:
    """Parse one page; raise `UnreadablePage` (one-line reason) when there is nothing to trace.

    Read by the loader (`read_bytes`): only a regular file is opened, so a FIFO, /dev/zero
    or a folder is refused at once, and at most MAX_DOCUMENT_BYTES of it."""
    from kore_contract.contract import loader

    data = loader.read_bytes(path, limit=MAX_DOCUMENT_BYTES)
    if isinstance(data, loader.Unreadable):
        raise UnreadablePage(data.reason)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadablePage(
            f"not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None
    document = parse_markdown(text, path)
    if not document.tables and not document.samples and not document.broken_samples:
        raise UnreadablePage("no Markdown table and no JSON sample: nothing to trace")
    return document


def parse_markdown(text: str, path: Path = Path("-")) -> Document:
    document = Document(path=path, name=path.name)
    for section, heading, kind, payload in _blocks(text.splitlines()):
        if kind == "table":
            _add_table(document, section, heading, payload)
        else:
            _add_code(document, section, payload)
    return document


def _blocks(lines: list[str]) -> Iterator[tuple[str, str, str, list[str]]]:
    """(section slug, heading, "table" | "code", lines) in document order."""
    heading, index = "", 0
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if fence:
            body, index = _fenced(lines, index, fence.group(1))
            yield slug(heading), heading, "code", body
            continue
        match = HEADING.match(line)
        if match:
            heading = match.group(2)
        elif _is_table_start(lines, index):
            caption = lines[index - 1].strip() if index else ""
            if caption and "|" not in caption and len(caption) <= 60:
                heading = caption  # a caption line right above, where a page lacks '#'
            end = index + 2
            while end < len(lines) and "|" in lines[end] and lines[end].strip():
                end += 1
            yield slug(heading), heading, "table", lines[index:end]
            index = end
            continue
        index += 1


def _fenced(lines: list[str], start: int, marker: str) -> tuple[list[str], int]:
    """The body of the fence opened at `start`, and the index after it. A line that ends
    with the marker closes the block too (`}````, as some pages write it)."""
    body: list[str] = []
    for index in range(start + 1, len(lines)):
        stripped = lines[index].rstrip()
        if stripped.endswith(marker):
            rest = stripped[: -len(marker)]
            if rest.strip():
                body.append(rest)
            return body, index + 1
        body.append(lines[index])
    return body, len(lines)


def split_row(line: str) -> list[str]:
    text = line.strip()
    text = text[1:] if text.startswith("|") else text
    text = text[:-1] if text.endswith("|") and not text.endswith("\\|") else text
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", text)]


def _is_table_start(lines: list[str], index: int) -> bool:
    if index + 1 >= len(lines) or "|" not in lines[index]:
        return False
    delimiter = split_row(lines[index + 1])
    return (
        "-" in lines[index + 1]
        and all(DELIMITER_CELL.match(cell) for cell in delimiter)
        and len(delimiter) == len(split_row(lines[index]))
    )


def _add_table(document: Document, section: str, heading: str, lines: list[str]) -> None:
    header = [plain(cell).lower() for cell in split_row(lines[0])]
    cells = [split_row(line) for line in lines[2:]]
    keys = {plain(row[0]).lower(): row for row in cells if row}
    if "endpoint" in keys or "endpoint" in header:
        _add_endpoint(document, header, keys)
        return
    if len(header) < 2:
        return
    described = _column(header, "description", 1)
    typed = _column(header, "type", -1)
    rows = tuple(
        Row(
            name=plain(row[0]),
            description=plain(_cell(row, described)),
            type=plain(_cell(row, typed)),
            code_spans=tuple(CODE_SPAN.findall(_cell(row, described))),
        )
        for row in cells
        if row and plain(row[0])
    )
    document.tables.append(Table(section, heading, role_of(section), rows))


def _column(header: list[str], word: str, default: int) -> int:
    return next((i for i, cell in enumerate(header) if word in cell), default)


def _cell(row: list[str], index: int) -> str:
    return row[index] if 0 <= index < len(row) else ""


def _add_endpoint(document: Document, header: list[str], keys: dict[str, list[str]]) -> None:
    method = plain(_cell(keys.get("method", []), 1)) or (
        header[1].upper() if header and header[0] == "method" and len(header) > 1 else ""
    )
    url = plain(_cell(keys.get("endpoint", []), 1)).replace("\\&", "&")
    if url:
        document.endpoint = endpoint(method.upper(), url)


def endpoint(method: str, url: str) -> Endpoint:
    """Placeholders of a URL template: `{{host}}` and `{{streamId}}` are path parameters,
    `?accountId={{accountId}}` is a query parameter."""
    split = urlsplit(url)
    in_path = [a or b for a, b in PLACEHOLDER.findall(split.netloc + split.path)]
    query = [name for name, _ in parse_qsl(split.query, keep_blank_values=True)]
    return Endpoint(method, url, tuple(in_path), tuple(query))


def _add_code(document: Document, section: str, body: list[str]) -> None:
    text = "\n".join(body).strip()
    sample_role: Role = role_of(section) if "sample" in section.split("-") else "other"
    if sample_role not in ("request", "response"):
        sample_role = "other"
    if text.startswith("curl"):
        _add_curl(document, section, text)
        return
    _add_sample(document, section, sample_role, text)


def _add_sample(document: Document, section: str, role: Role, text: str) -> None:
    """A JSON object is a sample; text that looks like JSON (it opens with `{` or `[`) but is
    no usable JSON, read as the validator reads a payload (`loader.parse_json`), or nests
    deeper than MAX_SAMPLE_DEPTH, is a broken sample; anything else is not a sample."""
    from kore_contract.common.files import nesting
    from kore_contract.contract import loader

    if not text.lstrip().startswith(("{", "[")):
        return
    parsed = loader.parse_json(text)
    if isinstance(parsed, loader.Unreadable):
        document.broken_samples.append(BrokenSample(section, role, parsed.reason))
        return
    depth = nesting(parsed.payload)
    if depth > MAX_SAMPLE_DEPTH:
        document.broken_samples.append(
            BrokenSample(
                section,
                role,
                f"nested too deeply to trace ({depth} levels; at most "
                f"{MAX_SAMPLE_DEPTH} are traced)",
            )
        )
    elif isinstance(parsed.payload, dict):
        document.samples.append(Sample(section, role, parsed.payload, text))


def _add_curl(document: Document, section: str, text: str) -> None:
    """The headers a curl command sends and the JSON of its `--data`."""
    try:
        words = shlex.split(text.replace("\\\n", " "))
    except ValueError:
        return
    for option, value in itertools.pairwise(words):
        if option in ("--header", "-H"):
            document.sent_headers.append((section, value.partition(":")[0].strip()))
        elif option in ("--data", "--data-raw", "--data-binary", "-d"):
            _add_sample(document, section, "request", value)
