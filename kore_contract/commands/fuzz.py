"""`kore-contract fuzz --count N --out DIR`: write generated create bodies and a manifest."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

HELP = "write generated create bodies (valid, or each breaking one rule) and a manifest"
DESCRIPTION = """\
Write N payload files to DIR, drawn from the Hypothesis strategies of the spec, and
DIR/manifest.json mapping each file name to {"valid": true} or, for a body that
breaks a rule, {"valid": false, "rule": "R7", "pointer": "/priority"}.

Without --invalid every file is a valid create body. With --invalid every file
breaks exactly one rule (R1 to R13, R15), the rules taking turns; files breaking
R1 may be no JSON at all or carry a duplicated key. R10 (the message is the
template's registered body) can only be broken with --fixture.

The same --seed writes the same files, byte for byte. Without --seed a random seed
is chosen and printed. Files a previous run listed in DIR/manifest.json are
removed first; other files in DIR are left alone.

examples:
  kore-contract fuzz --count 500 --out corpus/valid --seed 1
  kore-contract fuzz --count 1000 --out corpus/invalid --invalid --fixture account.json
  kore-contract validate corpus/valid --fixture account.json
"""

MANIFEST = "manifest.json"
PROGRESS_FROM = 200  # files; below this a progress bar only flickers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--count", type=int, required=True, metavar="N",
                        help="how many payload files to write")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder to write them to (created if missing)")
    parser.add_argument("--invalid", action="store_true",
                        help="every file breaks exactly one rule, spread over all the rules")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="seed: the same seed writes the same files (default: random)")
    parser.add_argument("--fixture", metavar="F", default=os.environ.get("KORE_FIXTURE"),
                        help="the account's fixture (JSON): contact lists, templates and caller "
                             "ids come from it, and R4/R10 can be broken against it")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (there is none unless stderr is a terminal)")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.count < 1:
        err.write(f"kore-contract fuzz: --count={args.count}: must be at least 1\n")
        return 2
    from kore_contract.contract.fixture import FixtureError, load_fixture

    fixture = None
    if args.fixture:
        try:
            fixture = load_fixture(args.fixture)
        except FixtureError as error:
            err.write(f"kore-contract fuzz: {error}\n")
            return 2
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    folder = Path(args.out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_previous(folder)
    except OSError as error:
        err.write(f"kore-contract fuzz: --out={args.out}: {error.strerror or error}\n")
        return 2
    try:
        manifest = _write(folder, args.count, seed=seed, invalid=args.invalid, fixture=fixture,
                          progress=_progress_wanted(args, err), err=err)
    except FixtureError as error:
        err.write(f"kore-contract fuzz: {error}\n")
        return 2
    broken = sum(1 for entry in manifest.values() if not entry["valid"])
    rules = sorted({str(e["rule"]) for e in manifest.values() if not e["valid"]},
                   key=lambda r: int(r[1:]))
    what = f"{broken} invalid ({', '.join(rules)})" if args.invalid else f"{len(manifest)} valid"
    out.write(f"wrote {len(manifest)} payloads, {what}, and {MANIFEST} to {folder} "
              f"(seed {seed})\n")
    if args.invalid and fixture is None:
        err.write("kore-contract fuzz: note: R10 needs --fixture (the account's templates); "
                  "no file breaks it\n")
    return 0


def _progress_wanted(args: argparse.Namespace, err: TextIO) -> bool:
    if args.no_progress or args.count < PROGRESS_FROM:
        return False
    return bool(getattr(err, "isatty", lambda: False)())


def _remove_previous(folder: Path) -> None:
    """Delete the files a previous run listed in the manifest (and only those)."""
    import json

    manifest = folder / MANIFEST
    if not manifest.is_file():
        return
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return
    if isinstance(listed, dict):
        for name in listed:
            path = folder / str(name)
            if path.parent == folder and path.is_file():
                path.unlink()
    manifest.unlink()


def _write(folder: Path, count: int, *, seed: int, invalid: bool, fixture: Any,
           progress: bool, err: TextIO) -> dict[str, dict[str, Any]]:
    import json

    from kore_contract.strategies import _broken as broken_bodies
    from kore_contract.strategies import campaigns, generate

    width = len(str(count))
    manifest: dict[str, dict[str, Any]] = {}
    bar = _Progress(count, err) if progress else None

    def tick(_drawn: object) -> None:
        if bar is not None:
            bar.advance()

    def write(index: int, label: str, data: bytes, entry: dict[str, Any]) -> None:
        name = f"{index + 1:0{width}d}-{label}.json"
        (folder / name).write_bytes(data)
        manifest[name] = entry

    try:
        if not invalid:
            bodies = generate(campaigns(fixture), count, seed=seed, on_example=tick)
            for index, body in enumerate(bodies):
                write(index, "valid", broken_bodies.dump(body), {"valid": True})
        else:
            rules = broken_bodies.breakable_rules(fixture)
            turns = [rules[i % len(rules)] for i in range(count)]
            drawn: dict[str, list[broken_bodies.Broken]] = {}
            for number, rule in enumerate(rules):
                wanted = turns.count(rule)
                if wanted:  # each rule its own seed: a rule's files do not depend on N
                    drawn[rule] = generate(
                        broken_bodies.broken_campaigns(fixture, rule), wanted,
                        seed=seed * 100 + number, on_example=tick)[::-1]
            for index, rule in enumerate(turns):
                case = drawn[rule].pop()
                write(index, rule, case.to_bytes(),
                      {"valid": False, "rule": case.rule, "pointer": case.pointer})
    finally:
        if bar is not None:
            bar.close()
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


class _Progress:
    """A rich progress bar on stderr, for large counts on a terminal."""

    def __init__(self, total: int, err: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress("writing payloads", BarColumn(), MofNCompleteColumn(),
                                  TimeRemainingColumn(), console=Console(file=err),
                                  transient=True)
        self._task = self._progress.add_task("fuzz", total=total)
        self._progress.start()

    def advance(self) -> None:
        self._progress.advance(self._task)

    def close(self) -> None:
        self._progress.stop()
