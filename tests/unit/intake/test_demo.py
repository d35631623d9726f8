"""The demo builder: replaces all data, deterministic, and the story it tells holds.

Most checks run on one 3,000-customer build (seed 7, default end date
2026-11-15, three years). The behavioural relationships that need more survey
respondents (satisfaction → repurchase, satisfaction → complaints) use a
20,000-customer build, which still takes about a second.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from crm.i18n import render
from crm.intake import demo
from crm.store import db
from crm.errors import CRMInputError

END = demo.DEFAULT_END_DATE            # 2026-11-15
START = dt.date(2023, 11, 16)          # three years up to and including END
N = 3_000
SEED = 7

ORDER_CHECKSUM = """
    SELECT count(*), sum(hash(order_id, customer_id, order_date, amount, cost, profit,
                              category, channel, quantity, returned))
    FROM orders
"""
OTHER_CHECKSUMS = """
    SELECT (SELECT sum(hash(customer_id, name, gender, birthday, province, city, channel,
                            signup_date, phone, email, customer_type)) FROM customers),
           (SELECT sum(hash(ticket_id, customer_id, opened_at, resolved_at, type, status, channel)) FROM tickets),
           (SELECT sum(hash(response_id, customer_id, submitted_at)) FROM survey_responses),
           (SELECT sum(hash(response_id, question_id, value_num)) FROM survey_answers)
"""


def one(con, sql, params=None):
    return con.execute(sql, params or []).fetchone()


@pytest.fixture(scope="module")
def built():
    con = db.connect(":memory:")
    calls: list[tuple[str, float]] = []
    summary = demo.build_demo(con, customers=N, seed=SEED, progress=lambda m, f: calls.append((m, f)))
    yield con, summary, calls
    con.close()


@pytest.fixture(scope="module")
def con(built):
    return built[0]


@pytest.fixture(scope="module")
def large():
    con = db.connect(":memory:")
    demo.build_demo(con, customers=20_000, seed=42)
    yield con
    con.close()


# --- the build as a whole -----------------------------------------------------

def test_summary_matches_the_tables(built):
    con, summary, _ = built
    counts = db.table_counts(con)
    assert summary["customers"] == counts["customers"] == N
    assert summary["orders"] == counts["orders"]
    assert summary["tickets"] == counts["tickets"]
    assert summary["survey_responses"] == counts["survey_responses"]
    assert summary["first_order_date"] == START
    assert summary["last_order_date"] == END
    assert summary["seconds"] >= 0


def test_progress_is_reported_in_order(built):
    _, _, calls = built
    fractions = [f for _, f in calls]
    assert len(calls) >= 3
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    # each step reads in both languages, the Chinese one without English words left in it
    zh = [render(m, "zh") for m, _ in calls]
    assert all(render(m, "en") for m, _ in calls)
    assert zh[0] == "正在准备日历" and zh[-1] == "完成"
    assert not any(re.search(r"[A-Za-z]", step) for step in zh)


def test_same_seed_gives_identical_tables_and_another_seed_does_not():
    def build(seed):
        c = db.connect(":memory:")
        demo.build_demo(c, customers=2_000, seed=seed)
        return one(c, ORDER_CHECKSUM), one(c, OTHER_CHECKSUMS)

    first, again, other = build(3), build(3), build(4)
    assert first == again
    assert first[0] != other[0]
    assert first[1] != other[1]


def test_customer_features_has_one_row_per_customer(con):
    assert one(con, "SELECT count(*), count(DISTINCT customer_id) FROM customer_features") == (N, N)
    assert one(con, "SELECT value FROM meta WHERE key = 'reference_date'") == (END.isoformat(),)


def test_import_batches_has_the_batch_zero_row(con):
    rows = con.execute(
        "SELECT batch_id, table_name, file_name, status, rows_total, customers_created FROM import_batches"
    ).fetchall()
    counts = db.table_counts(con)
    total = counts["customers"] + counts["orders"] + counts["tickets"] + counts["survey_responses"]
    assert rows == [(0, "demo", f"demo:seed={SEED},customers={N}", "active", total, N)]
    batch_ids = con.execute("""
        SELECT DISTINCT batch_id FROM customers UNION SELECT DISTINCT batch_id FROM orders
        UNION SELECT DISTINCT batch_id FROM tickets UNION SELECT DISTINCT batch_id FROM surveys
        UNION SELECT DISTINCT batch_id FROM survey_questions UNION SELECT DISTINCT batch_id FROM survey_responses
        UNION SELECT DISTINCT batch_id FROM survey_answers""").fetchall()
    assert batch_ids == [(0,)]


def test_building_again_replaces_the_data():
    c = db.connect(":memory:")
    demo.build_demo(c, customers=2_000, seed=1)
    version = db.data_version(c)
    # Leftovers of earlier imports must go as well.
    c.execute("INSERT INTO orders_replaced SELECT *, 5 FROM orders LIMIT 3")
    c.execute("INSERT INTO import_batches (batch_id, table_name, imported_at, status) VALUES (5, 'orders', now(), 'active')")
    summary = demo.build_demo(c, customers=1_500, seed=2)
    assert db.table_counts(c) == {"customers": 1_500, "orders": summary["orders"], "tickets": summary["tickets"],
                                  "survey_responses": summary["survey_responses"]}
    assert one(c, "SELECT count(*) FROM orders_replaced") == (0,)
    assert one(c, "SELECT count(*), min(batch_id) FROM import_batches") == (1, 0)
    assert one(c, "SELECT count(*) FROM surveys") == (8,)
    assert one(c, "SELECT count(*) FROM survey_questions") == (8 * 28,)
    assert one(c, "SELECT count(*) FROM customer_features") == (1_500,)
    assert db.data_version(c) == version + 1


def test_a_failing_build_leaves_the_previous_data(monkeypatch):
    c = db.connect(":memory:")
    demo.build_demo(c, customers=1_000, seed=1)
    before, version = one(c, ORDER_CHECKSUM), db.data_version(c)

    def broken(con):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo.features, "materialise", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.build_demo(c, customers=1_200, seed=2)
    assert one(c, ORDER_CHECKSUM) == before
    assert one(c, "SELECT count(*) FROM customers") == (1_000,)
    assert db.data_version(c) == version


@pytest.mark.parametrize("kwargs, match", [
    ({"customers": 0}, "customers"),
    ({"customers": 2.5}, "customers"),
    ({"seed": -1}, "seed"),
    ({"years": 0}, "Years"),
    ({"years": demo.MAX_YEARS + 1}, "Years"),
    ({"end_date": "2026-11-15"}, "end date"),
])
def test_bad_arguments_are_refused_before_anything_is_written(kwargs, match):
    c = db.connect(":memory:")
    with pytest.raises(CRMInputError, match=match):
        demo.build_demo(c, **{"customers": 100, **kwargs})
    assert one(c, "SELECT count(*) FROM customers") == (0,)


def test_end_date_and_years_set_the_period():
    c = db.connect(":memory:")
    summary = demo.build_demo(c, customers=1_000, seed=5, end_date=dt.date(2024, 6, 30), years=1)
    assert summary["first_order_date"] >= dt.date(2023, 7, 1)
    assert summary["last_order_date"] == dt.date(2024, 6, 30)
    assert one(c, "SELECT min(signup_date) >= DATE '2023-07-01', max(signup_date) <= DATE '2024-06-30' FROM customers") == (True, True)


# --- customers ----------------------------------------------------------------

def test_all_31_provinces_are_present_with_their_own_cities(con):
    provinces = {p for (p,) in con.execute("SELECT DISTINCT province FROM customers").fetchall()}
    assert len(provinces) == 31
    assert provinces == {p[0] for p in demo.PROVINCES}
    city_of = {(p[0], c[0]) for p in demo.PROVINCES for c in p[2]}
    pairs = set(con.execute("SELECT DISTINCT province, city FROM customers").fetchall())
    assert pairs <= city_of
    # Guangdong is the largest market, Tibet the smallest.
    top, bottom = con.execute(
        "SELECT arg_max(province, n), arg_min(province, n) FROM (SELECT province, count(*) n FROM customers GROUP BY 1)"
    ).fetchone()
    assert (top, bottom) == ("广东", "西藏")


def test_customer_attributes_are_plausible(con):
    female, individuals, companies = one(con, """
        SELECT count(*) FILTER (WHERE gender = 'F'), count(*) FILTER (WHERE customer_type = 'individual'),
               count(*) FILTER (WHERE customer_type = 'company')
        FROM customers""")
    assert companies == round(N * 0.002)
    assert 0.55 < female / individuals < 0.65
    youngest, oldest, no_birthday = one(con, """
        SELECT min(date_diff('year', birthday, $end)), max(date_diff('year', birthday, $end)),
               avg((birthday IS NULL)::INT)
        FROM customers WHERE customer_type = 'individual'""", {"end": END})
    assert youngest >= 18 and oldest <= 65
    assert 0.01 < no_birthday < 0.06
    assert one(con, "SELECT count(*) FROM customers WHERE NOT regexp_full_match(customer_id, 'C[0-9]{7}')") == (0,)
    assert one(con, "SELECT count(*) FROM customers WHERE NOT regexp_full_match(phone, '1[0-9]{2}([0-9]{4}|[*]{4})[0-9]{4}')") == (0,)
    assert one(con, "SELECT count(*) FROM customers WHERE customer_type = 'company' AND name NOT LIKE '%有限公司'") == (0,)
    channels = {c for (c,) in con.execute("SELECT DISTINCT channel FROM customers").fetchall()}
    assert channels == set(demo.CHANNELS)


def test_signups_grow_over_the_period(con):
    first_year, last_year = one(con, """
        SELECT count(*) FILTER (WHERE signup_date < DATE '2024-11-16'),
               count(*) FILTER (WHERE signup_date >= DATE '2025-11-16')
        FROM customers""")
    assert last_year > 1.8 * first_year


# --- orders -------------------------------------------------------------------

def test_no_order_after_the_end_date_or_before_the_start(con):
    first, last = one(con, "SELECT min(order_date), max(order_date) FROM orders")
    assert first >= dt.datetime.combine(START, dt.time())
    assert last < dt.datetime.combine(END + dt.timedelta(days=1), dt.time())


def test_order_ids_are_unique_and_every_order_has_a_customer(con):
    assert one(con, "SELECT count(*) - count(DISTINCT order_id) FROM orders") == (0,)
    assert one(con, "SELECT count(*) FROM orders WHERE NOT regexp_full_match(order_id, 'O[0-9]{10}')") == (0,)
    assert one(con, "SELECT count(*) FROM orders o ANTI JOIN customers c USING (customer_id)") == (0,)


def test_amounts_are_positive_and_profit_is_amount_minus_cost(con):
    assert one(con, "SELECT min(amount) > 0, count(*) FILTER (WHERE profit <> amount - cost OR cost IS NULL) FROM orders") == (True, 0)
    margin = dict(con.execute("SELECT category, sum(profit) / sum(amount) FROM orders GROUP BY 1").fetchall())
    assert set(margin) == set(demo.CATEGORIES)
    assert margin["美妆"] > 0.55 > 0.30 > margin["美食"]


def test_first_order_is_on_or_after_signup(con):
    late, same_day, buyers = one(con, """
        WITH f AS (SELECT customer_id, min(order_date)::DATE AS first FROM orders GROUP BY 1)
        SELECT count(*) FILTER (WHERE f.first < c.signup_date),
               count(*) FILTER (WHERE f.first = c.signup_date), count(*)
        FROM f JOIN customers c USING (customer_id)""")
    assert late == 0
    assert 0.85 < same_day / buyers < 0.95


def test_repeat_buying_has_a_realistic_spread(con):
    mean_orders, one_timers, never = one(con, """
        SELECT avg(orders + returns), avg((orders + returns = 1)::INT), avg((orders + returns = 0)::INT)
        FROM customer_features""")
    assert 7 < mean_orders < 13
    assert 0.12 < one_timers < 0.40
    assert 0.01 < never < 0.06


def test_a_share_of_customers_has_lapsed(con):
    (lapsed,) = one(con, """
        SELECT avg((max_date < $cutoff)::INT)
        FROM (SELECT customer_id, max(order_date)::DATE AS max_date FROM orders GROUP BY 1)""",
                    {"cutoff": END - dt.timedelta(days=365)})
    assert 0.15 < lapsed < 0.50


def test_double_eleven_and_618_stand_far_above_a_normal_day(con):
    # Against the median day of the whole period and, since the business grows,
    # against the median day of the month before each festival.
    day_11_11, day_6_18, median_day, before_11_11, before_6_18 = one(con, """
        WITH d AS (SELECT order_date::DATE AS day, sum(amount)::DOUBLE AS revenue FROM orders GROUP BY 1)
        SELECT max(revenue) FILTER (WHERE day = DATE '2026-11-11'),
               max(revenue) FILTER (WHERE day = DATE '2026-06-18'),
               median(revenue),
               median(revenue) FILTER (WHERE day BETWEEN DATE '2026-09-21' AND DATE '2026-10-20'),
               median(revenue) FILTER (WHERE day BETWEEN DATE '2026-04-21' AND DATE '2026-05-19')
        FROM d""")
    assert day_11_11 > 3 * median_day
    assert day_11_11 > 4 * before_11_11
    assert day_6_18 > 2.5 * before_6_18
    # The 11-11 rush starts at midnight.
    midnight, rest = one(con, """
        SELECT count(*) FILTER (WHERE hour(order_date) = 0), count(*) FILTER (WHERE hour(order_date) BETWEEN 1 AND 3)
        FROM orders WHERE order_date::DATE = DATE '2026-11-11'""")
    assert midnight > 3 * rest


def test_spring_festival_dips(con):
    festival, normal = one(con, """
        WITH d AS (SELECT order_date::DATE AS day, count(*) AS n FROM orders GROUP BY 1)
        SELECT avg(n) FILTER (WHERE day BETWEEN DATE '2026-02-14' AND DATE '2026-02-21'),
               avg(n) FILTER (WHERE day BETWEEN DATE '2026-03-16' AND DATE '2026-03-23')
        FROM d""")
    assert festival < 0.7 * normal


def test_company_accounts_place_much_larger_orders(con):
    company, individual = one(con, """
        SELECT avg(amount) FILTER (WHERE c.customer_type = 'company'),
               avg(amount) FILTER (WHERE c.customer_type = 'individual')
        FROM orders o JOIN customers c USING (customer_id)""")
    assert company > 8 * individual


def test_returns_are_around_five_percent_and_commoner_for_clothes(con):
    overall = one(con, "SELECT avg(returned::INT) FROM orders")[0]
    assert 0.04 < overall < 0.06
    rate = dict(con.execute("SELECT category, avg(returned::INT) FROM orders GROUP BY 1").fetchall())
    assert rate["服装"] > 2 * rate["美食"] and rate["鞋子"] > rate["美妆"]


def test_customers_prefer_some_categories(con):
    # Among customers with ten or more orders, their top category's share is
    # far above the largest category's share of all orders.
    top_share, overall_top = one(con, """
        WITH cc AS (SELECT customer_id, category, count(*) AS n FROM orders GROUP BY ALL),
             c AS (SELECT customer_id, max(n) / sum(n) AS top FROM cc GROUP BY 1 HAVING sum(n) >= 10)
        SELECT (SELECT avg(top) FROM c),
               (SELECT max(n) / sum(n) FROM (SELECT category, count(*) AS n FROM orders GROUP BY 1))""")
    assert top_share > overall_top + 0.15


def test_orders_mostly_use_the_acquisition_channel(con):
    (same,) = one(con, "SELECT avg((o.channel = c.channel)::INT) FROM orders o JOIN customers c USING (customer_id)")
    assert 0.8 < same < 0.9


# --- tickets ------------------------------------------------------------------

def test_tickets_are_consistent(con):
    per_customer = one(con, "SELECT count(*) FROM tickets")[0] / N
    assert 0.3 <= per_customer <= 0.5
    assert {t for (t,) in con.execute("SELECT DISTINCT type FROM tickets").fetchall()} == set(demo.TICKET_TYPES)
    assert {s for (s,) in con.execute("SELECT DISTINCT channel FROM tickets").fetchall()} == set(demo.TICKET_CHANNELS)
    bad_open, bad_done, open_share = one(con, """
        SELECT count(*) FILTER (WHERE status = 'open' AND resolved_at IS NOT NULL),
               count(*) FILTER (WHERE status <> 'open' AND NOT (resolved_at > opened_at)),
               avg((status = 'open')::INT)
        FROM tickets""")
    assert (bad_open, bad_done) == (0, 0)
    assert 0.005 < open_share < 0.08
    assert one(con, "SELECT max(opened_at) < $e, max(resolved_at) < $e FROM tickets",
               {"e": END + dt.timedelta(days=1)}) == (True, True)
    assert one(con, "SELECT count(*) - count(DISTINCT ticket_id) FROM tickets") == (0,)


def test_open_tickets_are_mostly_recent(con):
    recent, old = one(con, """
        SELECT avg((status = 'open')::INT) FILTER (WHERE opened_at >= $e - INTERVAL 3 DAY),
               avg((status = 'open')::INT) FILTER (WHERE opened_at < $e - INTERVAL 30 DAY)
        FROM tickets""", {"e": dt.datetime.combine(END + dt.timedelta(days=1), dt.time())})
    assert recent > 0.4 > 0.05 > old


# --- survey -------------------------------------------------------------------

def test_survey_definition(con):
    # eight quarterly waves of one 问卷星-style questionnaire, the last one (2026-Q4) up to the end date
    assert con.execute("SELECT survey_id, title, source_tool, language, wave FROM surveys ORDER BY wave").fetchall() == [
        (f"SAT-{y}Q{q}", "客户满意度调查", "wjx", "zh", f"{y}-Q{q}")
        for y, q in [(2025, 1), (2025, 2), (2025, 3), (2025, 4), (2026, 1), (2026, 2), (2026, 3), (2026, 4)]]
    questions = con.execute("""
        SELECT question_id, kind, dimension, measure, scale_min, scale_max, reverse_scored
        FROM survey_questions WHERE survey_id = 'SAT-2026Q4' ORDER BY position""").fetchall()
    assert len(questions) == 28
    assert questions[0][:2] == ("Q1", "choice") and questions[-1][:2] == ("Q8", "text")
    by_id = {q[0]: q[1:] for q in questions}
    assert by_id["Q6"] == ("rating", "overall", "overall", 1, 5, False)
    assert by_id["Q7"][0] == "nps" and by_id["Q7"][3:5] == (0, 10)
    dims = ("quality", "price", "delivery", "service", "packaging", "after_sales")
    for i, dim in enumerate(dims, start=1):
        assert by_id[f"Q2_{i}"] == ("rating", dim, "expected", 1, 7, False)
        assert by_id[f"Q3_{i}"] == ("rating", dim, "perceived", 1, 7, False)
        assert by_id[f"Q4_{i}"][:5] == ("rating", dim, "perceived", 1, 5)
        assert by_id[f"Q5_{i}"] == ("rating", dim, "importance", 1, 5, False)
    # the negative statements (waiting too long, returns are a hassle) are reverse-scored
    assert [q for q, row in by_id.items() if row[5]] == ["Q4_3", "Q4_6"]
    # every wave asks the same questions
    assert one(con, "SELECT count(DISTINCT (question_id, text, kind, dimension, measure)) FROM survey_questions") == (28,)


def test_survey_answers_are_complete_and_in_scale(con):
    responses, linked, per_wave = one(con, """
        SELECT count(*), count(customer_id),
               (SELECT max(k) FROM (SELECT count(*) AS k FROM survey_responses
                                    WHERE customer_id IS NOT NULL GROUP BY customer_id, survey_id))
        FROM survey_responses""")
    assert per_wave == 1                   # at most one answer per customer and wave
    assert 0.15 <= responses / N <= 0.30   # several waves: about 0.23 responses per customer
    assert 0.85 <= linked / responses <= 0.95  # a tenth gave no member number
    # 26 numeric answers and the channel for every response; a comment from about a third
    assert one(con, "SELECT count(*) FROM survey_answers WHERE value_num IS NOT NULL") == (26 * responses,)
    assert one(con, "SELECT count(*) FROM survey_answers WHERE question_id = 'Q1' AND value_text IS NOT NULL") \
        == (responses,)
    comments = one(con, "SELECT count(*) FROM survey_answers WHERE question_id = 'Q8'")[0]
    assert 0.25 <= comments / responses <= 0.45
    assert one(con, """
        SELECT count(*) FROM survey_answers a JOIN survey_responses r USING (response_id)
        JOIN survey_questions q ON q.survey_id = r.survey_id AND q.question_id = a.question_id
        WHERE a.value_num NOT BETWEEN q.scale_min AND q.scale_max OR a.value_num <> round(a.value_num)""") == (0,)
    # Submitted after one of the customer's orders, in its wave's quarter, never after the end date.
    assert one(con, """
        SELECT count(*) FROM survey_responses r JOIN surveys s USING (survey_id)
        WHERE (r.customer_id IS NOT NULL AND NOT EXISTS (
                  SELECT 1 FROM orders o WHERE o.customer_id = r.customer_id AND o.order_date < r.submitted_at))
           OR r.submitted_at >= $e
           OR strftime(r.submitted_at, '%Y') || '-Q' || quarter(r.submitted_at) <> s.wave""",
               {"e": END + dt.timedelta(days=1)}) == (0,)


def test_comments_fit_the_scores(large):
    praise, complaint = one(large, """
        SELECT avg(o.value_num) FILTER (WHERE c.value_text NOT LIKE '%不过%' AND c.value_text IN (
                   SELECT value_text FROM survey_answers WHERE question_id = 'Q8') AND o.value_num >= 4
                   AND c.value_text LIKE '%会推荐%'),
               avg(o.value_num) FILTER (WHERE c.value_text LIKE '%不会再买%')
        FROM survey_answers c JOIN survey_answers o ON o.response_id = c.response_id AND o.question_id = 'Q6'
        WHERE c.question_id = 'Q8'""")
    assert praise >= 4 and complaint < 3


def test_delivery_falls_short_of_expectations(large):
    gaps = dict(large.execute("""
        SELECT q.dimension, avg(a.value_num) FILTER (WHERE q.measure = 'perceived')
                          - avg(a.value_num) FILTER (WHERE q.measure = 'expected')
        FROM survey_answers a JOIN survey_questions q USING (question_id)
        WHERE q.survey_id = 'SAT-2026Q4' AND q.measure IN ('perceived', 'expected')
          AND q.scale_max = 7 GROUP BY 1""").fetchall())
    assert gaps["delivery"] < -0.5
    assert gaps["price"] > 0
    assert min(gaps, key=gaps.get) == "delivery"


def test_satisfied_respondents_buy_again_more_often(large):
    satisfied, dissatisfied, n_sat, n_dis = one(large, """
        WITH s AS (
            SELECT r.customer_id, r.submitted_at, a.value_num AS overall
            FROM survey_responses r JOIN survey_answers a USING (response_id)
            WHERE a.question_id = 'Q6' AND r.customer_id IS NOT NULL
        ), rep AS (
            SELECT s.overall, EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = s.customer_id
                                                           AND o.order_date > s.submitted_at) AS again
            FROM s
        )
        SELECT avg(again::INT) FILTER (WHERE overall >= 4), avg(again::INT) FILTER (WHERE overall <= 3),
               count(*) FILTER (WHERE overall >= 4), count(*) FILTER (WHERE overall <= 3)
        FROM rep""")
    assert min(n_sat, n_dis) > 300
    assert satisfied > dissatisfied + 0.08


def test_dissatisfied_respondents_complain_more_per_order(large):
    low, high = one(large, """
        WITH s AS (
            SELECT r.customer_id, a.value_num AS overall
            FROM survey_responses r JOIN survey_answers a USING (response_id)
            WHERE a.question_id = 'Q6' AND r.customer_id IS NOT NULL
        )
        SELECT sum(f.complaints) FILTER (WHERE s.overall <= 2) / sum(f.orders + f.returns) FILTER (WHERE s.overall <= 2),
               sum(f.complaints) FILTER (WHERE s.overall >= 4) / sum(f.orders + f.returns) FILTER (WHERE s.overall >= 4)
        FROM s JOIN customer_features f USING (customer_id)""")
    # More returns alone would give about 1.5x; the complaint weighting adds the rest.
    assert low > 2.5 * high


def test_default_size_gives_about_ten_orders_per_customer(large):
    orders = one(large, "SELECT count(*) FROM orders")[0]
    assert 160_000 < orders < 240_000
