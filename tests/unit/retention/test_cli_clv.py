"""`python -m crm clv`: exactly what customer_value returns, with the parameters as JSON."""

import json

import pandas as pd
import pytest

from crm import cli
from crm.retention.clv import customer_value
from crm.store import access, db
from tests.fixtures import cdnow_shop


@pytest.fixture
def cdnow_file(tmp_path):
    path = tmp_path / "cdnow.duckdb"
    con = db.connect(path)
    cdnow_shop.build(con)
    con.close()
    return path


def test_clv_command_writes_the_table_and_the_parameters(cdnow_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "en")
    out, params = tmp_path / "clv.csv", tmp_path / "params.json"
    code = cli.main(["clv", "--db", str(cdnow_file), "--out", str(out), "--params-out", str(params),
                     "--calibration-end", "1997-09-30", "--horizon-months", "12", "--unit", "week"])
    assert code == 0
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"customer_id": str})
    assert list(table.columns) == ["customer_id", "frequency", "recency", "T", "monetary", "p_alive",
                                   "expected_purchases", "clv"]
    assert len(table) == 2357
    document = json.loads(params.read_text(encoding="utf-8"))
    assert {k: round(document[k], 3) for k in ("r", "alpha", "a", "b")} == \
        {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert {k: round(document[k], 2) for k in ("p", "q", "gamma")} == {"p": 6.25, "q": 3.74, "gamma": 15.44}
    assert round(document["bgnbd_loglik"], 1) == -9582.4 and document["gg_loglik"] < 0
    assert document["calibration_end"] == "1997-09-30" and document["margin_source"] == "default"
    with access.reading(cdnow_file) as con:
        expected = customer_value(con, calibration_end=cdnow_shop.CALIBRATION_END)
    assert table["clv"].round(2).tolist() == expected.table["clv"].round(2).tolist()
    assert "Wrote the lifetime value of 2,357 customers" in capsys.readouterr().out


def test_only_orders_up_to_the_calibration_end(cdnow_file, tmp_path):
    early, late = tmp_path / "early.csv", tmp_path / "late.csv"
    assert cli.main(["clv", "--db", str(cdnow_file), "--out", str(early), "--calibration-end", "1997-06-30"]) == 0
    assert cli.main(["clv", "--db", str(cdnow_file), "--out", str(late)]) == 0
    early_t = pd.read_csv(early, encoding="utf-8-sig", dtype={"customer_id": str}).set_index("customer_id")
    late_t = pd.read_csv(late, encoding="utf-8-sig", dtype={"customer_id": str}).set_index("customer_id")
    assert early_t.loc["1", "T"] == pytest.approx(180 / 7)  # 1997-01-01 → 1997-06-30
    assert late_t.loc["1", "T"] == pytest.approx(545 / 7)   # to the latest order, 1998-06-30
    assert early_t.loc["1", "frequency"] == 1 and late_t.loc["1", "frequency"] == 3


def test_bad_parameters_exit_2_with_a_message(cdnow_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "en")
    code = cli.main(["clv", "--db", str(cdnow_file), "--out", str(tmp_path / "x.csv"), "--horizon-months", "0"])
    assert code == 2
    assert "horizon must be a whole number of months" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["clv", "--db", str(cdnow_file), "--out", str(tmp_path / "x.csv"), "--unit", "month"])
    assert exit_.value.code == 2
