"""Churn risk (流失预警): the probability that a customer places no order in the next H days.

Definitions (a *purchase* is a non-returned order, as everywhere in the app):

* **Population**: customers with at least one purchase on or before the cutoff.
* **Label** (training only): churned = 1 when the customer makes no purchase in
  (cutoff, cutoff + H]; 0 otherwise.
* **Honest in time**: the model is trained on features computed as of
  ``as_of − H`` with labels from the window (as_of − H, as_of], the most recent
  window whose outcome is known; it then scores every customer on features
  computed as of ``as_of``. Features read only rows dated on or before their
  cutoff (orders by order date, tickets by the day they were opened, survey
  answers by the day they were submitted; a complaint's resolution counts only
  once resolved by the cutoff), so nothing after the cutoff leaks in.

Features, all in DuckDB SQL (`churn_features`), as of a cutoff c:

* ``recency_days`` c − last purchase day; ``tenure_days`` c − first purchase day;
* ``frequency`` purchase days (orders on one day count once); ``orders`` purchases;
* ``monetary`` revenue to date; ``avg_order_value`` monetary ÷ orders;
* ``mean_gap_days`` (last − first purchase day) ÷ (frequency − 1), ``last_gap_days``
  days between the last two purchase days (both empty for one-day buyers);
  ``overdue_ratio`` recency ÷ mean gap (> 1: later than the customer's habit);
* ``spend_90`` revenue in (c − 90, c], ``spend_prior_90`` in (c − 180, c − 90],
  ``spend_trend`` (spend_90 − spend_prior_90) ÷ (spend_90 + spend_prior_90), in [−1, 1];
* ``categories`` distinct categories bought; ``returns`` returned orders,
  ``return_rate`` returns ÷ all orders;
* ``complaints`` complaint tickets opened, ``open_complaints`` still open at c
  (the rule of the key-account list), ``complaint_resolution_hours`` mean time
  to resolve the complaints resolved by c;
* ``satisfaction`` the latest survey response's overall satisfaction as a share of
  its scale, 0 (lowest) … 1 (highest): the mean of its ``overall`` rating items, else
  of its perceived (or unlabelled) ratings, reverse-scored items flipped;
  ``nps`` the latest 0–10 recommendation answer. Empty when never surveyed.

Estimator: logistic regression (signed log1p, median imputation with missing
indicators, standardised) or scikit-learn's HistGradientBoostingClassifier,
(fitted on at most `LOGISTIC_ROWS` rows, which is plenty for its few coefficients),
whichever has the higher ROC AUC on a holdout (a stratified 25 % of the training
customers, split by `random_state`). Above `MAX_TRAINING_ROWS` training
customers, a deterministic sample of about that size (by a hash of the id and
`random_state`) is used; everyone is scored. The model card reports the holdout AUC against a recency-only
baseline (the AUC of ``recency_days`` itself), the top-decile lift (the churn
rate among the 10 % with the highest predicted risk ÷ the holdout's churn
rate), a calibration table (predicted against observed by decile), the top
drivers by permutation importance (the drop in holdout AUC when one feature is
shuffled; Breiman 2001, as in scikit-learn's `permutation_importance`), the
window and the sizes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm.errors import CRMInputError
from crm.store.db import query, scalar
from crm.store.features import reference_date

FEATURES = [
    "recency_days", "frequency", "orders", "monetary", "avg_order_value", "tenure_days",
    "mean_gap_days", "last_gap_days", "overdue_ratio", "spend_90", "spend_prior_90", "spend_trend",
    "categories", "returns", "return_rate", "complaints", "open_complaints", "complaint_resolution_hours",
    "satisfaction", "nps",
]
# The features the CLI writes beside the probability (the others are in the page's table).
MAIN_FEATURES = ["recency_days", "frequency", "monetary", "tenure_days", "mean_gap_days", "spend_trend",
                 "categories", "returns", "complaints", "satisfaction", "nps"]
ESTIMATORS = ("logistic", "hist_gradient_boosting")
RISK_BANDS = ("high", "medium", "low")
HIGH_RISK = 0.7    # churn probability from which a customer is "high risk"
MEDIUM_RISK = 0.4  # ... "medium risk"; below it "low risk"
MIN_HORIZON, MAX_HORIZON = 7, 730
MIN_TRAINING_CUSTOMERS = 40
MAX_TRAINING_ROWS = 200_000
HOLDOUT_SHARE = 0.25
LOGISTIC_ROWS = 50_000   # the logistic regression fits on at most this many rows (it gains nothing from more)
IMPORTANCE_ROWS = 5_000   # holdout rows the permutation importance shuffles (a sample above it)
IMPORTANCE_REPEATS = 3

_FEATURES_SQL = """
WITH days AS (  -- money summed as DECIMAL: exact, so the same in any thread order (doubles are not)
    SELECT customer_id, order_date, sum(amount::DECIMAL(18, 2)) AS amount, count(*) AS orders
    FROM order_facts
    WHERE NOT returned AND order_date <= $cutoff AND hash(customer_id, $seed) % 1000000 < $keep
    GROUP BY customer_id, order_date
),
d AS (
    SELECT customer_id,
           min(order_date) AS first_day, max(order_date) AS last_day,
           count(*) AS frequency, sum(orders) AS orders, sum(amount) AS monetary,
           max(order_date, 2) AS last_two,
           coalesce(sum(amount) FILTER (WHERE order_date > $cutoff::DATE - 90), 0) AS spend_90,
           coalesce(sum(amount) FILTER (WHERE order_date <= $cutoff::DATE - 90
                                        AND order_date > $cutoff::DATE - 180), 0) AS spend_prior_90
    FROM days
    GROUP BY customer_id
),
o AS (
    SELECT customer_id,
           count(DISTINCT category) FILTER (WHERE NOT returned) AS categories,
           count(*) FILTER (WHERE returned) AS returns,
           count(*) AS all_orders
    FROM order_facts
    WHERE order_date <= $cutoff AND hash(customer_id, $seed) % 1000000 < $keep
    GROUP BY customer_id
),
later AS (
    SELECT DISTINCT customer_id
    FROM order_facts
    WHERE NOT returned AND order_date > $cutoff AND order_date <= $label_end
),
t AS (
    SELECT customer_id,
           count(*) AS complaints,
           count(*) FILTER (WHERE resolved_at::DATE > $cutoff
                            OR (resolved_at IS NULL AND coalesce(status, 'open') NOT IN ('resolved', 'closed')))
               AS open_complaints,
           avg(date_diff('minute', opened_at, resolved_at))  -- of integers: exact in any thread order
               FILTER (WHERE resolved_at::DATE <= $cutoff) / 60.0 AS complaint_resolution_hours
    FROM tickets
    WHERE type = 'complaint' AND customer_id IS NOT NULL AND opened_at::DATE <= $cutoff
    GROUP BY customer_id
),
answers AS (
    SELECT r.customer_id, r.response_id, r.submitted_at, q.kind, q.dimension, q.measure,
           (CASE WHEN q.reverse_scored THEN q.scale_min + q.scale_max - a.value_num ELSE a.value_num END
            - q.scale_min) / nullif(q.scale_max - q.scale_min, 0) AS share,
           a.value_num
    FROM survey_responses r
    JOIN survey_answers a ON a.response_id = r.response_id
    JOIN survey_questions q ON q.survey_id = r.survey_id AND q.question_id = a.question_id
    WHERE r.customer_id IS NOT NULL AND r.submitted_at::DATE <= $cutoff AND a.value_num IS NOT NULL
      AND q.kind IN ('rating', 'nps')
),
responses AS (
    SELECT customer_id, response_id, any_value(submitted_at) AS submitted_at,
           round(coalesce(avg(share) FILTER (WHERE kind = 'rating' AND dimension = 'overall'),
                          avg(share) FILTER (WHERE kind = 'rating'
                                             AND coalesce(measure, 'perceived') IN ('perceived', 'overall'))), 9)
               AS satisfaction,  -- rounded: a mean of doubles may differ in its last bits between runs
           avg(value_num) FILTER (WHERE kind = 'nps') AS nps
    FROM answers
    GROUP BY customer_id, response_id
),
s AS (
    SELECT customer_id,
           arg_max(satisfaction, (submitted_at, response_id)) FILTER (WHERE satisfaction IS NOT NULL) AS satisfaction,
           arg_max(nps, (submitted_at, response_id)) FILTER (WHERE nps IS NOT NULL) AS nps
    FROM responses
    GROUP BY customer_id
)
SELECT d.customer_id,
       date_diff('day', d.last_day, $cutoff::DATE) AS recency_days,
       d.frequency, d.orders, d.monetary::DOUBLE AS monetary,
       (d.monetary / d.orders)::DOUBLE AS avg_order_value,
       date_diff('day', d.first_day, $cutoff::DATE) AS tenure_days,
       CASE WHEN d.frequency > 1 THEN date_diff('day', d.first_day, d.last_day) / (d.frequency - 1) END
           AS mean_gap_days,
       CASE WHEN d.frequency > 1 THEN date_diff('day', d.last_two[2], d.last_two[1]) END AS last_gap_days,
       CASE WHEN d.frequency > 1 THEN date_diff('day', d.last_day, $cutoff::DATE)
            / (date_diff('day', d.first_day, d.last_day) / (d.frequency - 1)) END AS overdue_ratio,
       d.spend_90::DOUBLE AS spend_90, d.spend_prior_90::DOUBLE AS spend_prior_90,
       CASE WHEN d.spend_90 + d.spend_prior_90 > 0
            THEN (d.spend_90 - d.spend_prior_90) / (d.spend_90 + d.spend_prior_90) ELSE 0 END::DOUBLE AS spend_trend,
       coalesce(o.categories, 0) AS categories, coalesce(o.returns, 0) AS returns,
       coalesce(o.returns, 0) / o.all_orders AS return_rate,
       coalesce(t.complaints, 0) AS complaints, coalesce(t.open_complaints, 0) AS open_complaints,
       t.complaint_resolution_hours,
       s.satisfaction, s.nps,
       (later.customer_id IS NULL)::TINYINT AS churned
FROM d
LEFT JOIN o USING (customer_id)
LEFT JOIN later USING (customer_id)
LEFT JOIN t USING (customer_id)
LEFT JOIN s USING (customer_id)
ORDER BY d.customer_id
"""

_POPULATION_SQL = """
SELECT count(DISTINCT customer_id) FROM order_facts WHERE NOT returned AND order_date <= $cutoff
"""
_KEEP_ALL = 1_000_000  # `keep` of the features query that keeps every customer (hash % 10⁶ < keep)


@dataclass(frozen=True)
class ChurnResult:
    """`scores`: one row per customer (customer_id, churn_probability, risk_band and `FEATURES` as of as_of),
    highest probability first; `card`: the model card (see `score_churn`)."""

    scores: pd.DataFrame
    card: dict = field(default_factory=dict)


def churn_features(con, cutoff: dt.date, *, horizon_days: int = 0, share: float = 1.0,
                   seed: int = 0) -> pd.DataFrame:
    """`FEATURES` of every customer with a purchase on or before `cutoff`, from rows dated up to `cutoff` only,
    by customer id.

    ``churned`` is the label: 1 when the customer makes no purchase in (cutoff,
    cutoff + horizon_days] (always 1 with the default 0 days: no window).
    ``share`` < 1 keeps a deterministic sample of about that share of the
    customers, chosen by a hash of their id and `seed`.
    """
    keep = _KEEP_ALL if share >= 1 else int(round(share * _KEEP_ALL))
    frame = query(con, _FEATURES_SQL, {"cutoff": cutoff, "label_end": cutoff + dt.timedelta(days=horizon_days),
                                       "seed": int(seed), "keep": keep})
    for column in FEATURES:
        frame[column] = frame[column].astype("float64")
    return frame


def _signed_log(x):
    return np.sign(x) * np.log1p(np.abs(x))


def make_estimator(name: str, random_state: int = 0):
    """An unfitted scikit-learn classifier by name (`ESTIMATORS`)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if name == "logistic":
        return make_pipeline(FunctionTransformer(_signed_log), SimpleImputer(strategy="median", add_indicator=True),
                             StandardScaler(), LogisticRegression(max_iter=1000, C=1.0))
    if name == "hist_gradient_boosting":
        return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, max_leaf_nodes=31,
                                              l2_regularization=1.0, early_stopping=False, random_state=random_state)
    raise ValueError(f"unknown estimator: {name}")


def _validate(horizon_days: object, as_of: dt.date | None, first: dt.date | None) -> int:
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, (int, np.integer)) \
            or not MIN_HORIZON <= int(horizon_days) <= MAX_HORIZON:
        raise CRMInputError("churn.error.horizon", value=horizon_days, low=MIN_HORIZON, high=MAX_HORIZON)
    if as_of is None or first is None:
        raise CRMInputError("churn.error.no_orders")
    cutoff = as_of - dt.timedelta(days=int(horizon_days))
    if cutoff < first:
        raise CRMInputError("churn.error.short_history", as_of=as_of.isoformat(), horizon=int(horizon_days),
                            first=first.isoformat())
    return int(horizon_days)


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Deciles of predicted probability (1 = lowest): customers, mean predicted, observed churn rate."""
    order = np.argsort(p, kind="stable")
    decile = np.empty(len(p), dtype=int)
    decile[order] = np.arange(len(p)) * bins // max(len(p), 1) + 1
    frame = pd.DataFrame({"decile": decile, "predicted": p, "observed": y.astype(float)})
    out = frame.groupby("decile", as_index=False).agg(customers=("predicted", "size"), predicted=("predicted", "mean"),
                                                       observed=("observed", "mean"))
    return out


def top_decile_lift(y: np.ndarray, p: np.ndarray) -> float:
    """Churn rate among the 10 % with the highest predicted probability ÷ the overall churn rate."""
    n = max(int(np.ceil(len(p) * 0.1)), 1)
    top = np.argsort(-p, kind="stable")[:n]
    base = float(np.mean(y))
    return float(np.mean(y[top]) / base) if base > 0 else float("nan")


def score_churn(con, *, horizon_days: int = 90, as_of: dt.date | None = None, random_state: int = 0,
                max_training_rows: int = MAX_TRAINING_ROWS, progress=None) -> "ChurnResult":
    """Train the churn model honestly on time and score every customer (see `_score_churn`).

    scikit-learn runs on one OpenMP thread: on a shared machine, parallel regions
    waiting for busy cores made fitting and the many small predictions of the
    permutation importance tens of times slower (DuckDB keeps its own threads).
    """
    import sklearn.ensemble  # noqa: F401 - loads scikit-learn's OpenMP runtime, which the limit applies to
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        return _score_churn(con, horizon_days=horizon_days, as_of=as_of, random_state=random_state,
                            max_training_rows=max_training_rows, progress=progress)


def _score_churn(con, *, horizon_days: int, as_of: dt.date | None, random_state: int,
                 max_training_rows: int, progress) -> "ChurnResult":
    """Train the churn model honestly on time and score every customer (see the module docstring).

    `as_of` defaults to the data's reference date (the latest order date).
    `progress(message_key, fraction)` is called between the steps when given.
    The card holds: estimator, auc, baseline_auc, better_than_baseline,
    candidates {estimator: holdout AUC}, top_decile_lift, calibration
    (DataFrame decile, customers, predicted, observed), importances
    (DataFrame feature, importance, std; highest first), features (used),
    horizon_days, as_of, feature_cutoff, label_start, label_end (the training
    window), training_customers, sampled, fit_rows, holdout_rows,
    training_churn_rate, scored_customers, random_state.
    """
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    def step(key: str, fraction: float) -> None:
        if progress is not None:
            progress(key, fraction)

    as_of = as_of or reference_date(con)
    first = query(con, "SELECT min(order_date) AS d FROM order_facts WHERE NOT returned")["d"].iloc[0]
    first = None if pd.isna(first) else pd.Timestamp(first).date()
    horizon_days = _validate(horizon_days, as_of, first)
    cutoff = as_of - dt.timedelta(days=horizon_days)

    step("churn.progress.features", 0.05)
    # A sample above max_training_rows (the materialised customer count is a quick upper bound of the population)
    share, training_customers = 1.0, None
    if scalar(con, "SELECT count(*) FROM customer_features") > max_training_rows:
        training_customers = int(scalar(con, _POPULATION_SQL, {"cutoff": cutoff}))
        share = min(1.0, max_training_rows / max(training_customers, 1))
    train = churn_features(con, cutoff, horizon_days=horizon_days, share=share, seed=random_state)
    labels = train["churned"].to_numpy()
    training_customers = training_customers or len(train)
    if len(train) < MIN_TRAINING_CUSTOMERS or labels.min(initial=1) == labels.max(initial=0):
        raise CRMInputError("churn.error.too_few", customers=training_customers, minimum=MIN_TRAINING_CUSTOMERS,
                            cutoff=cutoff.isoformat())
    used = [c for c in FEATURES if train[c].notna().any()]
    x = train[used].to_numpy()
    x_fit, x_hold, y_fit, y_hold = train_test_split(x, labels, test_size=HOLDOUT_SHARE, stratify=labels,
                                                    random_state=random_state)
    if y_hold.min() == y_hold.max() or y_fit.min() == y_fit.max():
        raise CRMInputError("churn.error.too_few", customers=training_customers, minimum=MIN_TRAINING_CUSTOMERS,
                            cutoff=cutoff.isoformat())

    step("churn.progress.training", 0.25)
    candidates: dict[str, float] = {}
    models = {}
    for name in ESTIMATORS:
        rows = LOGISTIC_ROWS if name == "logistic" else len(y_fit)  # the fit set is shuffled: a random subset
        model = make_estimator(name, random_state).fit(x_fit[:rows], y_fit[:rows])
        candidates[name] = float(roc_auc_score(y_hold, model.predict_proba(x_hold)[:, 1]))
        models[name] = model
    best = max(ESTIMATORS, key=lambda n: (candidates[n], n == "logistic"))  # a tie goes to the simpler model
    model = models[best]
    p_hold = model.predict_proba(x_hold)[:, 1]
    baseline = float(roc_auc_score(y_hold, x_hold[:, used.index("recency_days")]))

    step("churn.progress.drivers", 0.6)
    if len(y_hold) > IMPORTANCE_ROWS:
        pick, _ = train_test_split(np.arange(len(y_hold)), train_size=IMPORTANCE_ROWS, stratify=y_hold,
                                   random_state=random_state)
        pick = np.sort(pick)
    else:
        pick = np.arange(len(y_hold))
    result = permutation_importance(model, x_hold[pick], y_hold[pick], scoring="roc_auc",
                                    n_repeats=IMPORTANCE_REPEATS, random_state=random_state, n_jobs=1)
    importances = (pd.DataFrame({"feature": used, "importance": result.importances_mean,
                                 "std": result.importances_std})
                   .sort_values(["importance", "feature"], ascending=[False, True], ignore_index=True))

    step("churn.progress.scoring", 0.75)
    scores = churn_features(con, as_of).drop(columns="churned")
    probability = model.predict_proba(scores[used].to_numpy())[:, 1] if len(scores) else np.array([])
    scores.insert(1, "churn_probability", probability)
    scores.insert(2, "risk_band", np.select([probability >= HIGH_RISK, probability >= MEDIUM_RISK],
                                            ["high", "medium"], "low"))
    # highest risk first; rows come by customer id, so a stable sort breaks ties by id
    scores = scores.iloc[np.argsort(-probability, kind="stable")].reset_index(drop=True)
    step("churn.progress.done", 1.0)

    card = {
        "estimator": best, "auc": candidates[best], "baseline_auc": baseline,
        "better_than_baseline": candidates[best] > baseline, "candidates": candidates,
        "top_decile_lift": top_decile_lift(y_hold, p_hold),
        "calibration": calibration_table(y_hold, p_hold),
        "importances": importances, "features": used,
        "horizon_days": horizon_days, "as_of": as_of, "feature_cutoff": cutoff,
        "label_start": cutoff + dt.timedelta(days=1), "label_end": as_of,
        "training_customers": training_customers, "sampled": share < 1, "sample_rows": int(len(train)),
        "fit_rows": int(len(y_fit)), "holdout_rows": int(len(y_hold)),
        "training_churn_rate": float(np.mean(labels)), "scored_customers": int(len(scores)),
        "random_state": random_state,
    }
    return ChurnResult(scores=scores, card=card)
