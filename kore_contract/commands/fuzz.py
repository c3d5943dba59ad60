"""`kore-contract fuzz --count N --out DIR [--call create|update|list] [--variant V]`: write
generated request bodies and a manifest."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

HELP = "write generated request bodies (valid, or each breaking one rule) and a manifest"
DESCRIPTION = """\
Write N payload files to DIR, drawn from the Hypothesis strategies of the spec, and
DIR/manifest.json mapping each file name to {"valid": true} or, for a body that
breaks a rule, {"valid": false, "rule": "R7", "pointer": "/priority"}.

--call names the call whose request bodies to write: create (the default), update
or list. Create bodies are of the template variant unless --variant names another
(template, plain, advanced); update bodies are of any variant, in turn, unless
--variant names one. With --variant the manifest's entries name it (and C1 can be
broken: a body of another variant); for update and list they name the call. Check
them with the same options: kore-contract validate DIR --call C [--variant V].

Without --invalid every file is a valid body. With --invalid every file breaks
exactly one rule, the rules taking turns (create: R1 to R13, R15, with C2 for plain
and C3 for advanced; list: L1's clauses); files breaking R1 may be no JSON at all or
carry a duplicated key. R10 (the message is the template's registered body) and an
unknown contact list or experience flow can only be broken with --fixture.

The same --seed writes the same files, byte for byte. Without --seed a random seed
is chosen and printed. Files a previous run listed in DIR/manifest.json are
removed first; other files in DIR are left alone.

examples:
  kore-contract fuzz --count 500 --out corpus/valid --seed 1
  kore-contract fuzz --count 1000 --out corpus/invalid --invalid --fixture account.json
  kore-contract fuzz --count 200 --out corpus/advanced --variant advanced --fixture account.json
  kore-contract fuzz --count 300 --out corpus/list --call list --invalid
  kore-contract validate corpus/valid --fixture account.json
"""

#: The calls whose request bodies can be written (the spec's calls with a JSON body).
CALLS = ("create", "update", "list")
#: The calls whose bodies are campaigns (of a variant, C1).
CAMPAIGN_CALLS = ("create", "update")

MANIFEST = "manifest.json"
PROGRESS_FROM = 200  # files; below this a progress bar only flickers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--count", type=int, required=True, metavar="N", help="how many payload files to write"
    )
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="folder to write them to (created if missing)"
    )
    parser.add_argument(
        "--call",
        default="create",
        metavar="CALL",
        help="create (default), update or list: whose request bodies to write",
    )
    parser.add_argument(
        "--variant",
        default=None,
        metavar="V",
        help="template, plain or advanced: the create/update variant to write "
        "(default: template for create, any for update)",
    )
    parser.add_argument(
        "--invalid",
        action="store_true",
        help="every file breaks exactly one rule, spread over all the rules",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="seed: the same seed writes the same files (default: random)",
    )
    parser.add_argument(
        "--fixture",
        metavar="F",
        default=os.environ.get("KORE_FIXTURE"),
        help="the account's fixture (JSON): contact lists, templates and caller "
        "ids come from it, and R4/R10 can be broken against it",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (there is none unless stderr is a terminal)",
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.count < 1:
        err.write(f"kore-contract fuzz: --count={args.count}: must be at least 1\n")
        return 2
    if args.call not in CALLS:
        err.write(f"kore-contract fuzz: --call={args.call}: expected one of {', '.join(CALLS)}\n")
        return 2
    if args.variant is not None:
        from kore_contract.contract import spec

        if args.call not in CAMPAIGN_CALLS:
            err.write(
                f"kore-contract fuzz: --variant={args.variant}: a variant is of "
                f"{' and '.join(CAMPAIGN_CALLS)} bodies, not of --call {args.call}\n"
            )
            return 2
        if args.variant not in spec.variant_names():
            err.write(
                f"kore-contract fuzz: --variant={args.variant}: expected one of "
                f"{', '.join(spec.variant_names())}\n"
            )
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
        manifest = _write(
            folder,
            args.count,
            seed=seed,
            invalid=args.invalid,
            fixture=fixture,
            call=args.call,
            variant=args.variant,
            progress=_progress_wanted(args, err),
            err=err,
        )
    except FixtureError as error:
        err.write(f"kore-contract fuzz: {error}\n")
        return 2
    from kore_contract.contract.rules import RULES

    broken = sum(1 for entry in manifest.values() if not entry["valid"])
    rules = sorted(
        {str(e["rule"]) for e in manifest.values() if not e["valid"]}, key=list(RULES).index
    )
    what = f"{broken} invalid ({', '.join(rules)})" if args.invalid else f"{len(manifest)} valid"
    kind = _kind(args.call, args.variant)
    out.write(
        f"wrote {len(manifest)} payloads{f' ({kind})' if kind else ''}, {what}, and "
        f"{MANIFEST} to {folder} (seed {seed})\n"
    )
    if (
        args.invalid
        and fixture is None
        and args.call in CAMPAIGN_CALLS
        and args.variant in (None, "template")
    ):
        err.write(
            "kore-contract fuzz: note: R10 needs --fixture (the account's templates); "
            "no file breaks it\n"
        )
    return 0


def _kind(call: str, variant: str | None) -> str:
    """What the files are, where it is not part 1's create bodies: "update, any variant"."""
    if call == "create" and variant is None:
        return ""
    if call not in CAMPAIGN_CALLS:
        return f"{call} bodies"
    return f"{call} bodies, {variant or 'any'} variant"


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


def _write(
    folder: Path,
    count: int,
    *,
    seed: int,
    invalid: bool,
    fixture: Any,
    call: str,
    variant: str | None,
    progress: bool,
    err: TextIO,
) -> dict[str, dict[str, Any]]:
    import json

    from kore_contract.strategies import _broken as broken_bodies
    from kore_contract.strategies import generate

    width = len(str(count))
    manifest: dict[str, dict[str, Any]] = {}
    bar = _Progress(count, err) if progress else None
    labels = {
        **({"call": call} if call != "create" else {}),
        **({"variant": variant} if variant is not None else {}),
    }

    def tick(_drawn: object) -> None:
        if bar is not None:
            bar.advance()

    def write(index: int, label: str, data: bytes, entry: dict[str, Any]) -> None:
        name = f"{index + 1:0{width}d}-{label}.json"
        (folder / name).write_bytes(data)
        manifest[name] = {**entry, **labels}

    try:
        if not invalid:
            bodies = generate(
                _valid_bodies(call, variant, fixture), count, seed=seed, on_example=tick
            )
            for index, body in enumerate(bodies):
                write(index, "valid", broken_bodies.dump(body), {"valid": True})
        else:
            turns_of = _broken_turns(call, variant, fixture)
            keys = list(turns_of)
            turns = [keys[i % len(keys)] for i in range(count)]
            drawn: dict[str, list[broken_bodies.Broken]] = {}
            for number, key in enumerate(keys):
                wanted = turns.count(key)
                if wanted:  # each rule its own seed: a rule's files do not depend on N
                    drawn[key] = generate(
                        turns_of[key](), wanted, seed=seed * 100 + number, on_example=tick
                    )[::-1]
            for index, key in enumerate(turns):
                case = drawn[key].pop()
                write(
                    index,
                    case.rule,
                    case.to_bytes(),
                    {"valid": False, "rule": case.rule, "pointer": case.pointer},
                )
    finally:
        if bar is not None:
            bar.close()
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def _valid_bodies(call: str, variant: str | None, fixture: Any) -> Any:
    from kore_contract.strategies import _list, _valid

    if call == "list":
        return _list.list_requests()
    chosen = _valid.check_variant(variant) if variant is not None else None
    if call == "update":
        return _valid.updates(fixture, chosen)
    return _valid.campaigns(fixture, chosen)


def _broken_turns(call: str, variant: str | None, fixture: Any) -> dict[str, Any]:
    """What takes turns, key -> a strategy factory: each rule (create, or update with a
    variant); each rule of each variant (update of any variant: not insisted on, so no
    C1); each clause of L1 (list)."""
    import functools

    from kore_contract.contract import rules, spec
    from kore_contract.strategies import _broken, _list, _valid

    if call == "list":
        return {
            f"{rule}:{breaker.case}": functools.partial(_one_breaker, breaker)
            for rule, found in _list.list_breakers().items()
            for breaker in found
        }
    if call == "update" and variant is None:
        pairs = [
            (rule, name)
            for name in spec.variant_names()
            for rule in _broken.breakable_rules(fixture, name)
            if rule != "C1"
        ]
        order = list(rules.RULES)
        pairs.sort(key=lambda pair: order.index(pair[0]))  # stable: variants in spec order
        return {
            f"{rule}:{name}": functools.partial(
                _not_insisted, functools.partial(_broken.broken_campaigns, fixture, rule, name)
            )
            for rule, name in pairs
        }
    chosen = _valid.check_variant(variant) if variant is not None else None
    return {
        rule: functools.partial(_broken.broken_campaigns, fixture, rule, chosen)
        for rule in _broken.breakable_rules(fixture, chosen)
    }


def _one_breaker(breaker: Any) -> Any:
    from kore_contract.strategies import _list

    return breaker.strategy(_list.list_requests())


def _not_insisted(factory: Any) -> Any:
    """Broken bodies of a variant for a file checked without --variant (C1 reads it)."""
    import dataclasses

    return factory().map(lambda broken: dataclasses.replace(broken, variant=None))


class _Progress:
    """A rich progress bar on stderr, for large counts on a terminal."""

    def __init__(self, total: int, err: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "writing payloads",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(file=err),
            transient=True,
        )
        self._task = self._progress.add_task("fuzz", total=total)
        self._progress.start()

    def advance(self) -> None:
        self._progress.advance(self._task)

    def close(self) -> None:
        self._progress.stop()
