"""Owners (the most specific plan pattern wins) and the rule in Vietnamese, in criterion_gaps."""

from __future__ import annotations

BK = "Bắc Kạn"
VP = ("VP", "Văn phòng Sở")
CNTT = ("CNTT", "Phòng Công nghệ thông tin – Bưu chính, Viễn thông")


def owners(wh, index_name: str) -> dict[str, tuple[str, str]]:
    return {r["criterion_code"]: (r["owner_unit"], r["owner_name"])
            for r in wh.gaps(index_name=index_name)}


def par_tree(wh, *codes: str) -> None:
    wh.par(*[("U1", 2023, c, "1", "1", "1") for c in codes])


def test_par_7_owns_its_whole_subtree_star_owns_the_rest(wh):
    par_tree(wh, "1.1", "7.1", "7.1.2", "10.1")
    assert owners(wh, "PAR") == {"1.1": VP, "7.1": CNTT, "7.1.2": CNTT, "10.1": VP}


def test_most_specific_pattern_wins(wh):
    par_tree(wh, "7.1", "7.1.2", "7.2", "7.2.1")
    wh.plan({"owners": [
        {"match": "PAR:*", "owner": "VP"},
        {"match": "PAR:VII.", "owner": "CNTT"},  # a Roman numeral and a trailing dot
        {"match": "PAR:7.1", "owner": "VP"},
        {"match": "SIPAS:*", "owner": "VP"},
        {"match": "PAPI:*", "owner": "VP"},
    ]})
    assert owners(wh, "PAR") == {"7.1": VP, "7.1.2": VP, "7.2": CNTT, "7.2.1": CNTT}


def test_pattern_1_does_not_own_10(wh):
    par_tree(wh, "1.1", "10.1")
    wh.plan({"owners": [
        {"match": "PAR:*", "owner": "VP"},
        {"match": "PAR:1", "owner": "CNTT"},
        {"match": "SIPAS:*", "owner": "VP"},
        {"match": "PAPI:*", "owner": "VP"},
    ]})
    assert owners(wh, "PAR") == {"1.1": CNTT, "10.1": VP}


def test_papi_d8_owns_the_dimension_and_its_sub_dimensions(wh):
    wh.papi((2023, BK, "D8", "3"), (2023, BK, "8.1", "1"), (2023, BK, "D6", "7"))
    wh.plan({"rules": {"papi_raise_low": {"low": {"codes": ["D8", "8.1", "D6"]}}}},
            drop=["rules.papi_raise_low.low.below_mean"])
    assert owners(wh, "PAPI") == {"D8": CNTT, "8.1": CNTT, "D6": VP}


def test_owner_patterns_are_per_index(wh):
    # PAR:7 must not give SIPAS criterion 7 (or PAPI 7.x) to CNTT
    wh.sipas_rate(2023, "U1", "7", "50", 400)
    wh.papi((2023, BK, "7.1", "1"))
    wh.plan({"rules": {"papi_raise_low": {"low": {"codes": ["7.1"]}}}},
            drop=["rules.papi_raise_low.low.below_mean"])
    assert owners(wh, "SIPAS") == {"7": VP}
    assert owners(wh, "PAPI") == {"7.1": VP}


def test_no_matching_pattern_leaves_no_owner(wh):
    par_tree(wh, "1.1", "7.1")
    wh.plan({"owners": [{"match": "PAR:7", "owner": "CNTT"}]})
    assert owners(wh, "PAR") == {"1.1": (None, None), "7.1": CNTT}


# --- rule_vi --------------------------------------------------------------------------------

def rule(wh, **where) -> str:
    return wh.gap(**where)["rule_vi"]


def test_rule_text_par(wh):
    wh.par(
        ("U1", 2023, "1.1", "1", "1", "1"),
        ("U1", 2023, "1.2", "0,5", "0,25", "0,25"),
        ("U1", 2023, "1.3", "2", "0", "0"),
        ("U1", 2023, "1.4", "1", "1", "1"), ("U1", 2024, "1.4", "1,5", "1", None),
    )
    assert rule(wh, criterion_code="1.1") == "Giữ điểm tối đa 1,0"
    assert rule(wh, criterion_code="1.2") == "Đạt điểm cao hơn năm 2023 (0,25)"
    assert rule(wh, criterion_code="1.3") == "Đạt điểm cao hơn năm 2023 (0,0)"
    assert rule(wh, criterion_code="1.4") == "Giữ điểm tối đa 1,5"  # the target year's max


def test_rule_text_sipas(wh):
    wh.sipas_rate(2023, "U1", "Q1", "75,03", 400)
    wh.sipas_rate(2023, "U1", "Q2", "95", 400)
    wh.plan({"rules": {"sipas_raise_low": {"low": {"codes": ["Q2"]}}}})
    assert rule(wh, criterion_code="Q1") == (
        "Tỷ lệ hài lòng tối thiểu 85,03% (năm 2023: 75,03% + 10,0 điểm %)")
    text = rule(wh, criterion_code="Q2")
    assert text == (
        "Tỷ lệ hài lòng tối thiểu 100,0% (năm 2023: 95,0% + 10,0 điểm %; giới hạn ở 100%)")


def test_rule_text_sipas_relative(wh):
    wh.sipas_rate(2023, "U1", "Q1", "75", 400)
    wh.plan({"rules": {"sipas_raise_low": {"mode": "relative"}}})
    assert rule(wh, criterion_code="Q1") == (
        "Tỷ lệ hài lòng tối thiểu 82,5% (năm 2023: 75,0% × 1,1)")


def test_rule_text_papi(wh):
    wh.papi((2023, BK, "6.2", "1,4148"), (2023, BK, "D4", "9,95"))
    wh.plan({"rules": {"papi_raise_low": {"low": {"codes": ["6.2", "D4"]}}}},
            drop=["rules.papi_raise_low.low.below_mean"])
    assert rule(wh, criterion_code="6.2") == "Điểm tối thiểu 1,5148 (năm 2023: 1,4148 + 0,1)"
    assert rule(wh, criterion_code="D4") == (
        "Điểm tối thiểu 10,0 (năm 2023: 9,95 + 0,1; giới hạn ở điểm tối đa 10,0)")
