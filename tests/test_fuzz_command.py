"""`kore-contract fuzz` as a user runs it: files, manifest, rules, seeds, exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from kore_contract.cli import run
from kore_contract.contract import rules
from kore_contract.contract.fixture import load_fixture
from kore_contract.contract.loader import Unreadable
from kore_contract.validate import validate_text

#: Part 1's breakable rules: the family's request clauses (C1-C3, U1, L1) get their
#: breakers with issue 12 item 3.
PART_1_BREAKABLE = tuple(r for r in rules.BREAKABLE_REQUEST_RULES if r not in rules.FAMILY_RULES)

FIXTURE_PATH = (
    Path(__file__).parents[1] / "kore_contract" / "contract" / "data" / "example-fixture.json"
)
FIXTURE = load_fixture(FIXTURE_PATH)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_line(argv: list[str], err: io.StringIO | None = None) -> tuple[int, str, str]:
    """Run `kore-contract ...` in this process: (exit code, stdout, stderr)."""
    assert argv[0] == "kore-contract"
    out, err = io.StringIO(), err or io.StringIO()
    code = run(argv[1:], out, err)
    return code, out.getvalue(), err.getvalue()


def manifest(folder: Path) -> dict[str, dict[str, object]]:
    loaded: dict[str, dict[str, object]] = json.loads((folder / "manifest.json").read_text("utf-8"))
    return loaded


def found(path: Path, fixture: object) -> list[tuple[str, str]]:
    """(rule, pointer) of each violation in a written file; unreadable is R1 at the root."""
    result = validate_text(path.read_bytes(), fixture=fixture)  # type: ignore[arg-type]
    if isinstance(result, Unreadable):
        return [("R1", "")]
    return sorted((v.rule, v.pointer) for v in result.violations)


def test_R_fuzz_writes_count_valid_files_and_a_manifest(tmp_path: Path) -> None:
    code, out, err = run_line(
        ["kore-contract", "fuzz", "--count", "25", "--out", str(tmp_path), "--seed", "1"]
    )
    assert (code, err) == (0, "")
    assert out == f"wrote 25 payloads, 25 valid, and manifest.json to {tmp_path} (seed 1)\n"
    entries = manifest(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*entries, "manifest.json"])
    assert len(entries) == 25
    for name, entry in entries.items():
        assert entry == {"valid": True}
        assert found(tmp_path / name, None) == [], name


def test_R4_R10_fuzz_with_a_fixture_writes_bodies_valid_in_the_account(tmp_path: Path) -> None:
    code, _, _ = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "20",
            "--out",
            str(tmp_path),
            "--seed",
            "2",
            "--fixture",
            str(FIXTURE_PATH),
        ]
    )
    assert code == 0
    for name in manifest(tmp_path):
        assert found(tmp_path / name, FIXTURE) == [], name


def test_R_fuzz_invalid_breaks_exactly_the_manifest_rule_at_its_pointer(tmp_path: Path) -> None:
    count = 3 * len(PART_1_BREAKABLE)
    code, out, err = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            str(count),
            "--out",
            str(tmp_path),
            "--invalid",
            "--seed",
            "3",
            "--fixture",
            str(FIXTURE_PATH),
        ]
    )
    assert (code, err) == (0, "")
    entries = manifest(tmp_path)
    assert len(entries) == count
    broken = [str(entry["rule"]) for entry in entries.values()]
    assert sorted(set(broken)) == sorted(PART_1_BREAKABLE)  # spread over all
    assert all(broken.count(rule) == 3 for rule in PART_1_BREAKABLE)
    for name, entry in entries.items():
        assert entry["valid"] is False and set(entry) == {"valid", "rule", "pointer"}
        assert name.endswith(f"-{entry['rule']}.json")
        assert found(tmp_path / name, FIXTURE) == [(entry["rule"], entry["pointer"])], name
    assert "R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R15" in out


def test_R10_fuzz_invalid_without_a_fixture_spreads_over_the_other_rules(tmp_path: Path) -> None:
    code, _, err = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "26",
            "--out",
            str(tmp_path),
            "--invalid",
            "--seed",
            "4",
        ]
    )
    assert code == 0
    assert "R10 needs --fixture" in err
    entries = manifest(tmp_path)
    assert {e["rule"] for e in entries.values()} == set(PART_1_BREAKABLE) - {"R10"}
    for name, entry in entries.items():
        assert found(tmp_path / name, None) == [(entry["rule"], entry["pointer"])], name


def test_R1_fuzz_invalid_files_may_be_no_json_or_carry_a_duplicated_key(tmp_path: Path) -> None:
    count = 40 * len(PART_1_BREAKABLE)
    code, _, _ = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            str(count),
            "--out",
            str(tmp_path),
            "--invalid",
            "--seed",
            "5",
            "--fixture",
            str(FIXTURE_PATH),
        ]
    )
    assert code == 0
    kinds = set()
    for name, entry in manifest(tmp_path).items():
        if entry["rule"] == "R1":
            result = validate_text((tmp_path / name).read_bytes())
            kinds.add(
                "unreadable"
                if isinstance(result, Unreadable)
                else "duplicated"
                if entry["pointer"]
                else "not-an-object"
            )
    assert kinds == {"unreadable", "duplicated", "not-an-object"}


def test_R_fuzz_same_seed_same_files_byte_for_byte(tmp_path: Path) -> None:
    """Two separate processes (different string hashing) write identical folders."""
    folders = [tmp_path / "first", tmp_path / "second", tmp_path / "other-seed"]
    for folder, seed, hash_seed in zip(folders, ("9", "9", "10"), ("1", "2", "3"), strict=True):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "kore_contract",
                "fuzz",
                "--count",
                "30",
                "--out",
                str(folder),
                "--invalid",
                "--seed",
                seed,
                "--fixture",
                str(FIXTURE_PATH),
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
    first, second, other = ({p.name: p.read_bytes() for p in f.iterdir()} for f in folders)
    assert len(first) == 31
    assert first == second
    assert first != other


def test_R_fuzz_valid_same_seed_same_files_in_process(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        run_line(
            [
                "kore-contract",
                "fuzz",
                "--count",
                "15",
                "--out",
                str(tmp_path / folder),
                "--seed",
                "11",
            ]
        )
    assert {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()
    }


def test_R_fuzz_without_a_seed_prints_the_one_it_chose(tmp_path: Path) -> None:
    code, out, _ = run_line(["kore-contract", "fuzz", "--count", "2", "--out", str(tmp_path)])
    assert code == 0
    seed = out.rsplit("(seed ", 1)[1].rstrip(")\n")
    again = tmp_path / "again"
    run_line(["kore-contract", "fuzz", "--count", "2", "--out", str(again), "--seed", seed])
    assert (again / "1-valid.json").read_bytes() == (tmp_path / "1-valid.json").read_bytes()


def test_R_fuzz_a_second_run_replaces_the_files_of_the_first(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    run_line(["kore-contract", "fuzz", "--count", "12", "--out", str(tmp_path), "--seed", "1"])
    run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "3",
            "--out",
            str(tmp_path),
            "--seed",
            "1",
            "--invalid",
        ]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "1-R1.json",
        "2-R2.json",
        "3-R3.json",
        "manifest.json",
        "notes.txt",
    ]


def test_R_fuzz_usage_errors_exit_2_and_echo_the_input(tmp_path: Path) -> None:
    code, _, err = run_line(["kore-contract", "fuzz", "--count", "0", "--out", str(tmp_path)])
    assert (code, err) == (2, "kore-contract fuzz: --count=0: must be at least 1\n")
    missing = tmp_path / "nope.json"
    code, _, err = run_line(
        ["kore-contract", "fuzz", "--count", "1", "--out", str(tmp_path), "--fixture", str(missing)]
    )
    assert (code, err) == (2, f"kore-contract fuzz: {missing}: fixture file not found\n")


def test_R4_fuzz_an_empty_fixture_exits_2_with_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text('{"contactLists": [], "templates": {}}')
    code, _, err = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "1",
            "--out",
            str(tmp_path / "out"),
            "--fixture",
            str(empty),
        ]
    )
    assert code == 2
    assert "names no contact list" in err and "(R4)" in err


def test_R_fuzz_shows_a_progress_bar_for_large_counts_on_a_terminal(tmp_path: Path) -> None:
    code, _, err = run_line(
        ["kore-contract", "fuzz", "--count", "250", "--out", str(tmp_path / "tty"), "--seed", "1"],
        err=Tty(),
    )
    assert code == 0 and "writing payloads" in err
    code, _, err = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "250",
            "--out",
            str(tmp_path / "quiet"),
            "--seed",
            "1",
            "--no-progress",
        ],
        err=Tty(),
    )
    assert (code, err) == (0, "")
