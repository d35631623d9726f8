"""RFMKMeans and the clustering features.

The synthetic data are three obvious blobs in log space (300 customers):
"vip" (recent, frequent, ~20,000 spent), "regular" (~2,000) and "lapsed" (~100).
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from crm.value import clusters
from crm.errors import CRMInputError
from crm.store.filters import default_filters

F = default_filters(dt.date(2024, 6, 30))
GROUPS = {"vip": (5, 20, 20_000), "regular": (60, 5, 2_000), "lapsed": (300, 1.2, 100)}


def blobs(per_group=100, seed=1):
    rng = np.random.default_rng(seed)
    frames = []
    for name, (recency, frequency, monetary) in GROUPS.items():
        noise = np.exp(rng.normal(0, 0.1, size=(per_group, 3)))
        frames.append(pd.DataFrame({
            "customer_id": [f"{name}{i:03d}" for i in range(per_group)],
            "recency": recency * noise[:, 0],
            "frequency": frequency * noise[:, 1],
            "monetary": monetary * noise[:, 2],
            "group": name,
        }))
    return pd.concat(frames, ignore_index=True)


def test_silhouette_chooses_three_blobs_and_cluster_one_is_richest():
    X = blobs()
    model = clusters.RFMKMeans(random_state=0).fit(X)
    assert model.n_clusters_ == 3
    assert sorted(model.silhouette_scores_) == [2, 3, 4, 5, 6, 7, 8]
    assert max(model.silhouette_scores_, key=model.silhouette_scores_.get) == 3
    labels = model.predict(X)
    # every blob is one cluster; 1 = highest mean monetary (vip), 3 = lapsed
    assert pd.crosstab(X["group"], labels).to_dict("index") == {
        "lapsed": {1: 0, 2: 0, 3: 100}, "regular": {1: 0, 2: 100, 3: 0}, "vip": {1: 100, 2: 0, 3: 0}}
    assert list(model.feature_names_in_) == ["recency", "frequency", "monetary"]
    assert model.cluster_centers_.shape == (3, 3)


def test_labels_are_renumbered_by_monetary_for_any_k():
    X = blobs()
    for k in (2, 4, 5):
        labels = clusters.RFMKMeans(n_clusters=k, random_state=3).fit_predict(X)
        means = X.groupby(labels)["monetary"].mean()
        assert sorted(means.index) == list(range(1, k + 1))
        assert means.is_monotonic_decreasing, k


def test_same_seed_same_labels_on_a_sample():
    X = blobs(per_group=400, seed=2)
    a = clusters.RFMKMeans(n_clusters=4, sample_size=300, random_state=7).fit_predict(X)
    b = clusters.RFMKMeans(n_clusters=4, sample_size=300, random_state=7).fit_predict(X)
    np.testing.assert_array_equal(a, b)
    model = clusters.RFMKMeans(sample_size=300, silhouette_sample=100, random_state=7).fit(X)
    again = clusters.RFMKMeans(sample_size=300, silhouette_sample=100, random_state=7).fit(X)
    assert model.n_samples_fit_ == 300
    assert model.silhouette_scores_ == again.silhouette_scores_
    np.testing.assert_array_equal(model.predict(X), again.predict(X))


def test_fit_returns_self_and_params():
    model = clusters.RFMKMeans(n_clusters=3)
    assert model.fit(blobs()) is model
    assert model.get_params()["n_clusters"] == 3
    assert model.silhouette_scores_ == {}  # k was given


def test_cluster_profiles():
    X = blobs()
    labels = clusters.RFMKMeans(random_state=0).fit_predict(X)
    profiles = clusters.cluster_profiles(X.drop(columns="group"), labels)
    assert profiles["cluster"].tolist() == [1, 2, 3]
    assert profiles["customers"].tolist() == [100, 100, 100]
    assert profiles["share"].tolist() == pytest.approx([1 / 3] * 3)
    vip = X.loc[X["group"] == "vip", "monetary"]
    assert profiles.loc[0, "monetary"] == pytest.approx(vip.mean())
    assert profiles.loc[0, "revenue_share"] == pytest.approx(vip.sum() / X["monetary"].sum())
    assert profiles["revenue_share"].sum() == pytest.approx(1)


def test_cluster_features_of_the_shop(shop):
    X = clusters.cluster_features(shop, F)
    assert X.columns.tolist() == ["customer_id", "recency", "frequency", "monetary"]
    assert X.set_index("customer_id")["recency"].to_dict() == {"A": 60, "B": 107, "C": 365, "D": 0, "E": 29}


def test_extra_features(shop):
    X = clusters.cluster_features(shop, F, extra=("tenure", "avg_order", "category_mix")).set_index("customer_id")
    # categories of the period by spend: 家居 8500, 服装 450, 美妆 320
    assert X.columns.tolist() == ["recency", "frequency", "monetary", "tenure", "avg_order",
                                  "mix_家居", "mix_服装", "mix_美妆"]
    # A: signup 2023-01-01 -> 2024-06-30 is 546 days; 2 orders, 500; 服装 300, 美妆 200
    assert X.loc["A", ["tenure", "avg_order", "mix_家居", "mix_服装", "mix_美妆"]].tolist() == pytest.approx(
        [546, 250, 0, 0.6, 0.4])
    assert X.loc["E", "tenure"] == 121  # signup 2024-03-01
    mix = X.filter(like="mix_")
    assert mix.sum(axis=1).tolist() == pytest.approx([1] * 5)


def test_category_mix_other_column(shop, monkeypatch):
    monkeypatch.setattr(clusters, "MAX_MIX_CATEGORIES", 2)
    X = clusters.cluster_features(shop, F, extra=["category_mix"]).set_index("customer_id")
    assert X.columns.tolist() == ["recency", "frequency", "monetary", "mix_家居", "mix_other"]
    assert X.loc["A", ["mix_家居", "mix_other"]].tolist() == pytest.approx([0, 1])
    assert X.loc["D", ["mix_家居", "mix_other"]].tolist() == pytest.approx([1, 0])


def test_model_with_extras_uses_them(shop):
    X = clusters.cluster_features(shop, F, extra=("tenure", "avg_order", "category_mix"))
    model = clusters.RFMKMeans(n_clusters=2, extra=("tenure", "avg_order", "category_mix")).fit(X)
    assert list(model.feature_names_in_) == ["recency", "frequency", "monetary", "tenure", "avg_order",
                                             "mix_家居", "mix_服装", "mix_美妆"]
    labels = model.predict(X)
    assert set(labels) == {1, 2}
    assert labels[X["customer_id"].tolist().index("E")] == 1  # the big spender's cluster comes first


def test_too_few_customers(shop):
    X = clusters.cluster_features(shop, F)
    with pytest.raises(CRMInputError, match="Too few customers to cluster: 2[.]"):
        clusters.RFMKMeans().fit(X.head(2))
    with pytest.raises(CRMInputError, match="Too few customers to cluster: 5[.]"):
        clusters.RFMKMeans(n_clusters=6).fit(X)
    # k_range is capped at n − 1 for the silhouette
    assert sorted(clusters.RFMKMeans().fit(X).silhouette_scores_) == [2, 3, 4]


@pytest.mark.parametrize("kwargs, message", [
    ({"n_clusters": 1}, "number of clusters must be an integer ≥ 2, got: 1"),
    ({"n_clusters": 2.5}, "number of clusters must be an integer"),
    ({"k_range": (5, 3)}, "cluster range must be two integers"),
    ({"k_range": (1, 3)}, "cluster range"),
    ({"k_range": 4}, "cluster range"),
    ({"features": ("recency", "age")}, "Clustering features must be taken from"),
    ({"features": ()}, "Clustering features"),
    ({"extra": ("tenure", "gender")}, "Unknown extra feature: gender"),
    ({"sample_size": 5}, "sample_size must be an integer ≥ 10, got: 5"),
    ({"silhouette_sample": 0}, "silhouette_sample must be an integer"),
    ({"random_state": "x"}, "random_state must be an integer"),
])
def test_parameter_validation(kwargs, message):
    with pytest.raises(CRMInputError, match=message):
        clusters.RFMKMeans(**kwargs).fit(blobs())


def test_missing_columns_and_not_fitted(shop):
    X = clusters.cluster_features(shop, F)
    with pytest.raises(CRMInputError, match="lack columns the clustering needs: tenure"):
        clusters.RFMKMeans(extra=("tenure",)).fit(X)
    with pytest.raises(CRMInputError, match="not fitted"):
        clusters.RFMKMeans().predict(X)
    with pytest.raises(CRMInputError, match="Unknown extra feature: age"):
        clusters.cluster_features(shop, F, extra=("age",))
