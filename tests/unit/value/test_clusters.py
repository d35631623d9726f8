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
    assert model.n_clusters_ == model.best_k_ == 3
    assert sorted(model.silhouette_scores_) == [3, 4, 5, 6, 7, 8]  # the default range 3–8
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
    assert model.get_params()["k_range"] == (3, 8)
    assert model.set_params(n_init=2) is model and model.n_init == 2
    with pytest.raises(CRMInputError, match="Unknown parameter: n_iter"):
        model.set_params(n_iter=5)


def test_silhouette_of_every_k_in_the_range_also_when_k_is_given():
    X = blobs()
    auto = clusters.RFMKMeans(random_state=0).fit(X)
    given = clusters.RFMKMeans(n_clusters=5, random_state=0).fit(X)
    assert given.n_clusters_ == 5 and given.best_k_ == 3
    assert given.silhouette_scores_ == pytest.approx(auto.silhouette_scores_)
    # a k outside the range is scored too, beside the whole range
    two = clusters.RFMKMeans(n_clusters=2, random_state=0).fit(X)
    assert sorted(two.silhouette_scores_) == [2, 3, 4, 5, 6, 7, 8] and two.best_k_ == 3
    narrow = clusters.RFMKMeans(k_range=(4, 6), random_state=0).fit(X)
    assert sorted(narrow.silhouette_scores_) == [4, 5, 6] and 4 <= narrow.n_clusters_ <= 6


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
    # k_range is capped at n − 1 for the silhouette, and widened down to 2 for very few customers
    assert sorted(clusters.RFMKMeans().fit(X).silhouette_scores_) == [3, 4]
    three = clusters.RFMKMeans().fit(X.head(3))
    assert sorted(three.silhouette_scores_) == [2] and three.n_clusters_ == 2


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
    ({"n_init": 0}, "number of k-means starts must be an integer ≥ 1, got: 0"),
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


# ---------------------------------------------------------------------- names
def levels(rows):
    """A cluster_levels frame from {cluster: (recency, frequency, monetary)} z-levels."""
    return pd.DataFrame([(c, *v) for c, v in rows.items()], columns=["cluster", "recency", "frequency", "monetary"])


def test_cluster_levels_are_standardised_means_over_all_customers():
    e = np.e
    # log1p: recency 0, 0, 2, 2 (mean 1, sd 1); frequency constant (sd 0 -> 0); monetary 0, 2, 0, 2
    X = pd.DataFrame({"customer_id": list("abcd"), "recency": [0, 0, e**2 - 1, e**2 - 1],
                      "frequency": [3, 3, 3, 3], "monetary": [0, e**2 - 1, 0, e**2 - 1]})
    out = clusters.cluster_levels(X, [1, 1, 2, 2])
    assert out["cluster"].tolist() == [1, 2]
    np.testing.assert_allclose(out[["recency", "frequency", "monetary"]].to_numpy(), [[-1, 0, 0], [1, 0, 0]])
    with pytest.raises(CRMInputError, match="number of labels"):
        clusters.cluster_levels(X, [1, 2])


KNOWN = {
    1: (-1.0, 1.4, 1.2),   # recent too, but spend is always named, with frequency, the stronger of R and F
    2: (-0.9, -0.7, -0.2),  # spend unremarkable: recency and frequency
    3: (1.1, -0.4, -0.8),
    4: (0.2, 0.1, -0.3),   # nothing 0.5 sd from average
    5: (0.1, 0.3, 0.9),
    6: (-0.5, 0.0, 0.0),   # exactly at the threshold
    7: (-1.3, 1.2, 0.6),   # spend (weakest) still named, beside recency (stronger than frequency)
}


def test_names_follow_the_profile():
    lv = levels(KNOWN)
    assert clusters.profile_traits(lv) == {
        1: ("frequent", "high_value"), 2: ("recent", "occasional"), 3: ("dormant", "low_value"),
        4: (), 5: ("high_value",), 6: ("recent",), 7: ("recent", "high_value")}
    assert clusters.name_clusters(lv, "zh") == {
        1: "高频高值", 2: "新近低频", 3: "沉睡低值", 4: "普通客户", 5: "高值客户", 6: "新近客户", 7: "新近高值"}
    assert clusters.name_clusters(lv, "en") == {
        1: "Frequent high spenders", 2: "Recent occasional buyers", 3: "Dormant low spenders",
        4: "Average customers", 5: "High spenders", 6: "Recent buyers", 7: "Recent high spenders"}
    # a stricter threshold keeps only the strongest traits; the four average clusters then
    # share a name and are ranked by spend, where they differ most (-0.3, -0.2, 0.0, 0.9)
    assert clusters.name_clusters(lv, "zh", threshold=1.0) == {
        1: "高频高值", 3: "沉睡客户", 7: "新近高频", 4: "普通客户（最低值）", 2: "普通客户（较低值）", 6: "普通客户（较高值）",
        5: "普通客户（最高值）"}


def test_same_name_gets_a_distinguishing_suffix():
    # 3 and 7 are both dormant low spenders; they differ most in spend (0.7 apart), then recency (0.4)
    lv = levels({3: (1.1, -0.4, -0.8), 7: (0.7, -0.45, -1.5), 1: (-1.0, 1.4, 1.2)})
    assert clusters.name_clusters(lv, "zh") == {3: "沉睡低值（较高值）", 7: "沉睡低值（较低值）", 1: "高频高值"}
    assert clusters.name_clusters(lv, "en") == {
        3: "Dormant low spenders (higher spend)", 7: "Dormant low spenders (lower spend)", 1: "Frequent high spenders"}


def test_three_and_more_of_a_name_are_ranked_and_identical_ones_numbered():
    # three frequent high spenders differing only in recency
    lv = levels({1: (0.6, 1.5, 1.2), 2: (-1.0, 1.5, 1.2), 3: (-0.4, 1.5, 1.2)})
    assert clusters.name_clusters(lv, "zh") == {1: "高频高值（最沉睡）", 2: "高频高值（最新近）", 3: "高频高值（居中）"}
    assert clusters.name_clusters(lv, "en")[3] == "Frequent high spenders (mid recency)"
    # four high spenders: frequency spreads 0.3, spend 0.1
    four = levels({1: (0, 0.1, 0.9), 2: (0, 0.2, 1.0), 3: (0, 0.3, 0.95), 4: (0, 0.4, 0.92)})
    assert clusters.name_clusters(four, "en") == {
        1: "High spenders (least frequent)", 2: "High spenders (less frequent)",
        3: "High spenders (more frequent)", 4: "High spenders (most frequent)"}
    same = levels({1: (0.0, 0.0, 0.0), 2: (0.0, 0.0, 0.0)})
    assert clusters.name_clusters(same, "zh") == {1: "普通客户（1）", 2: "普通客户（2）"}


def test_every_possible_name_exists_and_differs():
    from crm import i18n

    combos = {()}
    r_words, f_words, m_words = clusters.TRAITS.values()
    for group in (r_words, f_words, m_words):
        combos |= {(w,) for w in group}
    for a, b in ((r_words, f_words), (r_words, m_words), (f_words, m_words)):
        combos |= {(x, y) for x in a for y in b}
    assert len(combos) == 19
    for lang in ("zh", "en"):
        names = [i18n.t(clusters.profile_key(c), lang) for c in combos]
        assert all(i18n.has_key(clusters.profile_key(c), lang) for c in combos)
        assert len(set(names)) == 19, lang
        for feature in clusters.TRAITS:
            words = [i18n.t(f"cluster.suffix.{feature}.{w}", lang)
                     for w in ("lowest", "lower", "middle", "higher", "highest")]
            assert len(set(words)) == 5 and "." not in "".join(words)


def test_names_are_unique_for_every_k_on_blobs():
    X = blobs(per_group=150, seed=4)
    for k in range(2, 9):
        labels = clusters.RFMKMeans(n_clusters=k, random_state=0).fit_predict(X)
        for lang in ("zh", "en"):
            names = clusters.name_clusters(clusters.cluster_levels(X, labels), lang)
            assert sorted(names) == list(range(1, k + 1))
            assert len(set(names.values())) == k, (k, lang, names)
    three = clusters.RFMKMeans(random_state=0).fit_predict(X)
    names = clusters.name_clusters(clusters.cluster_levels(X, three), "en")
    # vip: 5 days, 20 orders, 20,000 spent (recency the stronger of R and F); regular: near the
    # log-scale average; lapsed: 300 days, ~1 order, 100 spent (frequency the stronger)
    assert names == {1: "Recent high spenders", 2: "Average customers", 3: "Occasional low spenders"}


def test_k_stays_in_the_range_and_a_seed_gives_the_same_result():
    rng = np.random.default_rng(9)
    # a shapeless cloud: the silhouette would like k = 2, the range asks for 3–8
    X = pd.DataFrame({"customer_id": [f"c{i}" for i in range(3000)],
                      "recency": rng.gamma(2, 40, 3000), "frequency": rng.poisson(3, 3000) + 1,
                      "monetary": rng.lognormal(6, 1, 3000)})
    runs = [clusters.RFMKMeans(sample_size=1000, silhouette_sample=500, random_state=s).fit(X) for s in (11, 11, 12)]
    for model in runs:
        assert 3 <= model.n_clusters_ <= 8 and sorted(model.silhouette_scores_) == [3, 4, 5, 6, 7, 8]
        assert model.n_samples_fit_ == 1000
    a, b, _ = runs
    assert a.n_clusters_ == b.n_clusters_ and a.silhouette_scores_ == b.silhouette_scores_
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    names_a = clusters.name_clusters(clusters.cluster_levels(X, a.predict(X)), "zh")
    names_b = clusters.name_clusters(clusters.cluster_levels(X, b.predict(X)), "zh")
    assert names_a == names_b
