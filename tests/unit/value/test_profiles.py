"""Segment mix and the clustering report."""

import datetime as dt

import pandas as pd
import pytest

from crm.intake import demo
from crm.store import db
from crm.value import profiles, rfm
from crm.errors import CRMInputError
from crm.store.filters import Filters

PERIOD = Filters(start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30), as_of=dt.date(2024, 6, 30))


def test_segment_mix_by_gender_matches_a_direct_count(shop):
    # Buyers of the period: A (F), D (M), E (F).
    mix = profiles.segment_mix(shop, PERIOD, "gender")
    scores = rfm.compute_rfm(shop, PERIOD)
    genders = {"A": "F", "D": "M", "E": "F"}
    expected = scores.assign(value=scores["customer_id"].map(genders)).groupby(
        ["value", scores["segment"].astype(str)]).size()
    got = mix.set_index(["value", "segment"])["customers"]
    assert got.to_dict() == expected.to_dict()
    assert mix.groupby("value")["share"].sum().round(9).tolist() == [1.0, 1.0]
    assert mix.loc[mix["value"] == "M", "share"].tolist() == [1.0]


def test_segment_mix_rejects_unknown_dimension(shop):
    with pytest.raises(CRMInputError, match="Unknown dimension"):
        profiles.segment_mix(shop, PERIOD, "phone")


@pytest.fixture(scope="module")
def small_demo():
    con = db.connect(":memory:")
    demo.build_demo(con, customers=600, seed=3)
    yield con
    con.close()


def test_cluster_analysis_is_deterministic_and_complete(small_demo):
    f = Filters(start=dt.date(2025, 11, 16), end=dt.date(2026, 11, 15), as_of=dt.date(2026, 11, 15))
    a = profiles.cluster_analysis(small_demo, f, n_clusters=3, random_state=5)
    b = profiles.cluster_analysis(small_demo, f, n_clusters=3, random_state=5)
    assert a.n_clusters == 3
    pd.testing.assert_frame_equal(a.labels, b.labels)
    assert a.profiles["customers"].sum() == len(a.labels) == len(rfm.compute_rfm(small_demo, f))
    assert a.profiles["revenue_share"].sum() == pytest.approx(1.0)
    # cluster 1 is the one with the highest average spend
    assert a.profiles.sort_values("monetary", ascending=False)["cluster"].iloc[0] == 1
    assert len(a.sample) == min(1500, len(a.labels))
    assert a.best_k == max(a.silhouette_scores, key=a.silhouette_scores.get)
    assert sorted(a.silhouette_scores) == [3, 4, 5, 6, 7, 8] and a.k_range == (3, 8)
    auto = profiles.cluster_analysis(small_demo, f, random_state=5)
    assert auto.n_clusters == auto.best_k == max(auto.silhouette_scores, key=auto.silhouette_scores.get)
    assert 3 <= auto.n_clusters <= 8
    # levels: standardised means, weighted by size they average to 0 over everyone
    assert a.levels["cluster"].tolist() == [1, 2, 3]
    weights = a.profiles["customers"] / a.profiles["customers"].sum()
    for feature in ("recency", "frequency", "monetary"):
        assert (a.levels[feature] * weights).sum() == pytest.approx(0, abs=1e-9)
    assert a.levels["monetary"].is_monotonic_decreasing  # cluster 1 spends most, also on the log scale


def test_cluster_analysis_needs_customers(shop):
    with pytest.raises(CRMInputError, match="Too few customers"):
        profiles.cluster_analysis(shop, PERIOD)


def test_relative_profile_divides_by_the_baseline():
    prof = pd.DataFrame({"cluster": [1, 2], "recency": [10.0, 40.0], "frequency": [6.0, 1.0], "monetary": [900.0, 100.0]})
    base = pd.Series({"recency": 20.0, "frequency": 2.0, "monetary": 300.0})
    out = profiles.relative_profile(prof, base).set_index(["cluster", "feature"])["index"]
    assert out[(1, "recency")] == 0.5 and out[(2, "recency")] == 2.0
    assert out[(1, "frequency")] == 3.0 and out[(2, "monetary")] == pytest.approx(1 / 3)
