"""Customer clusters: k-means on RFM features (scikit-learn style estimator), named from their profiles.

Features (``cluster_features``), per customer with at least one order in
``crm_orders`` (non-returned, inside the dimension filters) dated in
[``filters.start``, min(``filters.end``, ``filters.as_of``)] — the RFM population:

* recency — as_of − last order date in the period (days)
* frequency — orders in the period; monetary — their summed amount (CNY)
* tenure (extra) — as_of − the start of the relationship (days): the earlier of
  the customer's first non-returned order (any date, any channel or category)
  and their signup date
* avg_order (extra) — monetary ÷ frequency
* category_mix (extra) — ``mix_<category>`` columns: each category's share of
  the customer's spend in the period (0..1, summing to 1 per customer). At
  most ``MAX_MIX_CATEGORIES`` categories get their own column (the largest by
  spend); the spend of further categories and of orders without a category is
  in ``mix_other``, present only when there is such spend.

Model (``RFMKMeans``): every numeric feature except the category shares is
transformed with log1p(max(x, 0)) (spending and counts are heavily skewed),
shares are used as they are; then all columns are standardised (z-scores,
``StandardScaler``) and k-means (``KMeans``, Lloyd, ``n_init`` seeded starts) is
fitted on a seeded random sample of at most ``sample_size`` customers (5,000 by
default: the centres of a few well-filled clusters in a handful of dimensions
hardly move with more, and the fit stays well under a second), on one thread. For every k in
``k_range`` (inclusive, 3–8 by default: fewer groups say little to a marketer,
more are hard to act on) the mean silhouette coefficient (Rousseeuw 1987,
"Silhouettes: a graphical aid to the interpretation and validation of cluster
analysis") is measured on a seeded subsample of at most ``silhouette_sample``
points of that sample; with ``n_clusters=None`` the k with the best score is
used (ties go to the smaller k), otherwise ``n_clusters`` (scored too). Clusters
are then renumbered 1..k by the mean raw monetary value of their sample members,
highest first, so "cluster 1" is always the most valuable. Everything random is
drawn from ``random_state``: the same data and seed give the same labels.

Names (``cluster_levels``, ``profile_traits``, ``name_clusters``): each
cluster's level on recency, frequency and monetary is the mean, over its
customers, of the feature's z-score among all clustered customers (on
log1p(x), as the model sees it; 0 = the average customer, ±1 = one standard
deviation). A level at or beyond ``NAME_THRESHOLD`` (0.5) standard deviations
is a trait — recency: "recent" (below) or "dormant" (above); frequency:
"frequent" / "occasional"; monetary: "high_value" / "low_value". A name has at
most two traits, written in R, F, M order (高频高值, 新近低频, 沉睡低值): spend
first — a monetary trait is always named, since value is what a marketer
groups customers by — and then the stronger (larger |level|; recency on a tie)
of the recency and frequency traits, or both of them when spend is unremarkable.
A cluster without a trait is "average". Clusters that would share a name are told apart
by a suffix ranking them along the feature whose levels spread most among them
(ties in R, F, M order): two get "more recent" / "less recent" (较新近 / 较沉睡,
likewise for frequency and spend), three "most recent" / "mid recency" / "least
recent", four and five the lowest, lower, (middle,) higher, highest; numbers
1, 2, … only when their levels are identical or more than five share a name.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances, silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from crm.store.db import query
from crm.errors import CRMInputError
from crm.i18n import t
from crm.store.filters import Filters

BASE_FEATURES = ("recency", "frequency", "monetary")
EXTRA_FEATURES = ("tenure", "avg_order", "category_mix")
MAX_MIX_CATEGORIES = 12
MIX_PREFIX = "mix_"
MIX_OTHER = "mix_other"
DEFAULT_K_RANGE = (3, 8)
NAME_THRESHOLD = 0.5  # standard deviations from the average customer that make a trait
# feature -> (trait below the average, trait above it)
TRAITS = {"recency": ("recent", "dormant"), "frequency": ("occasional", "frequent"),
          "monetary": ("low_value", "high_value")}

_FEATURES_SELECT = """
SELECT o.customer_id,
       date_diff('day', o.last_order_date, $as_of) AS recency,
       o.frequency, o.monetary,
       date_diff('day', least(coalesce(cf.first_order_date, o.first_order_date),
                              coalesce(cf.signup_date, o.first_order_date), o.first_order_date), $as_of) AS tenure,
       o.monetary / o.frequency AS avg_order
"""

_FEATURES_SQL = _FEATURES_SELECT + """
FROM (
    SELECT customer_id, max(order_date) AS last_order_date, min(order_date) AS first_order_date,
           count(*) AS frequency, sum(amount) AS monetary
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date BETWEEN $start AND least($end, $as_of)
    GROUP BY customer_id
) o LEFT JOIN customer_features cf USING (customer_id)
ORDER BY o.customer_id
"""

# Spend per category slot: $mix_categories holds MAX_MIX_CATEGORIES names, padded
# with NULL (a NULL slot matches nothing). Static SQL, values bound.
_FEATURES_MIX_SQL = _FEATURES_SELECT + """,
       o.spend_1, o.spend_2, o.spend_3, o.spend_4, o.spend_5, o.spend_6,
       o.spend_7, o.spend_8, o.spend_9, o.spend_10, o.spend_11, o.spend_12
FROM (
    SELECT customer_id, max(order_date) AS last_order_date, min(order_date) AS first_order_date,
           count(*) AS frequency, sum(amount) AS monetary,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[1]), 0) AS spend_1,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[2]), 0) AS spend_2,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[3]), 0) AS spend_3,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[4]), 0) AS spend_4,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[5]), 0) AS spend_5,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[6]), 0) AS spend_6,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[7]), 0) AS spend_7,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[8]), 0) AS spend_8,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[9]), 0) AS spend_9,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[10]), 0) AS spend_10,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[11]), 0) AS spend_11,
           coalesce(sum(amount) FILTER (WHERE category = $mix_categories[12]), 0) AS spend_12
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date BETWEEN $start AND least($end, $as_of)
    GROUP BY customer_id
) o LEFT JOIN customer_features cf USING (customer_id)
ORDER BY o.customer_id
"""

_CATEGORIES_SQL = """
SELECT category, sum(amount) AS spend
FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
WHERE order_date BETWEEN $start AND least($end, $as_of)
GROUP BY category
ORDER BY category IS NULL, spend DESC, category
"""


def _check_extra(extra: object) -> tuple[str, ...]:
    if isinstance(extra, str):
        extra = (extra,)
    try:
        extra = tuple(extra)  # type: ignore[arg-type]
    except TypeError as exc:
        raise CRMInputError("cluster.error.extra", extra=extra, allowed=", ".join(EXTRA_FEATURES)) from exc
    unknown = [e for e in extra if e not in EXTRA_FEATURES]
    if unknown:
        raise CRMInputError("cluster.error.extra", extra=", ".join(map(str, unknown)), allowed=", ".join(EXTRA_FEATURES))
    return tuple(dict.fromkeys(extra))


def cluster_features(con, filters: Filters, extra: Sequence[str] = ()) -> pd.DataFrame:
    """customer_id, recency, frequency, monetary and the requested extras, sorted by customer_id.

    `extra` ⊆ {"tenure", "avg_order", "category_mix"} (definitions in the module
    docstring). Computed in DuckDB in one pass over the period's orders (plus a
    small query for the categories present when category_mix is asked for).
    """
    extra = _check_extra(extra)
    params = filters.params()
    wanted = ["customer_id", *BASE_FEATURES] + [e for e in ("tenure", "avg_order") if e in extra]
    if "category_mix" not in extra:
        return query(con, _FEATURES_SQL, params)[wanted]

    present = query(con, _CATEGORIES_SQL, params)
    named = present["category"].dropna().tolist()
    slots = named[:MAX_MIX_CATEGORIES]
    has_other = len(named) > MAX_MIX_CATEGORIES or present["category"].isna().any()
    if has_other and len(named) >= MAX_MIX_CATEGORIES:
        slots = named[: MAX_MIX_CATEGORIES - 1]  # keep one column for the rest
    padded = slots + [None] * (MAX_MIX_CATEGORIES - len(slots))
    df = query(con, _FEATURES_MIX_SQL, {**params, "mix_categories": padded})
    spend = df[[f"spend_{i}" for i in range(1, len(slots) + 1)]].to_numpy(dtype="float64")
    monetary = df["monetary"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(monetary[:, None] > 0, spend / monetary[:, None], 0.0)
    out = df[wanted].copy()
    mix = pd.DataFrame(shares, columns=[f"{MIX_PREFIX}{name}" for name in slots], index=out.index)
    if has_other:
        mix[MIX_OTHER] = np.clip(1.0 - shares.sum(axis=1), 0.0, 1.0) * (monetary > 0)
    return pd.concat([out, mix], axis=1)


class RFMKMeans:
    """K-means clusters of customers on (log-)standardised RFM features.

    Parameters
    ----------
    n_clusters : int or None
        Number of clusters; None takes the k of `k_range` with the best silhouette.
    k_range : (int, int)
        Inclusive range of k scored by silhouette (2 ≤ low ≤ high); capped at
        n − 1 customers, and widened down to 2 when fewer than low + 1 remain.
    features : subset of ("recency", "frequency", "monetary")
    extra : subset of ("tenure", "avg_order", "category_mix")
        Columns of `cluster_features` to add; category_mix means every ``mix_*`` column.
    sample_size : int
        Customers (seeded random sample) k-means and the scaler are fitted on.
    silhouette_sample : int
        Points of that sample the silhouette is measured on.
    n_init : int
        Seeded k-means starts per k (the best by inertia is kept).
    random_state : int
        Seed of the samples and of k-means.

    Learned attributes
    ------------------
    feature_names_in_ : columns of X used; n_clusters_ : k used;
    silhouette_scores_ : {k: mean silhouette} for every k of the (capped) range,
    and n_clusters when given (NaN where undefined); best_k_ : the k of the range
    with the best score (None when no score is defined);
    scaler_ : the fitted StandardScaler; model_ : the fitted KMeans (its own labels);
    label_map_ : array, model label → cluster number 1..k; cluster_centers_ :
    standardised centres, row i = cluster i + 1; n_samples_fit_ : sample size used.

    Parameters are validated in `fit` (as scikit-learn does) or by
    `validate_params()`, with CRMInputError.
    """

    def __init__(
        self,
        n_clusters: int | None = None,
        k_range: tuple[int, int] = DEFAULT_K_RANGE,
        features: Sequence[str] = BASE_FEATURES,
        extra: Sequence[str] = (),
        sample_size: int = 5_000,
        silhouette_sample: int = 2_000,
        n_init: int = 3,
        random_state: int = 0,
    ):
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.features = features
        self.extra = extra
        self.sample_size = sample_size
        self.silhouette_sample = silhouette_sample
        self.n_init = n_init
        self.random_state = random_state

    # -- scikit-learn conventions -------------------------------------------------
    _PARAMS = ("n_clusters", "k_range", "features", "extra", "sample_size", "silhouette_sample", "n_init",
               "random_state")

    def get_params(self, deep: bool = True) -> dict[str, object]:
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: object) -> "RFMKMeans":
        for name, value in params.items():
            if name not in self._PARAMS:
                raise CRMInputError("cluster.error.parameter", name=name)
            setattr(self, name, value)
        return self

    # -- validation -----------------------------------------------------------------
    @staticmethod
    def _positive_int(value: object, minimum: int) -> bool:
        return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value >= minimum

    def validate_params(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Check every setting (CRMInputError when one is wrong); return the features and extras."""
        if self.n_clusters is not None and not self._positive_int(self.n_clusters, 2):
            raise CRMInputError("cluster.error.n_clusters", n_clusters=self.n_clusters)
        try:
            low, high = self.k_range
        except (TypeError, ValueError) as exc:
            raise CRMInputError("cluster.error.k_range", k_range=self.k_range) from exc
        if not (self._positive_int(low, 2) and self._positive_int(high, 2) and low <= high):
            raise CRMInputError("cluster.error.k_range", k_range=self.k_range)
        features = (self.features,) if isinstance(self.features, str) else tuple(self.features)
        if not features or any(f not in BASE_FEATURES for f in features) or len(set(features)) != len(features):
            raise CRMInputError("cluster.error.features", features=", ".join(map(str, features)),
                                allowed=", ".join(BASE_FEATURES))
        extra = _check_extra(self.extra)
        if not self._positive_int(self.sample_size, 10):
            raise CRMInputError("cluster.error.sample_size", name="sample_size", value=self.sample_size)
        if not self._positive_int(self.silhouette_sample, 10):
            raise CRMInputError("cluster.error.sample_size", name="silhouette_sample", value=self.silhouette_sample)
        if not self._positive_int(self.n_init, 1):
            raise CRMInputError("cluster.error.n_init", n_init=self.n_init)
        if isinstance(self.random_state, bool) or not isinstance(self.random_state, (int, np.integer)):
            raise CRMInputError("cluster.error.random_state", random_state=self.random_state)
        return features, extra

    def _columns(self, X: pd.DataFrame, features: tuple[str, ...], extra: tuple[str, ...]) -> list[str]:
        columns = list(features) + [e for e in ("tenure", "avg_order") if e in extra]
        if "category_mix" in extra:
            mix = [c for c in X.columns if str(c).startswith(MIX_PREFIX)]
            if not mix:
                raise CRMInputError("cluster.error.missing_columns", columns="mix_*")
            columns += mix
        missing = [c for c in columns + ["monetary"] if c not in X.columns]
        if missing:
            raise CRMInputError("cluster.error.missing_columns", columns=", ".join(dict.fromkeys(missing)))
        return columns

    @staticmethod
    def _transform(X: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
        """log1p(max(x, 0)) for counts, days and money; category shares as they are."""
        values = X[list(columns)].to_numpy(dtype="float64", copy=True)
        if np.isnan(values).any():
            raise CRMInputError("cluster.error.missing_values")
        logged = np.array([not str(c).startswith(MIX_PREFIX) for c in columns])
        values[:, logged] = np.log1p(np.clip(values[:, logged], 0.0, None))
        return values

    # -- fitting ----------------------------------------------------------------------
    def _kmeans(self, Z: np.ndarray, k: int) -> KMeans:
        return KMeans(n_clusters=k, n_init=int(self.n_init), random_state=self.random_state).fit(Z)

    def fit(self, X: pd.DataFrame, y: object = None) -> "RFMKMeans":
        """Fit the scaler and k-means on a sample of X (a `cluster_features` frame); returns self.

        Runs on one thread (OpenMP and BLAS): on a server whose cores are busy with
        other sessions, k-means' spinning worker threads made a fit 20 times slower.
        """
        with threadpool_limits(limits=1):
            return self._fit(X)

    def _fit(self, X: pd.DataFrame) -> "RFMKMeans":
        features, extra = self.validate_params()
        columns = self._columns(X, features, extra)
        n = len(X)
        if n < 2 or (self.n_clusters is not None and n < self.n_clusters) or (self.n_clusters is None and n < 3):
            raise CRMInputError("cluster.error.too_few_customers", customers=n,
                                needed=self.n_clusters if self.n_clusters is not None else 3)
        rng = np.random.RandomState(self.random_state)
        sample = np.sort(rng.choice(n, self.sample_size, replace=False)) if n > self.sample_size else np.arange(n)
        raw = self._transform(X.iloc[sample], columns)
        scaler = StandardScaler().fit(raw)
        Z = scaler.transform(raw)

        # silhouette of every k of the range (capped at n − 1; down to 2 for very few customers)
        low, high = self.k_range
        high = min(high, len(Z) - 1)
        low = min(low, high)
        candidates = list(range(low, high + 1)) if high >= 2 else []
        if self.n_clusters is not None and self.n_clusters <= len(Z) - 1 and self.n_clusters not in candidates:
            candidates.append(int(self.n_clusters))
        m = min(self.silhouette_sample, len(Z))
        sil_index = np.sort(rng.choice(len(Z), m, replace=False)) if m < len(Z) else np.arange(len(Z))
        distances = pairwise_distances(Z[sil_index]) if candidates else None  # once for every k
        models: dict[int, KMeans] = {}
        scores: dict[int, float] = {}
        for k in candidates:
            models[k] = self._kmeans(Z, k)
            labels = models[k].labels_[sil_index]
            if 2 <= len(np.unique(labels)) <= len(sil_index) - 1:
                scores[k] = float(silhouette_score(distances, labels, metric="precomputed"))
            else:
                scores[k] = float("nan")  # undefined: all sampled points in one cluster
        in_range = [k for k in candidates if low <= k <= high and not np.isnan(scores[k])]
        best_k = max(in_range, key=lambda k: (scores[k], -k)) if in_range else None
        if self.n_clusters is not None:
            k = int(self.n_clusters)
        else:
            k = best_k if best_k is not None else max(low, 2)  # no defined score: the smallest k
        model = models[k] if k in models else self._kmeans(Z, k)

        # Renumber by mean raw monetary of the sample members, highest first (ties: model label).
        monetary = X["monetary"].to_numpy(dtype="float64")[sample]
        counts = np.bincount(model.labels_, minlength=k)
        sums = np.bincount(model.labels_, weights=monetary, minlength=k)
        means = np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)
        order = np.lexsort((np.arange(k), -means))  # model labels, most valuable first
        label_map = np.empty(k, dtype=np.int64)
        label_map[order] = np.arange(1, k + 1)

        self.feature_names_in_ = np.array(columns, dtype=object)
        self.scaler_ = scaler
        self.model_ = model
        self.n_clusters_ = k
        self.best_k_ = best_k
        self.silhouette_scores_ = dict(sorted(scores.items()))
        self.label_map_ = label_map
        self.cluster_centers_ = model.cluster_centers_[order]
        self.n_samples_fit_ = len(Z)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise CRMInputError("cluster.error.not_fitted")

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The standardised feature matrix the model sees."""
        self._check_fitted()
        columns = list(self.feature_names_in_)
        missing = [c for c in columns if c not in X.columns]
        if missing:
            raise CRMInputError("cluster.error.missing_columns", columns=", ".join(missing))
        return self.scaler_.transform(self._transform(X, columns))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Cluster number (1..n_clusters_, 1 = highest mean monetary) of every row of X."""
        Z = self.transform(X)
        if len(Z) == 0:
            return np.empty(0, dtype=np.int64)
        with threadpool_limits(limits=1):
            return self.label_map_[self.model_.predict(Z)]

    def fit_predict(self, X: pd.DataFrame, y: object = None) -> np.ndarray:
        """fit(X) then predict(X)."""
        return self.fit(X).predict(X)


def cluster_profiles(X: pd.DataFrame, labels: Sequence[int]) -> pd.DataFrame:
    """Size and mean raw features of each cluster.

    Columns: cluster, customers, share (customers ÷ all), the mean of every
    feature column of X (everything but customer_id), revenue_share (the
    cluster's summed monetary ÷ total monetary). Sorted by cluster.
    """
    labels = np.asarray(labels)
    if len(labels) != len(X):
        raise CRMInputError("cluster.error.labels_length", labels=len(labels), rows=len(X))
    features = X.drop(columns=["customer_id"], errors="ignore")
    grouped = features.groupby(labels)
    out = grouped.mean()
    out.insert(0, "customers", grouped.size().astype("int64"))
    out.insert(1, "share", out["customers"] / max(len(X), 1))
    total = features["monetary"].sum() if "monetary" in features else 0
    out["revenue_share"] = grouped["monetary"].sum() / total if total else 0.0
    return out.rename_axis("cluster").reset_index()


# ---------------------------------------------------------------------- names
def cluster_levels(X: pd.DataFrame, labels: Sequence[int]) -> pd.DataFrame:
    """Each cluster's level on recency, frequency and monetary, relative to all rows of X.

    Columns: cluster, recency, frequency, monetary — the mean over the cluster's
    customers of z = (log1p(max(x, 0)) − mean) ÷ sd, mean and (population) sd taken
    over every row of X: 0 is the average customer, +1 one standard deviation above.
    Sorted by cluster.
    """
    labels = np.asarray(labels)
    if len(labels) != len(X):
        raise CRMInputError("cluster.error.labels_length", labels=len(labels), rows=len(X))
    features = list(TRAITS)
    missing = [c for c in features if c not in X.columns]
    if missing:
        raise CRMInputError("cluster.error.missing_columns", columns=", ".join(missing))
    logged = np.log1p(np.clip(X[features].to_numpy(dtype="float64"), 0.0, None))
    sd = logged.std(axis=0)
    z = (logged - logged.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    levels = pd.DataFrame(z, columns=features).groupby(labels).mean()
    return levels.rename_axis("cluster").reset_index()


def profile_traits(levels: pd.DataFrame, threshold: float = NAME_THRESHOLD) -> dict[int, tuple[str, ...]]:
    """{cluster: its traits}, at most two, in R, F, M order (see the module docstring).

    A feature whose level is ≤ −threshold gives its "below" trait (recent,
    occasional, low_value), ≥ threshold its "above" trait (dormant, frequent,
    high_value). A monetary trait is always kept, with the stronger of the
    recency and frequency traits (recency on a tie); without one, both of those.
    """
    out: dict[int, tuple[str, ...]] = {}
    features = list(TRAITS)
    for row in levels.itertuples(index=False):
        values = {f: float(getattr(row, f)) for f in features}
        marked = [f for f in features if abs(values[f]) >= threshold]
        if "monetary" in marked:
            others = [f for f in marked if f != "monetary"]
            marked = sorted(others, key=lambda f: -abs(values[f]))[:1] + ["monetary"]  # stable: recency first
        out[int(row.cluster)] = tuple(TRAITS[f][values[f] > 0] for f in features if f in marked)
    return out


def profile_key(traits: Sequence[str]) -> str:
    """Translation key of a cluster name: cluster.profile.<traits joined by '_'> or cluster.profile.average."""
    return "cluster.profile." + ("_".join(traits) if traits else "average")


# rank words for a group of clusters that share a name, ordered along one feature
_RANK_WORDS = {2: ("lower", "higher"), 3: ("lowest", "middle", "highest"),
               4: ("lowest", "lower", "higher", "highest"), 5: ("lowest", "lower", "middle", "higher", "highest")}


def _suffixes(levels: pd.DataFrame, members: list[int]) -> dict[int, tuple[str, str]]:
    """{cluster: (feature, rank word)} telling apart `members`, clusters that share a name.

    Ordered along the feature whose levels spread most among them (first of R, F, M
    on ties); ("number", "1"), ("number", "2"), … when their levels are identical or
    more than five share a name.
    """
    table = levels.set_index("cluster").loc[members, list(TRAITS)]
    spread = table.max() - table.min()
    if float(spread.max()) <= 0 or len(members) not in _RANK_WORDS:
        return {c: ("number", str(i)) for i, c in enumerate(members, start=1)}
    feature = str(spread.idxmax())
    ranked = table[feature].sort_values(kind="stable").index
    return {int(c): (feature, word) for c, word in zip(ranked, _RANK_WORDS[len(members)])}


def name_clusters(levels: pd.DataFrame, lang: str, threshold: float = NAME_THRESHOLD) -> dict[int, str]:
    """{cluster: name} in `lang` from `cluster_levels`; names are unique (see the module docstring).

    e.g. 高频高值 / "Frequent high spenders", 新近低频 / "Recent occasional buyers",
    沉睡低值 / "Dormant low spenders"; a shared name gets a suffix such as
    沉睡低值（较新近） / "Dormant low spenders (more recent)".
    """
    traits = profile_traits(levels, threshold)
    names = {c: t(profile_key(tr), lang) for c, tr in traits.items()}
    groups: dict[tuple[str, ...], list[int]] = {}
    for c, tr in traits.items():
        groups.setdefault(tr, []).append(c)
    for members in groups.values():
        if len(members) < 2:
            continue
        for c, (feature, word) in _suffixes(levels, sorted(members)).items():
            suffix = t("cluster.suffix.number", lang, n=word) if feature == "number" \
                else t(f"cluster.suffix.{feature}.{word}", lang)
            names[c] = t("cluster.name.with_suffix", lang, name=names[c], suffix=suffix)
    return names
