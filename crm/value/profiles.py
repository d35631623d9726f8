"""Who the segments are, and a clustering run summarised for display.

* `segment_mix` — for one customer dimension (province, acquisition channel,
  age band, gender, customer type), how each value's customers split over the
  RFM segments: share = customers of the value in the segment ÷ customers of
  the value.
* `cluster_analysis` — fits `RFMKMeans` once and returns what a page shows:
  the silhouette score of every k of the range, cluster sizes and profiles,
  each cluster's standardised R/F/M levels (its name comes from them, see
  `crm.value.clusters.name_clusters`), and a seeded sample of customers for a
  scatter plot. Plain arguments in, plain frames out, so the result can be cached.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from crm.store.db import query
from crm.value.clusters import RFMKMeans, cluster_features, cluster_levels, cluster_profiles
from crm.errors import CRMInputError
from crm.value.rfm import compute_rfm

MIX_DIMENSIONS = ("province", "acquisition_channel", "age_band", "gender", "customer_type")

_MIX_SQL = """
WITH joined AS (
    SELECT r.segment, r.monetary,
           CASE $dimension
               WHEN 'province' THEN c.province
               WHEN 'acquisition_channel' THEN c.acquisition_channel
               WHEN 'age_band' THEN c.age_band
               WHEN 'gender' THEN c.gender
               WHEN 'customer_type' THEN c.customer_type
           END AS value
    FROM crm_segment_input r JOIN customer_features c USING (customer_id)
)
SELECT value, segment, count(*) AS customers, sum(monetary) AS revenue,
       count(*) / sum(count(*)) OVER (PARTITION BY value) AS share
FROM joined
GROUP BY value, segment
ORDER BY value, segment
"""


def segment_mix(con, filters, dimension: str, *, bins: int = 5, split: str = "mean") -> pd.DataFrame:
    """Customers per (dimension value, segment) with their share of the value's customers.

    Segments are those of `crm.value.rfm.compute_rfm(con, filters, bins=bins, split=split)`.
    """
    if dimension not in MIX_DIMENSIONS:
        raise CRMInputError("filters.error.unknown_dimension", dimension=dimension)
    rfm = compute_rfm(con, filters, bins=bins, split=split)
    segments = rfm[["customer_id", "segment", "monetary"]].assign(segment=rfm["segment"].astype("string"))
    return query(con, _MIX_SQL, {"dimension": dimension}, frames={"crm_segment_input": segments})


@dataclass
class ClusterAnalysis:
    """One clustering run, ready to draw."""

    n_clusters: int
    best_k: int | None              # the k of k_range with the best silhouette
    k_range: tuple[int, int]
    silhouette_scores: dict[int, float]  # every k of the range (and n_clusters when given)
    profiles: pd.DataFrame          # cluster_profiles(): cluster, customers, share, feature means, revenue share
    levels: pd.DataFrame            # cluster_levels(): cluster, recency, frequency, monetary (z, 0 = average)
    sample: pd.DataFrame            # customer_id, recency, frequency, monetary, cluster (≤ sample_points rows)
    labels: pd.DataFrame            # customer_id, cluster for everyone


def cluster_analysis(con, filters, *, n_clusters: int | None = None, extra: tuple[str, ...] = (),
                     random_state: int = 0, sample_points: int = 1500) -> ClusterAnalysis:
    """Fit k-means on standardised log-RFM (plus `extra` features) and label every customer.

    k is `n_clusters`, or the k of the default range (3–8) with the best silhouette score when None.
    """
    X = cluster_features(con, filters, extra)
    if len(X) < 10:
        raise CRMInputError("cluster.error.too_few_customers", customers=len(X))
    model = RFMKMeans(n_clusters=n_clusters, extra=tuple(extra), random_state=random_state).fit(X)
    labels = model.predict(X)
    out = X[["customer_id", "recency", "frequency", "monetary"]].assign(cluster=labels)
    sample = out.sample(n=min(sample_points, len(out)), random_state=random_state)
    return ClusterAnalysis(
        n_clusters=int(model.n_clusters_),
        best_k=None if model.best_k_ is None else int(model.best_k_),
        k_range=tuple(int(k) for k in model.k_range),
        silhouette_scores={int(k): float(v) for k, v in model.silhouette_scores_.items()},
        profiles=cluster_profiles(X, labels),
        levels=cluster_levels(X, labels),
        sample=sample.reset_index(drop=True),
        labels=out[["customer_id", "cluster"]],
    )


def relative_profile(profiles: pd.DataFrame, baseline: pd.Series,
                     features: tuple[str, ...] = ("recency", "frequency", "monetary")) -> pd.DataFrame:
    """Each cluster's mean of each feature as a multiple of the baseline mean (1 = the average customer).

    Long format: cluster, feature, mean, index = mean ÷ baseline[feature].
    """
    long = profiles.melt(id_vars="cluster", value_vars=list(features), var_name="feature", value_name="mean")
    long["index"] = long["mean"] / long["feature"].map(baseline)
    return long
