"""What it takes to reach each target (guidance_sipas, guidance_par, guidance_papi): rows in,
rows out, against hand computations written in the test; the SIPAS statistics against
published reference values (Newcombe 1998, Table I) and an independent implementation."""

from __future__ import annotations

import math
from decimal import Decimal

import duckdb
import pytest

from flows.warehouse import db

BK = "Bắc Kạn"
Z = 1.959963984540054


def wilson(s: int, n: int) -> tuple[float, float]:
    """The Wilson score interval in %, written out again here."""
    p = s / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return 100 * (centre - half), 100 * (centre + half)


def z_test(s1: int, n1: int, s2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z and its two-sided p, written out again here (math.erfc)."""
    p = (s1 + s2) / (n1 + n2)
    z = (s2 / n2 - s1 / n1) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return z, math.erfc(abs(z) / math.sqrt(2))


@pytest.fixture(scope="module")
def macros():
    con = duckdb.connect()
    db.install_macros(con)
    yield con
    con.close()


# Newcombe RG (1998), Two-sided confidence intervals for the single proportion, Statistics in
# Medicine 17:857-872, Table I, method 3 (score interval without continuity correction).
@pytest.mark.parametrize(("s", "n", "low", "high"), [
    (81, 263, 25.53, 36.62), (15, 148, 6.24, 16.05), (0, 20, 0.0, 16.11), (1, 29, 0.61, 17.18),
])
def test_the_wilson_interval_gives_newcombes_published_values(macros, s, n, low, high):
    got = macros.execute("select round(wilson_low(?, ?), 2), round(wilson_high(?, ?), 2)",
                         [s, n, s, n]).fetchone()
    assert got == (low, high)


@pytest.mark.parametrize(("s1", "n1", "s2", "n2"), [
    (28, 40, 30, 40), (70, 100, 50, 100), (30, 50, 40, 50), (5, 12, 200, 230)])
def test_the_two_proportion_test_is_the_textbook_one(macros, s1, n1, s2, n2):
    z, p = macros.execute("select two_proportion_z(?, ?, ?, ?),"
                          " two_sided_p(two_proportion_z(?, ?, ?, ?))",
                          [s1, n1, s2, n2] * 2).fetchone()
    want_z, want_p = z_test(s1, n1, s2, n2)
    assert z == pytest.approx(want_z, abs=1e-12)
    assert p == pytest.approx(want_p, abs=2e-7)  # Abramowitz & Stegun 7.1.26: |error| < 1,5e-7
    # 30/50 against 40/50: chi-square 4,7619 (= z²), p = 0,0291 (R: prop.test, correct = FALSE)
    if (s1, n1, s2, n2) == (30, 50, 40, 50):
        assert (round(z * z, 4), round(p, 4)) == (4.7619, 0.0291)


def test_no_difference_to_test_when_both_rates_are_all_or_nothing(macros):
    assert macros.execute("select two_proportion_z(0, 10, 0, 20), two_proportion_z(10, 10, 5, 5),"
                          " two_sided_p(0)").fetchone() == (0, 0, pytest.approx(1, abs=2e-7))


# --- SIPAS ---------------------------------------------------------------------------------

def sipas(wh, code: str = "Q1") -> dict:
    wh.run()
    return wh.rows("select * from guidance_sipas where criterion_code = ?", [code])[0]


def test_sipas_k_more_satisfied_of_the_same_answers(wh):
    # 2023: 28 of 40 satisfied, 70 % (below 80: low) -> target 80 %; 2024: 30 of 40, 75 %
    wh.sipas_answers(2023, "U1", "Q1", ["5"] * 28 + ["2"] * 12)
    wh.sipas_answers(2024, "U1", "Q1", ["4"] * 30 + ["1"] * 10)
    row = sipas(wh)
    # (30 + k) / 40 >= 80 %: k >= 2 (31/40 = 77,5 %, 32/40 = 80 %)
    assert (row["status"], row["current_satisfied"], row["current_n"], row["more_satisfied"],
            row["reachable"], row["rate_needed"]) == ("missed", 30, 40, 2, True,
                                                      Decimal("5.00000000"))
    assert row["guidance_vi"] == "Cần thêm 2 phiếu hài lòng trên 40 để đạt 80,00%"
    low, high = wilson(30, 40)  # 59,81 % to 85,81 %
    assert (row["current_low"], row["current_high"]) == (round(low, 4), round(high, 4))
    assert (row["baseline_low"], row["baseline_high"]) == tuple(round(x, 4) for x in wilson(28, 40))
    z, p = z_test(28, 40, 30, 40)  # z = 0,5008, p = 0,6165: not distinguishable
    assert row["change_z"] == round(z, 4) and row["change_p"] == pytest.approx(p, abs=1e-4)
    assert row["change_significant"] is False
    assert row["change_vi"] == ("So với năm cơ sở: chưa phân biệt được với sai số chọn mẫu"
                                " (p = 0,617)")


def test_a_significant_fall_is_noted_and_the_status_stays(wh):
    wh.sipas_answers(2023, "U1", "Q1", ["5"] * 70 + ["1"] * 30)
    wh.sipas_answers(2024, "U1", "Q1", ["5"] * 50 + ["1"] * 50)
    row = sipas(wh)
    z, p = z_test(70, 100, 50, 100)  # z = -2,887, p = 0,0039
    assert row["change_significant"] is True and row["change_z"] == round(z, 4)
    assert row["change_vi"].endswith("thay đổi có ý nghĩa thống kê (p = 0,004)")
    assert row["more_satisfied"] == 30  # 80 of 100
    assert wh.gap(index_name="SIPAS", criterion_code="Q1")["status"] == "missed"


def test_a_published_rate_counts_its_nearest_satisfied_answers(wh):
    wh.sipas_rate(2023, "U1", "Q1", "70,5", 412)   # 290,46 satisfied: 290
    wh.sipas_rate(2024, "U1", "Q1", "75,03", 37)   # 27,76: 28
    row = sipas(wh)
    # target 80,5 %: 80,5 x 37 / 100 = 29,785 -> 30 satisfied, 2 more (29/37 = 78,38 %)
    assert (row["baseline_satisfied"], row["current_satisfied"], row["more_satisfied"]) == \
        (290, 28, 2)
    assert row["guidance_vi"] == "Cần thêm 2 phiếu hài lòng trên 37 để đạt 80,50%"


def test_only_off_track_sipas_criteria_get_guidance(wh):
    wh.sipas_answers(2023, "U1", "Q1", ["5"] * 7 + ["1"] * 3)
    wh.sipas_answers(2024, "U1", "Q1", ["5"] * 9 + ["1"] * 1)   # 90 %: met
    wh.sipas_answers(2023, "U1", "Q2", ["5"] * 7 + ["1"] * 3)    # no 2024 answers: no data
    wh.run()
    assert wh.rows("select * from guidance_sipas") == []


# --- PAR -----------------------------------------------------------------------------------

def par_ranked(wh, next_score: str) -> dict[str, dict]:
    wh.par(("U1", 2023, "1.1", "2", "2", "2"), ("U1", 2023, "2.1", "3", "1,5", "1,5"),
           ("U1", 2023, "3.1", "4", "1", "1"),
           # 2024, self-assessed: 1.1 keeps its max? 1 of 2 (at risk, +1); 2.1 beats 1,5? 1,0
           # (at risk, +0,5); 3.1: 3 > 1 (met). The unit's maximum: 2 + 3 + 4 = 9 points
           ("U1", 2024, "1.1", "2", "1", None), ("U1", 2024, "2.1", "3", "1", None),
           ("U1", 2024, "3.1", "4", "3", None))
    wh.insert("index_results", [
        {"year": 2024, "index_name": "PAR INDEX", "name": n, "score": s, "unit_code": u}
        for n, s, u in (("Sở A", "99,5", None), ("Sở B", next_score, None),
                        ("Đơn vị thử", "80", "U1"), ("Sở C", "70", None))])
    wh.run()
    return {r["criterion_code"]: r for r in wh.rows("select * from guidance_par")}


def test_par_points_available_largest_first(wh):
    rows = par_ranked(wh, "85")
    assert [(c, r["points_available"], r["available_order"], r["recovery_points"])
            for c, r in sorted(rows.items(), key=lambda x: x[1]["available_order"])] == [
        ("2.1", Decimal("2"), 1, Decimal("0.5")), ("1.1", Decimal("1"), 2, Decimal("1")),
        ("3.1", Decimal("1"), 3, None)]


@pytest.mark.parametrize(("next_score", "needed", "in_set", "reachable"), [
    ("85", "0.45", {"1.1"}, True),           # (85 - 80) x 9 / 100: 1.1's +1 alone passes it
    ("93,5", "1.215", {"1.1", "2.1"}, True),  # +1 is not more than 1,215; +1 +0,5 is
    ("97", "1.53", set(), False),             # +1,5 in all: not enough
])
def test_par_smallest_set_of_recoveries_to_overtake_the_unit_above(
        wh, next_score, needed, in_set, reachable):
    rows = par_ranked(wh, next_score)
    r = rows["1.1"]
    assert (r["ranking_year"], r["rank"], r["n_ranked"], r["next_member"]) == \
        (2024, 3, 4, "Sở B")
    assert r["points_to_overtake"] == Decimal(needed)
    assert r["overtake_reachable"] is reachable
    assert {c for c, row in rows.items() if row["in_overtake_set"]} == in_set
    if in_set:
        vi_needed = needed.replace(".", ",")
        assert rows["1.1"]["guidance_vi"] == (
            "Cần thêm 1,0 điểm để đạt chỉ tiêu; còn 1,0 điểm có thể đạt; thuộc nhóm ít tiêu chí"
            f" nhất đủ để vượt Sở B (cần hơn {vi_needed} điểm, xếp hạng 2024)")


def test_par_without_a_ranking_still_lists_the_points_available(wh):
    wh.par(("U1", 2023, "1.1", "2", "2", "2"), ("U1", 2024, "1.1", "2", "1,5", None))
    wh.run()
    (row,) = wh.rows("select * from guidance_par")
    assert (row["points_available"], row["ranking_year"], row["in_overtake_set"]) == \
        (Decimal("0.5"), None, False)
    assert row["guidance_vi"] == "Cần thêm 0,5 điểm để đạt chỉ tiêu; còn 0,5 điểm có thể đạt"


# --- PAPI ----------------------------------------------------------------------------------

def test_papi_distance_to_target_and_mean_and_the_rank_with_the_target_met(wh):
    # 2023 D1: mean (5 + 5,05 + 6 + 4) / 4 = 5,0125; Bắc Kạn 5 is below it: target 5,1.
    # No 2024 scores yet: compared with 2023's. Above 5: Cao Bằng, Hà Giang (3rd of 4);
    # above 5,1: Hà Giang (2nd of 4).
    wh.papi((2023, BK, "D1", "5"), (2023, "Cao Bằng", "D1", "5,05"),
            (2023, "Hà Giang", "D1", "6"), (2023, "Lào Cai", "D1", "4"))
    wh.run()
    (row,) = wh.rows("select * from guidance_papi")
    assert (row["status"], row["compared_year"], row["to_target"], row["national_mean"],
            row["to_mean"], row["rank_now"], row["rank_if_met"], row["n_ranked"]) == (
        "no_data", 2023, Decimal("0.1"), Decimal("5.0125"), Decimal("0.0125"), 3, 2, 4)
    assert row["guidance_vi"] == (
        "Cần tăng 0,1 điểm để đạt 5,1 điểm; trung bình cả nước năm 2023: 5,0125 điểm;"
        " đạt chỉ tiêu thì xếp 2/4 (hiện 3/4, bản đồ 63 tỉnh)")


def test_every_guidance_is_in_criterion_guidance_once(wh):
    wh.sipas_answers(2023, "U1", "Q1", ["5"] * 28 + ["2"] * 12)
    wh.sipas_answers(2024, "U1", "Q1", ["4"] * 30 + ["1"] * 10)
    wh.par(("U1", 2023, "1.1", "2", "2", "2"), ("U1", 2024, "1.1", "2", "1,5", None))
    wh.papi((2023, BK, "D1", "5"), (2023, "Hà Giang", "D1", "6"))
    wh.run()
    got = wh.rows("select index_name, criterion_code, guidance_vi, note_vi is not null as noted"
                  " from criterion_guidance order by all")
    assert [(r["index_name"], r["criterion_code"], r["noted"]) for r in got] == [
        ("PAPI", "D1", False), ("PAR", "1.1", False), ("SIPAS", "Q1", True)]
