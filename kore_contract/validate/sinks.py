"""Where `validate --jsonl` results go, in line order, as the lines are checked: the text
(`FILE:LINE: R2 /name: message`, one line per violation, warning or unreadable line; valid
lines only counted), docs/design.md's JSON (one result per line, spooled so that the summary
comes first), or JUnit XML (one test case per line, made at the end). A `Tally` counts what
was found and gives the exit status.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from kore_contract.common.escape import JSON_UNSAFE
from kore_contract.validate.batch import Compact, _expand
from kore_contract.validate.messages import printable
from kore_contract.validate.output import _json_safe, _more_lines, render_junit, shown_name

#: Bytes of spooled JSON copied out at a time.
_COPY = 1 << 20


@dataclass
class Tally:
    """What a run found, counted as it goes."""

    valid: int = 0
    invalid: int = 0
    unreadable: int = 0
    blank: int = 0
    files: set[str] = field(default_factory=set)
    unread_files: int = 0  # files that could not be read at all (among `unreadable`)

    @property
    def results(self) -> int:
        return self.valid + self.invalid + self.unreadable

    def exit_code(self) -> int:
        if self.unreadable:
            return 2
        return 1 if self.invalid else 0

    def summary(self) -> dict[str, int]:
        """docs/design.md's summary: `files` counts the results (lines, and files that
        could not be read)."""
        return {
            "files": self.results,
            "valid": self.valid,
            "invalid": self.invalid,
            "unreadable": self.unreadable,
        }


@dataclass(frozen=True)
class Rendered:
    """A chunk of lines as the sink writes it, made where the chunk was checked (a worker):
    the text, and what it counts."""

    text: str
    valid: int
    invalid: int
    unreadable: int
    blank: int


#: A line with something to say: (its offset in the chunk, what `batch._check` said).
Said = list[tuple[int, Compact]]


class Sink:
    """Where results go, in line order."""

    def __init__(self, out: TextIO, *, color: bool = False) -> None:
        self.out = out
        self.color = color
        self.tally = Tally()

    def valid(self, where: str) -> None:
        self.tally.valid += 1

    def result(self, result: dict[str, Any]) -> None:
        status = result["status"]
        if status == "valid":
            self.tally.valid += 1
        elif status == "invalid":
            self.tally.invalid += 1
        else:
            self.tally.unreadable += 1

    def finish(self) -> None:
        pass

    def render(
        self, name: str, first: int, count: int, blanks: list[int], said: Said
    ) -> Rendered | None:
        """A chunk's `count` lines (the first numbered `first`), as this sink writes them,
        without touching the sink (a worker calls it); None: this sink takes each result
        (`valid`, `result`)."""
        return None

    def add(self, rendered: Rendered) -> None:
        """Write a rendered chunk, and count it."""
        tally = self.tally
        tally.valid += rendered.valid
        tally.invalid += rendered.invalid
        tally.unreadable += rendered.unreadable
        tally.blank += rendered.blank
        self.write(rendered.text)

    def write(self, text: str) -> None:
        self.out.write(text)


def _counted(count: int, blanks: list[int], said: Said, text: str) -> Rendered:
    statuses = [compact[0] for _, compact in said if compact is not None]
    invalid, unreadable = statuses.count("invalid"), statuses.count("unreadable")
    valid = count - len(blanks) - invalid - unreadable
    return Rendered(text, valid, invalid, unreadable, len(blanks))


_RED, _YELLOW, _BOLD, _RESET = "\033[31m", "\033[33m", "\033[1m", "\033[0m"


class TextSink(Sink):
    """`FILE:LINE: R2 /name: message`, one line per violation, warning or unreadable line;
    valid lines are only counted; then a summary."""

    def result(self, result: dict[str, Any]) -> None:
        super().result(result)
        self.out.write("".join(line + "\n" for line in self.lines(result)))

    def render(
        self, name: str, first: int, count: int, blanks: list[int], said: Said
    ) -> Rendered | None:
        text = "".join(
            line + "\n"
            for offset, compact in said
            for line in self.lines(_expand(f"{name}:{first + offset}", compact))
        )
        return _counted(count, blanks, said, text)

    def lines(self, result: dict[str, Any]) -> list[str]:
        where = printable(shown_name(str(result["path"])))
        if result["status"] == "unreadable":
            return [f"{where}: {self.paint(_RED, 'unreadable')}: {printable(str(result['error']))}"]
        lines = [
            f"{where}: {self.paint(_BOLD, printable(v['rule']))} "
            f"{printable(v['pointer']) or '/'}: {printable(v['message'])}"
            for v in result["violations"]
        ]
        lines += [f"{where}: {more.strip()}" for more in _more_lines(result, "violations")]
        lines += [
            f"{where}: {self.paint(_YELLOW, 'warning')} {printable(w['rule'])} "
            f"{printable(w['pointer']) or '/'}: {printable(w['message'])}"
            for w in result["warnings"]
        ]
        lines += [f"{where}: {more.strip()}" for more in _more_lines(result, "warnings")]
        return lines

    def paint(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text

    def finish(self) -> None:
        tally = self.tally
        lines, files = tally.results - tally.unread_files, len(tally.files)
        line = (
            f"{_plural(lines, 'line')} in {_plural(files, 'file')}: {tally.valid:,} valid, "
            f"{tally.invalid:,} invalid, {tally.unreadable - tally.unread_files:,} unreadable"
        )
        if tally.blank:
            line += f"; {_plural(tally.blank, 'blank line')} skipped"
        if tally.unread_files:
            line += f"; {_plural(tally.unread_files, 'file')} not read"
        self.out.write(line + "\n")


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' if count != 1 else ''}"


_VALID_TAIL = ', "status": "valid", "violations": [], "warnings": [], "error": null}'


class JsonSink(Sink):
    """docs/design.md's JSON, one result per line (path `FILE:LINE`): the results spooled as
    they come (to a temporary file past a few MB), written after the summary."""

    def __init__(self, out: TextIO, *, color: bool = False) -> None:
        super().__init__(out, color=color)
        # Closed by finish(): the sink outlives any one block of code.
        self.spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=16 << 20, mode="w+", encoding="utf-8"
        )
        self.separator = ""

    def valid(self, where: str) -> None:
        super().valid(where)
        self._part('{"path": ' + _string(shown_name(where)) + _VALID_TAIL)

    def result(self, result: dict[str, Any]) -> None:
        super().result(result)
        self._part(self._shown(result))

    def render(
        self, name: str, first: int, count: int, blanks: list[int], said: Said
    ) -> Rendered | None:
        # Each valid line's part is the same but for its number (digits, nothing to escape).
        head = _json_safe('{"path": ' + _string(shown_name(name))[:-1] + ":")
        special = dict(said)
        skip = set(blanks)
        parts = []
        for offset in range(count):
            if offset in skip:
                continue
            compact = special.get(offset)
            if compact is None:
                parts.append(f'{head}{first + offset}"{_VALID_TAIL}')
            else:
                parts.append(_json_safe(self._shown(_expand(f"{name}:{first + offset}", compact))))
        return _counted(count, blanks, said, ", ".join(parts))

    def write(self, text: str) -> None:
        if text:
            self.spool.write(self.separator + text)
            self.separator = ", "

    @staticmethod
    def _shown(result: dict[str, Any]) -> str:
        shown = {key: value for key, value in result.items() if key != "variant"}
        shown["path"] = shown_name(result["path"])
        return json.dumps(shown, ensure_ascii=False)

    def _part(self, text: str) -> None:
        if JSON_UNSAFE.search(text) is not None:
            text = JSON_UNSAFE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)
        self.spool.write(self.separator + text)
        self.separator = ", "

    def finish(self) -> None:
        head = json.dumps({"summary": self.tally.summary()})[:-1]
        self.out.write(f'{head}, "results": [')
        self.spool.seek(0)
        while block := self.spool.read(_COPY):
            self.out.write(block)
        self.spool.close()
        self.out.write("]}\n")


_string: Callable[[str], str] = json.encoder.encode_basestring


class JunitSink(Sink):
    """One test case per line, made at the end (`output.render_junit`)."""

    def __init__(self, out: TextIO, *, color: bool = False) -> None:
        super().__init__(out, color=color)
        self.results: list[dict[str, Any]] = []

    def valid(self, where: str) -> None:
        super().valid(where)
        self.results.append(_expand(where, None))

    def result(self, result: dict[str, Any]) -> None:
        super().result(result)
        self.results.append(result)

    def finish(self) -> None:
        self.out.write(render_junit(self.results))


SINKS: dict[str, type[Sink]] = {"text": TextSink, "json": JsonSink, "junit": JunitSink}
