"""The combined per-customer segment table: RFM class, ABC class, tier and cluster.

One row per customer of the RFM population (``crm.value.rfm.compute_rfm``: at least
one order in [start, min(end, as_of)] inside the filters), built from the very
functions the pages call, so an export always matches the screen:

* recency_days, frequency, monetary, r_score, f_score, m_score, segment — ``compute_rfm(bins, split)``
* abc_class — ``crm.value.concentration.abc_classes`` by revenue, default cut points 80 % / 95 %
* tier — ``crm.value.loyalty.assign_tiers(compute_points(...))`` with the defaults
* cluster — ``crm.value.clusters.RFMKMeans(n_clusters, random_state)`` fitted on
  ``cluster_features`` (recency, frequency, monetary) and predicted for everyone;
  <NA> when there are too few customers to cluster (fewer than 3, or than n_clusters).
  The same model, settings and seed as the Segmentation page's clusters tab.
* cluster_name — the cluster's name from its profile in `lang`
  (``crm.value.clusters.name_clusters``, as the page shows it); <NA> without a cluster.
"""

from __future__ import annotations

import pandas as pd

from crm.i18n import DEFAULT_LANGUAGE
from crm.value.clusters import RFMKMeans, cluster_features, cluster_levels, name_clusters
from crm.value.concentration import abc_classes
from crm.store.filters import Filters
from crm.value.loyalty import assign_tiers, compute_points
from crm.value.rfm import compute_rfm, validate_rfm_parameters

SEGMENT_COLUMNS = [
    "customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
    "segment", "abc_class", "tier", "cluster", "cluster_name",
]


def customer_segments(
    con,
    filters: Filters,
    *,
    bins: int = 5,
    split: str = "mean",
    n_clusters: int | None = None,
    random_state: int = 0,
    lang: str = DEFAULT_LANGUAGE,
) -> pd.DataFrame:
    """The per-customer table with exactly the columns ``SEGMENT_COLUMNS``, sorted by customer_id.

    `segment` is the RFM class code (see ``crm.value.rfm.SEGMENTS``), `abc_class` 'A'/'B'/'C',
    `tier` the loyalty tier name, `cluster` 1..k (1 = highest mean monetary), `cluster_name`
    its profile name in `lang`.
    """
    validate_rfm_parameters(bins, split)
    model = RFMKMeans(n_clusters=n_clusters, random_state=random_state)
    model.validate_params()  # fail before the queries on a bad n_clusters / random_state

    rfm = compute_rfm(con, filters, bins=bins, split=split)
    abc = abc_classes(con, filters)[["customer_id", "abc_class"]]
    tiers = assign_tiers(compute_points(con, filters))[["customer_id", "tier"]]
    X = cluster_features(con, filters)

    needed = n_clusters if n_clusters is not None else 3
    if len(X) >= needed:
        labels = model.fit_predict(X)
        names = name_clusters(cluster_levels(X, labels), lang)
        cluster_names = pd.array([names[c] for c in labels], dtype="string")
    else:
        labels = [pd.NA] * len(X)
        cluster_names = pd.array(labels, dtype="string")
    clusters = pd.DataFrame({"customer_id": X["customer_id"], "cluster": pd.array(labels, dtype="Int64"),
                             "cluster_name": cluster_names})

    out = (
        rfm.merge(abc, on="customer_id", how="left")
        .merge(tiers, on="customer_id", how="left")
        .merge(clusters, on="customer_id", how="left")
    )
    return out[SEGMENT_COLUMNS].reset_index(drop=True)
