"""`kore-contract fuzz --call create|update|list --variant template|plain|advanced` as a user
runs it (issue 12, item 3): the files, the manifest, and what the validator finds in them."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from strategy_testing import FLOWS, VARIANTS, judged

from kore_contract.cli import run
from kore_contract.contract import spec


def run_line(argv: list[str]) -> tuple[int, str, str]:
    """Run `kore-contract ...` in this process: (exit code, stdout, stderr)."""
    assert argv[0] == "kore-contract"
    out, err = io.StringIO(), io.StringIO()
    code = run(argv[1:], out, err)
    return code, out.getvalue(), err.getvalue()


def manifest(folder: Path) -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = json.loads((folder / "manifest.json").read_text("utf-8"))
    return loaded


def found(path: Path, entry: dict[str, Any], fixture: Any = None) -> list[tuple[str, str]]:
    """What the validator finds in a written file, checked as its manifest entry says: a
    file that is no JSON, or has a duplicated key, as the raw text it is."""
    data = path.read_bytes()
    duplicated = False

    def pairs(members: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicated
        duplicated |= len({key for key, _ in members}) != len(members)
        return dict(members)

    try:
        payload: Any = json.loads(data, object_pairs_hook=pairs)
    except ValueError:
        payload = data
    return judged(
        data if duplicated else payload,
        call=entry.get("call", "create"),
        variant=entry.get("variant"),
        fixture=fixture,
    )[0]


def flows_fixture(tmp_path: Path) -> Path:
    from strategy_testing import FIXTURE

    path = tmp_path / "account.json"
    path.write_text(json.dumps(FIXTURE.to_json(), ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("variant", ["plain", "advanced"])
def test_C1_fuzz_variant_writes_valid_bodies_of_that_variant(tmp_path: Path, variant: str) -> None:
    code, out, err = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "12",
            "--out",
            str(tmp_path),
            "--variant",
            variant,
            "--seed",
            "1",
        ]
    )
    assert (code, err) == (0, "")
    assert out == (
        f"wrote 12 payloads (create bodies, {variant} variant), 12 valid, and "
        f"manifest.json to {tmp_path} (seed 1)\n"
    )
    for name, entry in manifest(tmp_path).items():
        assert entry == {"valid": True, "variant": variant}
        body = json.loads((tmp_path / name).read_bytes())
        assert spec.variant_of(body) == variant
        assert found(tmp_path / name, entry) == [], name


def test_U1_fuzz_update_writes_bodies_of_every_variant(tmp_path: Path) -> None:
    code, out, _ = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "30",
            "--out",
            str(tmp_path),
            "--call",
            "update",
            "--seed",
            "2",
        ]
    )
    assert code == 0 and "(update bodies, any variant), 30 valid" in out
    read: Counter[str] = Counter()
    for name, entry in manifest(tmp_path).items():
        assert entry == {"valid": True, "call": "update"}
        read[spec.variant_of(json.loads((tmp_path / name).read_bytes()))] += 1
        assert found(tmp_path / name, entry) == [], name
    assert set(read) == set(VARIANTS), read


def test_L1_fuzz_list_writes_valid_list_bodies(tmp_path: Path) -> None:
    code, out, _ = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "20",
            "--out",
            str(tmp_path),
            "--call",
            "list",
            "--seed",
            "3",
        ]
    )
    assert code == 0 and "(list bodies), 20 valid" in out
    for name, entry in manifest(tmp_path).items():
        assert entry == {"valid": True, "call": "list"}
        assert found(tmp_path / name, entry) == [], name


def test_L1_fuzz_list_invalid_breaks_L1_at_the_manifest_pointer(tmp_path: Path) -> None:
    code, out, err = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "80",
            "--out",
            str(tmp_path),
            "--call",
            "list",
            "--invalid",
            "--seed",
            "4",
        ]
    )
    assert (code, err) == (0, "")
    assert "80 invalid (L1)" in out
    entries = manifest(tmp_path)
    pointers = {entry["pointer"] for entry in entries.values()}
    assert {"", "/type", "/limit", "/sortBy"} <= pointers  # the clauses take turns
    for name, entry in entries.items():
        assert set(entry) == {"valid", "rule", "pointer", "call"} and entry["rule"] == "L1"
        assert found(tmp_path / name, entry) == [("L1", entry["pointer"])], name


@pytest.mark.parametrize("variant", VARIANTS)
def test_C1_C2_C3_fuzz_variant_invalid_breaks_each_rule_of_the_variant(
    tmp_path: Path, variant: str
) -> None:
    code, _, _ = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "40",
            "--out",
            str(tmp_path),
            "--variant",
            variant,
            "--invalid",
            "--seed",
            "5",
        ]
    )
    assert code == 0
    entries = manifest(tmp_path)
    rules = {entry["rule"] for entry in entries.values()}
    assert "C1" in rules
    assert ("C2" in rules) == (variant == "plain") and ("C3" in rules) == (variant == "advanced")
    for name, entry in entries.items():
        assert entry["variant"] == variant
        assert found(tmp_path / name, entry) == [(entry["rule"], entry["pointer"])], name


def test_U1_fuzz_update_invalid_breaks_rules_of_every_variant_but_not_C1(tmp_path: Path) -> None:
    code, _, _ = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "60",
            "--out",
            str(tmp_path),
            "--call",
            "update",
            "--invalid",
            "--seed",
            "6",
        ]
    )
    assert code == 0
    entries = manifest(tmp_path)
    rules = {entry["rule"] for entry in entries.values()}
    assert {"C2", "C3", "R9"} <= rules and "C1" not in rules
    for name, entry in entries.items():
        assert set(entry) == {"valid", "rule", "pointer", "call"}
        assert found(tmp_path / name, entry) == [(entry["rule"], entry["pointer"])], name


def test_C3_fuzz_advanced_with_a_fixture_names_its_experience_flows(tmp_path: Path) -> None:
    account = flows_fixture(tmp_path)
    out_dir = tmp_path / "out"
    code, _, err = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "10",
            "--out",
            str(out_dir),
            "--variant",
            "advanced",
            "--fixture",
            str(account),
            "--seed",
            "7",
        ]
    )
    assert (code, err) == (0, "")
    for name in manifest(out_dir):
        assert json.loads((out_dir / name).read_bytes())["experienceFlowName"] in FLOWS


def test_C3_fuzz_advanced_with_a_fixture_without_flows_exits_2(tmp_path: Path) -> None:
    bare = tmp_path / "bare.json"
    bare.write_text('{"contactLists": ["A list"], "templates": {"T": "text"}}')
    code, _, err = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "1",
            "--out",
            str(tmp_path / "out"),
            "--variant",
            "advanced",
            "--fixture",
            str(bare),
        ]
    )
    assert code == 2
    assert "names no experience flow" in err and "(C3)" in err
    code, _, _ = run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "1",
            "--out",
            str(tmp_path / "plain"),
            "--variant",
            "plain",
            "--fixture",
            str(bare),
        ]
    )
    assert code == 0


def test_C1_fuzz_usage_errors_exit_2_and_echo_the_input(tmp_path: Path) -> None:
    out_dir = str(tmp_path)
    assert run_line(
        ["kore-contract", "fuzz", "--count", "1", "--out", out_dir, "--call", "get"]
    ) == (2, "", "kore-contract fuzz: --call=get: expected one of create, update, list\n")
    assert run_line(
        ["kore-contract", "fuzz", "--count", "1", "--out", out_dir, "--variant", "simple"]
    ) == (
        2,
        "",
        "kore-contract fuzz: --variant=simple: expected one of template, plain, advanced\n",
    )
    assert run_line(
        [
            "kore-contract",
            "fuzz",
            "--count",
            "1",
            "--out",
            out_dir,
            "--call",
            "list",
            "--variant",
            "plain",
        ]
    ) == (
        2,
        "",
        "kore-contract fuzz: --variant=plain: a variant is of create and update "
        "bodies, not of --call list\n",
    )
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_L1_fuzz_list_same_seed_same_files(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        run_line(
            [
                "kore-contract",
                "fuzz",
                "--count",
                "25",
                "--out",
                str(tmp_path / folder),
                "--call",
                "list",
                "--invalid",
                "--seed",
                "8",
            ]
        )
    assert {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()
    }
