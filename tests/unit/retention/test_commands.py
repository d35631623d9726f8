"""`python -m crm churn` and `python -m crm win-back`: the files hold what the page's functions return."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crm import cli
from crm.retention import churn, winback
from crm.store import db


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    from crm.intake import demo

    path = tmp_path_factory.mktemp("churn_cli") / "crm.duckdb"
    con = db.connect(path)
    demo.build_demo(con, customers=1500, seed=4)
    con.close()
    return path


def test_churn_command_writes_scores_and_prints_the_auc(demo_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "en")
    out = tmp_path / "churn.csv"
    assert cli.main(["churn", "--db", str(demo_file), "--horizon-days", "60", "--as-of", "2026-10-31",
                     "--out", str(out)]) == 0
    con = db.connect(demo_file, read_only=True)
    expected = churn.score_churn(con, horizon_days=60, as_of=dt.date(2026, 10, 31))
    con.close()
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert list(written.columns) == ["customer_id", "churn_probability", "risk_band", *churn.MAIN_FEATURES]
    assert written["customer_id"].tolist() == expected.scores["customer_id"].tolist()
    assert written["churn_probability"].tolist() == pytest.approx(
        expected.scores["churn_probability"].round(4).tolist(), abs=1e-9)
    printed = capsys.readouterr().out
    card = expected.card
    assert f"Wrote churn probabilities of {len(written):,} customers" in printed
    assert "as of 2026-10-31, horizon 60 days" in printed
    assert f"Holdout AUC {card['auc']:.3f}" in printed and f"baseline {card['baseline_auc']:.3f}" in printed
    assert "label window 2026-09-02 to 2026-10-31" in printed


def test_churn_command_rejects_a_bad_horizon(demo_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "en")
    assert cli.main(["churn", "--db", str(demo_file), "--horizon-days", "3", "--out", str(tmp_path / "x.csv")]) == 2
    assert "The churn horizon must be a whole number of days from 7 to 730: 3" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_win_back_command(demo_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "zh")
    out = tmp_path / "winback.xlsx"
    assert cli.main(["win-back", "--db", str(demo_file), "--out", str(out)]) == 0
    con = db.connect(demo_file, read_only=True)
    expected = winback.win_back_list(con)
    con.close()
    written = pd.read_excel(out)
    assert list(written.columns) == [c for c in winback.COLUMNS if c not in ("phone", "email")]
    assert written["customer_id"].tolist() == expected.table["customer_id"].tolist()
    assert written["action"].tolist() == expected.table["action"].tolist()
    assert f"已写出流失客户名册 {len(written):,} 行" in capsys.readouterr().out
