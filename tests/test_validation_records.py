import json

import numpy as np

from validation import compare
from validation.records import available_cases, format_table, write_json


def test_compare_relative_and_absolute():
    r = compare("c", "q", 1.03, 1.0, 0.05)
    assert r.passed and np.isclose(r.rel_error, 0.03)
    assert not compare("c", "q", 1.1, 1.0, 0.05).passed
    r = compare("c", "q", 1e-9, 0.0, 1e-8)
    assert r.passed and r.rel_error == 1e-9
    assert not compare("c", "q", float("nan"), 1.0, 1.0).passed


def test_records_json_roundtrip(tmp_path):
    recs = [compare("c", "q", np.float64(2.0), 2.0, 0.1, params={"n": np.int64(3)})]
    write_json(recs, tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data[0]["params"]["n"] == 3 and data[0]["passed"] is True
    assert "1 passed, 0 failed" in format_table(recs)


def test_cases_discovered():
    assert isinstance(available_cases(), list)
