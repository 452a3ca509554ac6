import ast
import json
import pathlib
import sys
import types

import numpy as np
import pytest

from validation import compare
from validation.records import (Record, all_ok, available_cases, exit_status,
                                format_table, run_cases, write_json)

CASES = pathlib.Path(__file__).resolve().parents[1] / "validation" / "cases"


def test_compare_relative_and_absolute():
    r = compare("c", "q", 1.03, 1.0, 0.05)
    assert r.passed and np.isclose(r.error, 0.03) and r.error_kind == "relative"
    assert not compare("c", "q", 1.1, 1.0, 0.05).passed
    r = compare("c", "q", 1e-9, 0.0, 1e-8)
    assert r.passed and r.error == 1e-9 and r.error_kind == "absolute"
    r = compare("c", "q", 2.0, 1.0, 2.0, absolute=True)
    assert r.error == 1.0 and r.error_kind == "absolute"
    assert not compare("c", "q", float("nan"), 1.0, 1.0).passed


def test_bounds():
    """relation '<=' / '>=': error is the excess over the bound."""
    r = compare("c", "q", 0.8, 1.0, 0.0, relation="<=")
    assert r.passed and r.error == 0.0 and r.status == "PASS"
    r = compare("c", "q", 1.2, 1.0, 0.0, relation="<=")
    assert not r.passed and np.isclose(r.error, 0.2)
    r = compare("c", "q", 0.8, 1.0, 0.1, relation=">=")
    assert not r.passed and np.isclose(r.error, 0.2)
    assert not compare("c", "q", float("nan"), 1.0, 0.0, relation="<=").passed
    with pytest.raises(ValueError, match="relation"):
        compare("c", "q", 1.0, 1.0, 0.1, relation="<")
    with pytest.raises(ValueError, match="tolerance"):
        compare("c", "q", 1.0, 1.0, float("inf"))


def test_expected_failure_has_its_own_field_and_does_not_fail_the_run():
    """passed means 'the physics agrees' in every record; an expected
    failure that fails has passed False, status XFAIL, and is ok."""
    good = compare("c", "q", 1.0, 1.0, 0.1)
    xfail = compare("c", "law", 1.987, 1.0, 0.5, expected_failure=True)
    assert not xfail.passed and xfail.expected_failure and xfail.status == "XFAIL"
    assert np.isclose(xfail.error, 0.987)
    assert xfail.ok and all_ok([good, xfail]) and exit_status([good, xfail]) == 0
    xpass = compare("c", "law", 1.1, 1.0, 0.5, expected_failure=True)
    assert xpass.passed and xpass.status == "XPASS" and xpass.ok
    bad = compare("c", "q", 2.0, 1.0, 0.1)
    assert bad.status == "FAIL" and not bad.ok
    assert exit_status([good, xfail, bad]) == 1
    assert exit_status([]) == 1
    table = format_table([good, xfail, bad, xpass])
    assert "XFAIL" in table and "XPASS" in table
    assert "1 passed, 1 failed, 1 expected failures, 1 unexpected passes" in table


def test_records_json_roundtrip(tmp_path):
    recs = [compare("c", "q", np.float64(2.0), 2.0, 0.1, params={"n": np.int64(3)}),
            compare("c", "law", 3.0, 1.0, 0.5, expected_failure=True)]
    write_json(recs, tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data[0]["params"]["n"] == 3 and data[0]["passed"] is True
    assert data[0]["status"] == "PASS" and data[0]["expected_failure"] is False
    assert data[1]["passed"] is False and data[1]["expected_failure"] is True
    assert data[1]["status"] == "XFAIL" and data[1]["error_kind"] == "relative"
    assert set(data[0]) == {f.name for f in Record.__dataclass_fields__.values()} | {"status"}
    assert "1 passed, 0 failed" in format_table(recs[:1])


def test_cases_discovered():
    assert isinstance(available_cases(), list)


def _calls(tree, name):
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and getattr(n.func, "id", getattr(n.func, "attr", None)) == name]


@pytest.mark.parametrize("path", sorted(CASES.glob("*.py")), ids=lambda p: p.name)
def test_cases_build_records_only_through_compare(path):
    """A hand-built Record can set passed to anything; compare() derives it
    from the error.  And no boolean squeezed into a value column."""
    tree = ast.parse(path.read_text())
    assert not _calls(tree, "Record"), f"{path.name} builds a Record by hand"
    for call in _calls(tree, "compare"):
        for arg in call.args[2:4]:
            text = ast.unparse(arg)
            assert not text.startswith(("float(np.all", "float(all", "float(bool")), (
                f"{path.name}:{call.lineno}: boolean {text!r} in a value column")


def test_drag_case_declares_d4_law_expected_failure_and_splits_mp_peak():
    tree = ast.parse((CASES / "drag.py").read_text())
    names = {}
    for call in _calls(tree, "compare"):
        quantity = call.args[1]
        if isinstance(quantity, ast.Constant):
            kw = {k.arg: ast.unparse(k.value) for k in call.keywords}
            names.setdefault(quantity.value, []).append(kw)
    assert any(kw.get("expected_failure") == "True" for kw in names["d4_law"])
    assert len(names["Mp_peak"]) == 1
    assert all(kw.get("relation") == "'<='"
               for q in ("Mp_peak_falloff_low_over_high_density",
                         "Mp_peak_position_low_over_high_density")
               for kw in names[q])


# Moved from test_never_silent.py: tests of validation belong here.
def test_validation_json_path_checked_before_running(tmp_path, monkeypatch):
    import validation.__main__ as cli

    def never_called(*args, **kwargs):
        raise AssertionError("the cases ran before the --json path was checked")
    monkeypatch.setattr(cli, "run_cases", never_called)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for bad in (tmp_path, blocker / "records.json"):
        with pytest.raises(SystemExit) as info:
            cli.main(["drag", "--json", str(bad)])
        assert info.value.code == 2


def test_validation_records_survive_a_failing_case(tmp_path, monkeypatch):
    ok = types.ModuleType("validation.cases._never_silent_ok")
    ok.run = lambda figdir: [compare("fake", "x", 1.0, 1.0, 1e-12)]
    bad = types.ModuleType("validation.cases._never_silent_bad")

    def fail(figdir):
        raise RuntimeError("late failure")
    bad.run = fail
    monkeypatch.setitem(sys.modules, ok.__name__, ok)
    monkeypatch.setitem(sys.modules, bad.__name__, bad)
    path = tmp_path / "out" / "records.json"
    with pytest.raises(RuntimeError, match="late failure"):
        run_cases(["_never_silent_ok", "_never_silent_bad"], tmp_path / "fig",
                  json_path=path)
    saved = json.loads(path.read_text())
    assert [r["quantity"] for r in saved] == ["x"]
