"""Build the bundled sample data, reference codes and blank templates for chiso.

Reproducible: standard library + openpyxl only, one random.Random(2024) stream,
fixed timestamps inside the XLSX files.  Run from anywhere:

    .venv/bin/python data/build_sample.py

Writes (relative to this file's folder):
    sample/par_index_stttt.csv        synthetic PAR INDEX scores of STTTT, 2023-2024
    sample/sipas_criteria.csv         SIPAS criteria (1001/QD-BNV elements), names realistic
    sample/sipas_answers_2023.csv     synthetic raw answers, long, ';', UTF-8 with BOM
    sample/sipas_answers_2024.xlsx    synthetic raw answers, wide, + a hidden note sheet
    sample/papi_dimensions.csv        REAL: copy of reference/papi/agg_province_year.csv
    sample/papi_subdimensions.csv     2023 D6 REAL, the rest synthetic but consistent
    reference/papi_codes.csv          PAPI dimension / sub-dimension codes and names
    templates/*.csv, templates/*.xlsx blank templates (Vietnamese headers)

See data/README.md for which values are real and which are made up.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample"
REFERENCE = HERE / "reference"
TEMPLATES = HERE / "templates"
SHARED_REF = Path(os.environ.get("CHISO_SHARED_REFERENCE", "/work/shared/reference"))

rng = random.Random(2024)

# ---------------------------------------------------------------------------
# PAR INDEX criteria tree (synthetic, modelled on provincial department-level lists)
# Max points are in hundredths of a point (int) to keep sums exact.
# A TC is (code, name, max) when it is a leaf, or (code, name, [TCTP...]).
# ---------------------------------------------------------------------------

PAR_HEADER = [
    "Mã đơn vị",
    "Năm",
    "Mã tiêu chí",
    "Tên tiêu chí",
    "Điểm tối đa",
    "Điểm tự đánh giá",
    "Điểm thẩm định",
    "Tài liệu kiểm chứng",
]


def P(x: str) -> int:
    """Points given as text ('1.5') -> hundredths (150)."""
    return int(Decimal(x) * 100)


PAR_TREE = [
    (
        "1",
        "Công tác chỉ đạo, điều hành cải cách hành chính",
        [
            (
                "1.1",
                "Kế hoạch cải cách hành chính năm",
                [
                    ("1.1.1", "Ban hành kế hoạch CCHC năm đúng thời hạn", P("1")),
                    ("1.1.2", "Tỷ lệ hoàn thành kế hoạch CCHC năm", P("2")),
                ],
            ),
            ("1.2", "Thực hiện chế độ báo cáo CCHC định kỳ đầy đủ, đúng thời hạn", P("1")),
            (
                "1.3",
                "Công tác kiểm tra cải cách hành chính",
                [
                    (
                        "1.3.1",
                        "Ban hành kế hoạch kiểm tra CCHC đối với các đơn vị trực thuộc",
                        P("0.5"),
                    ),
                    ("1.3.2", "Tỷ lệ đơn vị được kiểm tra theo kế hoạch", P("0.5")),
                    ("1.3.3", "Xử lý các vấn đề phát hiện qua kiểm tra", P("1")),
                ],
            ),
            (
                "1.4",
                "Công tác tuyên truyền cải cách hành chính",
                [
                    ("1.4.1", "Ban hành kế hoạch tuyên truyền CCHC", P("0.5")),
                    ("1.4.2", "Mức độ hoàn thành kế hoạch tuyên truyền CCHC", P("1")),
                ],
            ),
            ("1.5", "Sáng kiến, giải pháp mới trong thực hiện CCHC", P("1.5")),
            ("1.6", "Tỷ lệ hoàn thành nhiệm vụ được UBND tỉnh giao", P("2")),
        ],
    ),
    (
        "2",
        "Cải cách thể chế",
        [
            (
                "2.1",
                "Tham mưu xây dựng văn bản quy phạm pháp luật",
                [
                    ("2.1.1", "Mức độ thực hiện kế hoạch xây dựng văn bản QPPL", P("1.5")),
                    ("2.1.2", "Lấy ý kiến đối với dự thảo văn bản QPPL theo quy định", P("0.5")),
                    ("2.1.3", "Chất lượng dự thảo văn bản QPPL do Sở tham mưu", P("1.5")),
                ],
            ),
            (
                "2.2",
                "Rà soát, hệ thống hóa văn bản quy phạm pháp luật",
                [
                    ("2.2.1", "Ban hành kế hoạch rà soát, hệ thống hóa văn bản QPPL", P("0.5")),
                    ("2.2.2", "Mức độ hoàn thành kế hoạch rà soát văn bản QPPL", P("1.5")),
                    ("2.2.3", "Xử lý kết quả rà soát văn bản QPPL", P("1")),
                ],
            ),
            ("2.3", "Theo dõi tình hình thi hành pháp luật trong lĩnh vực quản lý", P("1")),
            ("2.4", "Thực hiện công tác phổ biến, giáo dục pháp luật", P("1.5")),
        ],
    ),
    (
        "3",
        "Cải cách thủ tục hành chính",
        [
            (
                "3.1",
                "Kiểm soát thủ tục hành chính",
                [
                    ("3.1.1", "Ban hành kế hoạch rà soát, đánh giá TTHC", P("0.5")),
                    ("3.1.2", "Mức độ hoàn thành kế hoạch rà soát, đánh giá TTHC", P("1")),
                    ("3.1.3", "Tham mưu công bố danh mục TTHC đúng thời hạn", P("1.5")),
                ],
            ),
            (
                "3.2",
                "Công khai thủ tục hành chính",
                [
                    ("3.2.1", "Công khai TTHC trên Cổng dịch vụ công của tỉnh", P("1.5")),
                    (
                        "3.2.2",
                        "Thủ tục hành chính được niêm yết công khai tại Bộ phận một cửa",
                        P("1"),
                    ),
                ],
            ),
            (
                "3.3",
                "Thực hiện cơ chế một cửa, một cửa liên thông",
                [
                    ("3.3.1", "Tỷ lệ TTHC được đưa vào tiếp nhận tại Bộ phận một cửa", P("1.5")),
                    ("3.3.2", "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn", P("3")),
                    ("3.3.3", "Tỷ lệ hồ sơ, kết quả giải quyết TTHC được số hóa", P("1.5")),
                ],
            ),
            (
                "3.4",
                "Tiếp nhận, xử lý phản ánh, kiến nghị về TTHC",
                [
                    ("3.4.1", "Công khai địa chỉ tiếp nhận phản ánh, kiến nghị", P("0.5")),
                    ("3.4.2", "Tỷ lệ phản ánh, kiến nghị được xử lý đúng hạn", P("1.5")),
                ],
            ),
            ("3.5", "Tỷ lệ hồ sơ thanh toán trực tuyến phí, lệ phí", P("1.5")),
        ],
    ),
    (
        "4",
        "Cải cách tổ chức bộ máy hành chính",
        [
            (
                "4.1",
                "Sắp xếp, kiện toàn tổ chức bộ máy",
                [
                    ("4.1.1", "Thực hiện quy định về cơ cấu tổ chức của Sở", P("1.5")),
                    ("4.1.2", "Sắp xếp, kiện toàn đơn vị sự nghiệp công lập trực thuộc", P("1")),
                ],
            ),
            (
                "4.2",
                "Quản lý, sử dụng biên chế",
                [
                    ("4.2.1", "Sử dụng biên chế được giao đúng quy định", P("1.5")),
                    ("4.2.2", "Thực hiện tinh giản biên chế theo lộ trình", P("1.5")),
                ],
            ),
            ("4.3", "Thực hiện các nhiệm vụ được phân cấp, ủy quyền", P("1.5")),
            ("4.4", "Thực hiện quy chế làm việc của Sở", P("1")),
        ],
    ),
    (
        "5",
        "Cải cách chế độ công vụ",
        [
            (
                "5.1",
                "Vị trí việc làm",
                [
                    ("5.1.1", "Xây dựng, điều chỉnh đề án vị trí việc làm", P("1.5")),
                    (
                        "5.1.2",
                        "Bố trí công chức, viên chức theo vị trí việc làm được phê duyệt",
                        P("1.5"),
                    ),
                ],
            ),
            (
                "5.2",
                "Tuyển dụng, bổ nhiệm công chức, viên chức",
                [
                    ("5.2.1", "Thực hiện quy định về tuyển dụng công chức, viên chức", P("1")),
                    ("5.2.2", "Thực hiện quy định về bổ nhiệm, bổ nhiệm lại", P("0.5")),
                ],
            ),
            ("5.3", "Đánh giá, xếp loại chất lượng công chức, viên chức", P("1.5")),
            (
                "5.4",
                "Đào tạo, bồi dưỡng công chức, viên chức",
                [
                    ("5.4.1", "Ban hành kế hoạch đào tạo, bồi dưỡng năm", P("0.5")),
                    ("5.4.2", "Tỷ lệ hoàn thành kế hoạch đào tạo, bồi dưỡng", P("1.5")),
                ],
            ),
            ("5.5", "Chấp hành kỷ luật, kỷ cương hành chính", P("1.5")),
            ("5.6", "Thực hiện văn hóa công vụ", P("1.5")),
        ],
    ),
    (
        "6",
        "Cải cách tài chính công",
        [
            (
                "6.1",
                "Quản lý, sử dụng ngân sách nhà nước",
                [
                    ("6.1.1", "Tỷ lệ giải ngân kế hoạch vốn đầu tư công được giao", P("2")),
                    (
                        "6.1.2",
                        "Thực hiện kết luận thanh tra, kiểm toán về tài chính, ngân sách",
                        P("1.5"),
                    ),
                ],
            ),
            (
                "6.2",
                "Thực hiện cơ chế tự chủ tài chính",
                [
                    ("6.2.1", "Ban hành, thực hiện quy chế chi tiêu nội bộ", P("1")),
                    ("6.2.2", "Mức độ tự chủ tài chính của đơn vị sự nghiệp công lập", P("1.5")),
                ],
            ),
            ("6.3", "Quản lý, sử dụng tài sản công đúng quy định", P("1.5")),
        ],
    ),
    (
        "7",
        "Xây dựng và phát triển chính quyền điện tử, chính quyền số",
        [
            (
                "7.1",
                "Kế hoạch chuyển đổi số",
                [
                    ("7.1.1", "Ban hành kế hoạch chuyển đổi số năm", P("0.5")),
                    ("7.1.2", "Mức độ hoàn thành kế hoạch chuyển đổi số", P("1.5")),
                ],
            ),
            (
                "7.2",
                "Hệ thống quản lý văn bản và điều hành",
                [
                    ("7.2.1", "Tỷ lệ văn bản đi được ký số", P("1.5")),
                    ("7.2.2", "Tỷ lệ văn bản trao đổi hoàn toàn dưới dạng điện tử", P("1.5")),
                ],
            ),
            (
                "7.3",
                "Cung cấp dịch vụ công trực tuyến",
                [
                    ("7.3.1", "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến toàn trình", P("2")),
                    ("7.3.2", "Tỷ lệ hồ sơ TTHC nộp trực tuyến toàn trình", P("2")),
                    ("7.3.3", "Tích hợp, kết nối với Cổng dịch vụ công quốc gia", P("1")),
                ],
            ),
            ("7.4", "Cập nhật thông tin trên Trang thông tin điện tử của Sở", P("1")),
            ("7.5", "Bảo đảm an toàn thông tin mạng theo cấp độ", P("1.5")),
            (
                "7.6",
                "Xây dựng, chia sẻ dữ liệu chuyên ngành",
                [
                    ("7.6.1", "Xây dựng cơ sở dữ liệu chuyên ngành", P("1.5")),
                    (
                        "7.6.2",
                        "Chia sẻ dữ liệu qua nền tảng tích hợp, chia sẻ dữ liệu (LGSP)",
                        P("1"),
                    ),
                ],
            ),
        ],
    ),
    (
        "8",
        "Tác động của cải cách hành chính",
        [
            (
                "8.1",
                "Mức độ hài lòng của người dân, tổ chức đối với sự phục vụ của Sở",
                [
                    ("8.1.1", "Hài lòng về tiếp cận dịch vụ", P("2")),
                    ("8.1.2", "Hài lòng về thủ tục hành chính", P("2")),
                    ("8.1.3", "Hài lòng về công chức trực tiếp giải quyết công việc", P("2")),
                    ("8.1.4", "Hài lòng về kết quả giải quyết công việc", P("2")),
                ],
            ),
            (
                "8.2",
                "Đánh giá của các cơ quan, đơn vị về công tác của Sở",
                [
                    ("8.2.1", "Chất lượng tham mưu văn bản", P("2.5")),
                    ("8.2.2", "Phối hợp giải quyết công việc", P("2.5")),
                    ("8.2.3", "Tinh thần, thái độ phục vụ", P("2.5")),
                ],
            ),
            ("8.3", "Thực hiện các chỉ tiêu phát triển ngành, lĩnh vực", P("5")),
            ("8.4", "Đóng góp cải thiện chỉ số PAPI, PCI thuộc lĩnh vực quản lý", P("3")),
        ],
    ),
]

# Exactly one not-applicable leaf (no appointment in either year) and exactly one
# TCTP that only exists in 2024, taking its points from a sibling in 2024.
PAR_NOT_APPLICABLE = "5.2.2"
PAR_NEW_2024 = ("7.3.4", "Tỷ lệ TTHC có sử dụng dữ liệu dân cư (VNeID) khi giải quyết", P("0.5"))
PAR_NEW_PARENT = "7.3"
PAR_NEW_DONOR = "7.3.2"  # max 2.0 in 2023 -> 1.5 in 2024
NA_TEXT = "Không áp dụng"


def fmt_pts(h: int) -> str:
    """Hundredths -> '1.5', '2', '0.25' (dot decimal, at most 2 decimals)."""
    s = f"{h / 100:.2f}".rstrip("0").rstrip(".")
    return s if s else "0"


def round_q(h: float) -> int:
    """Round a hundredths value to a multiple of 0.05 point (5 hundredths)."""
    return int(round(h / 5.0)) * 5


def below_max(mx: int) -> int:
    """A score strictly between 0 and max, at most 2 decimals."""
    if mx <= 25:
        return 0 if mx == 0 else max(5, mx // 2 // 5 * 5)
    for _ in range(20):
        v = round_q(mx * rng.choice([0.25, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8]))
        if 0 < v < mx:
            return v
    return mx // 2


DOC_KINDS = [
    ("KH", "KH-STTTT"),
    ("BC", "BC-STTTT"),
    ("QĐ", "QĐ-STTTT"),
    ("CV", "STTTT-VP"),
    ("TB", "TB-STTTT"),
]


def evidence(year: int, code: str) -> str:
    kind, suffix = rng.choice(DOC_KINDS)
    n = rng.randint(3, 480)
    d, m = rng.randint(1, 28), rng.randint(1, 12)
    if code.startswith(("3.3", "3.4", "3.5", "7.3")) and rng.random() < 0.6:
        return f"Trích xuất Hệ thống thông tin giải quyết TTHC ngày {d:02d}/{m:02d}/{year}"
    return f"{kind} {n}/{suffix} ngày {d:02d}/{m:02d}/{year}"


def build_par() -> list[list[str]]:
    # flatten tree: nodes = (code, name, level, parent, max or None)
    leaves: list[tuple[str, str, int]] = []  # (code, name, max)
    for _, _, tcs in PAR_TREE:
        for tc in tcs:
            if isinstance(tc[2], list):
                leaves.extend(tc[2])
            else:
                leaves.append(tc)
    leaf_codes = [c for c, _, _ in leaves]
    max23 = {c: m for c, _, m in leaves}
    max24 = dict(max23)
    max24[PAR_NEW_DONOR] -= PAR_NEW_2024[2]
    max24[PAR_NEW_2024[0]] = PAR_NEW_2024[2]

    # --- 2023 categories (by appraised score) -----------------------------
    pool = [c for c in leaf_codes if c != PAR_NOT_APPLICABLE]
    shuffled = pool[:]
    rng.shuffle(shuffled)
    n = len(pool)
    n_zero = 5
    n_below = round(0.36 * n)
    zero = set(shuffled[:n_zero])
    below = set(shuffled[n_zero : n_zero + n_below])
    # the donor (7.3.2) must be at most its 2024 max in 2024; keep it simple
    appr23: dict[str, int | None] = {}
    self23: dict[str, int | None] = {}
    for c in leaf_codes:
        mx = max23[c]
        if c == PAR_NOT_APPLICABLE:
            appr23[c] = self23[c] = None
        elif c in zero:
            appr23[c] = 0
            self23[c] = 0 if rng.random() < 0.6 else below_max(mx)
        elif c in below:
            a = below_max(mx)
            appr23[c] = a
            r = rng.random()
            self23[c] = mx if r < 0.3 else (min(mx, a + round_q(mx * 0.2)) if r < 0.45 else a)
        else:
            appr23[c] = self23[c] = mx

    # --- 2024 self-assessed ------------------------------------------------
    at_max = [c for c in pool if appr23[c] == max23[c]]
    rng.shuffle(at_max)
    drops = set(at_max[:4])
    self24: dict[str, int | None] = {}
    for c in leaf_codes:
        mx23, mx24 = max23[c], max24[c]
        a = appr23[c]
        if c == PAR_NOT_APPLICABLE:
            self24[c] = None
        elif c in drops:
            self24[c] = below_max(mx24)
        elif a == mx23:
            self24[c] = mx24
        else:  # below max or zero in 2023
            r = rng.random()
            if r < 0.45:  # improve: reach max or go part of the way
                self24[c] = (
                    mx24
                    if rng.random() < 0.5
                    else min(mx24 - 5, max(a + 5, round_q((a + mx24) / 2)))
                )
            elif r < 0.8 or a == 0:  # stay equal
                self24[c] = min(a, mx24)
            else:  # fall
                self24[c] = max(0, round_q(a * 0.6)) if a > 10 else 0
    self24[PAR_NEW_2024[0]] = P("0.25")

    # --- rows ----------------------------------------------------------------
    rows: list[list[str]] = []
    for year in (2023, 2024):
        mxs = max23 if year == 2023 else max24
        s_self = self23 if year == 2023 else self24
        s_appr = appr23 if year == 2023 else None
        for acode, aname, tcs in PAR_TREE:
            area_rows = []
            am = asum = aapp = 0
            for tc in tcs:
                children = list(tc[2]) if isinstance(tc[2], list) else None
                if children is not None and year == 2024 and tc[0] == PAR_NEW_PARENT:
                    children.append(PAR_NEW_2024)
                if children is None:
                    kids = [tc]
                else:
                    kids = children
                kid_rows = []
                tm = tsum = tapp = 0
                for kc, kn, _ in kids:
                    m = mxs[kc]
                    sv = s_self[kc]
                    av = s_appr[kc] if s_appr is not None else None
                    tm += m
                    tsum += sv or 0
                    tapp += av or 0
                    if kc == PAR_NOT_APPLICABLE:
                        cells = [NA_TEXT, NA_TEXT if year == 2023 else ""]
                        ev = ""
                    else:
                        cells = [fmt_pts(sv), fmt_pts(av) if av is not None else ""]
                        score = av if av is not None else sv
                        ev = evidence(year, kc) if score > 0 and rng.random() < 0.85 else ""
                    kid_rows.append(["STTTT", str(year), kc, kn, fmt_pts(m), *cells, ev])
                if children is None:
                    area_rows.extend(kid_rows)
                else:
                    area_rows.append(
                        [
                            "STTTT",
                            str(year),
                            tc[0],
                            tc[1],
                            fmt_pts(tm),
                            fmt_pts(tsum),
                            fmt_pts(tapp) if year == 2023 else "",
                            "",
                        ]
                    )
                    area_rows.extend(kid_rows)
                am += tm
                asum += tsum
                aapp += tapp
            rows.append(
                [
                    "STTTT",
                    str(year),
                    acode,
                    aname,
                    fmt_pts(am),
                    fmt_pts(asum),
                    fmt_pts(aapp) if year == 2023 else "",
                    "",
                ]
            )
            rows.extend(area_rows)
    return rows


# ---------------------------------------------------------------------------
# SIPAS
# ---------------------------------------------------------------------------

SIPAS_CRITERIA = [
    ("1.1", 1, "Nơi ngồi chờ có đủ chỗ ngồi"),
    ("1.2", 1, "Trang thiết bị phục vụ người dân, tổ chức đầy đủ"),
    ("1.3", 1, "Trang thiết bị phục vụ người dân, tổ chức hiện đại, dễ sử dụng"),
    ("1.4", 1, "Dễ dàng tìm hiểu, tiếp cận dịch vụ công trực tuyến"),
    ("2.1", 2, "Thủ tục hành chính được niêm yết công khai, đầy đủ"),
    ("2.2", 2, "Thủ tục hành chính được niêm yết công khai, chính xác"),
    ("2.3", 2, "Thành phần hồ sơ phải nộp là đúng quy định"),
    ("2.4", 2, "Phí, lệ phí phải nộp là đúng quy định"),
    ("2.5", 2, "Thời hạn giải quyết ghi trên giấy hẹn là đúng quy định"),
    ("3.1", 3, "Công chức có thái độ giao tiếp lịch sự"),
    ("3.2", 3, "Công chức chú ý lắng nghe ý kiến của người dân, tổ chức"),
    ("3.3", 3, "Công chức trả lời, giải thích đầy đủ các ý kiến của người dân, tổ chức"),
    ("3.4", 3, "Công chức hướng dẫn kê khai hồ sơ tận tình, chu đáo, dễ hiểu"),
    ("3.5", 3, "Công chức tuân thủ đúng quy định trong giải quyết công việc"),
    ("4.1", 4, "Kết quả giải quyết TTHC đúng quy định"),
    ("4.2", 4, "Kết quả giải quyết TTHC có thông tin đầy đủ, chính xác"),
    ("4.3", 4, "Kết quả giải quyết TTHC được trả đúng hạn"),
    ("5.1", 5, "Cơ quan có bố trí hình thức tiếp nhận góp ý, phản ánh, kiến nghị"),
    ("5.2", 5, "Dễ dàng thực hiện góp ý, phản ánh, kiến nghị"),
    ("5.3", 5, "Cơ quan tiếp nhận, xử lý tích cực các góp ý, phản ánh, kiến nghị"),
    ("5.4", 5, "Cơ quan thông báo kịp thời kết quả xử lý góp ý, phản ánh, kiến nghị"),
]
SIPAS_CODES = [c for c, _, _ in SIPAS_CRITERIA]
SIPAS_UNITS = {"STTTT": 120, "SNV": 126, "STC": 115}

# Target satisfaction rates (%), 2023. STTTT weakest, a few below 70.
RATE_2023 = {
    "STTTT": [72, 76, 68, 66, 80, 78, 81, 82, 74, 77, 75, 73, 69, 79, 78, 76, 71, 74, 67, 70, 72],
}
# STTTT 2024 change in points: four criteria by more than 10, most by less, one falls.
DELTA_2024_STTTT = [3, 2, 13, 14, 1, 2, 0, -2, 4, 2, 3, 5, 12, 1, 2, 3, 6, 3, 15, 5, 4]


def other_rates(lo: float, hi: float) -> list[float]:
    return [round(rng.uniform(lo, hi), 1) for _ in SIPAS_CODES]


def sipas_answers(
    unit: str, year: int, n_resp: int, rates: list[float]
) -> dict[int, dict[str, str]]:
    """{respondent_no: {question_code: '1'..'5' or ''}} with exact satisfied counts."""
    table: dict[int, dict[str, str]] = {i: {} for i in range(1, n_resp + 1)}
    for code, rate in zip(SIPAS_CODES, rates, strict=True):
        ids = list(range(1, n_resp + 1))
        blanks = {i for i in ids if rng.random() < 0.02}
        valid = [i for i in ids if i not in blanks]
        k = round(rate / 100 * len(valid))
        rng.shuffle(valid)
        sat = set(valid[:k])
        for i in ids:
            if i in blanks:
                v = ""
            elif i in sat:
                v = "5" if rng.random() < 0.35 else "4"
            else:
                v = rng.choices(["1", "2", "3"], weights=[1, 3, 8])[0]
            table[i][code] = v
    return table


def build_sipas():
    rates23 = {
        "STTTT": [float(x) for x in RATE_2023["STTTT"]],
        "SNV": other_rates(80, 91),
        "STC": other_rates(78.5, 90),
    }
    rates24 = {
        "STTTT": [
            min(97.0, a + d) for a, d in zip(rates23["STTTT"], DELTA_2024_STTTT, strict=True)
        ],
        "SNV": [min(95.0, max(78.0, r + rng.uniform(-2, 3))) for r in rates23["SNV"]],
        "STC": [min(95.0, max(78.0, r + rng.uniform(-2, 3))) for r in rates23["STC"]],
    }
    long_rows = []
    for unit, n in SIPAS_UNITS.items():
        t = sipas_answers(unit, 2023, n, rates23[unit])
        for i in range(1, n + 1):
            for code in SIPAS_CODES:
                long_rows.append([2023, unit, f"{unit}-2023-{i:03d}", code, t[i][code]])
    # exactly three invalid answers (0, 6, 7), one per unit
    for unit, bad in (("SNV", "0"), ("STTTT", "6"), ("STC", "7")):
        idx = [j for j, r in enumerate(long_rows) if r[1] == unit and r[4] != ""]
        long_rows[rng.choice(idx)][4] = bad

    wide = {}
    for unit, n in SIPAS_UNITS.items():
        wide[unit] = sipas_answers(unit, 2024, n, rates24[unit])
    return long_rows, wide


# ---------------------------------------------------------------------------
# PAPI
# ---------------------------------------------------------------------------


def D(x: str) -> Decimal:
    return Decimal(x)


PAPI_SUB = {
    # year: {code: score}; the last sub-dim of each synthetic group closes the real sum
    2023: {
        "3.1": D("1.2135"),
        "3.2": D("1.4021"),
        "3.3": D("4.1974") - D("1.2135") - D("1.4021"),
        "6.1": D("1.9933"),
        "6.2": D("1.4148"),
        "6.3": D("1.8536"),
        "6.4": D("1.8662"),  # REAL
        "8.1": D("0.8412"),
        "8.2": D("1.6354"),
        "8.3": D("3.2587") - D("0.8412") - D("1.6354"),
    },
    2024: {
        "3.1": D("1.3347"),
        "3.2": D("1.3988"),
        "3.3": D("4.3124") - D("1.3347") - D("1.3988"),
        "6.1": D("1.9541"),
        "6.2": D("1.4652"),
        "6.3": D("1.9712"),
        "6.4": D("7.2207") - D("1.9541") - D("1.4652") - D("1.9712"),
        "8.1": D("0.9538"),
        "8.2": D("1.7196"),
        "8.3": D("3.6069") - D("0.9538") - D("1.7196"),
    },
}


def read_commented_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        lines = [ln for ln in f if not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("".join(lines))))


def build_papi_codes() -> list[list[str]]:
    rows = [["code", "dimension", "name_vi", "name_en"]]
    for r in read_commented_csv(SHARED_REF / "papi" / "dim_indicator.csv"):
        rows.append([r["code"], r["code"], r["name_vi"], r["name_en"]])
    for r in read_commented_csv(SHARED_REF / "facts" / "papi_structure_2018_2024.csv"):
        if not re.fullmatch(r"\d+\.\d+", r["sub_code"]):
            continue  # skip the uncertain D5 '5.x' rows
        name_en = re.sub(r"\s*\(per 3rd-party codebook.*\)$", "", r["sub_name_en"]).strip()
        rows.append([r["sub_code"], f"D{r['dim']}", r["sub_name_vi"], name_en])
    return rows


# ---------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------


def write_csv(path: Path, rows, *, delimiter=",", bom=False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        w.writerows(rows)


FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save, then normalise the zip (fixed timestamps) so reruns are byte-identical."""
    import datetime as _dt

    path.parent.mkdir(parents=True, exist_ok=True)
    wb.properties.creator = "chiso data/build_sample.py"
    wb.properties.created = _dt.datetime(2024, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2024-01-01T00:00:00Z\g<2>",
                    data,
                )
            zi = zipfile.ZipInfo(item.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = item.external_attr
            zout.writestr(zi, data)
    path.write_bytes(out.getvalue())


def header_sheet(ws, header: list[str]) -> None:
    ws.append(header)
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
    ws.freeze_panes = "A2"
    wide = {"Tên tiêu chí": 60, "Tài liệu kiểm chứng": 40, "Mã phiếu": 18, "Tỉnh": 18}
    for i, h in enumerate(header, start=1):
        width = wide.get(h, max(8, min(40, len(h) + 4)))
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width


def write_template(name: str, header: list[str]) -> None:
    write_csv(TEMPLATES / f"{name}.csv", [header], bom=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Mẫu"
    header_sheet(ws, header)
    save_workbook(wb, TEMPLATES / f"{name}.xlsx")


# --- evidence register, survey participation, index results (issue 6) -----------------------

EVIDENCE_HEADER = ["Năm", "Mã đơn vị", "Mã tiêu chí", "Số, ký hiệu văn bản", "Ngày ban hành",
                   "Đường dẫn", "Ghi chú"]
# Evidence for 2024 criteria whose PAR row has none; 6.3 and 7.3.2 are explanations only, and
# 1.6, 2.3, 3.4.2, 7.3.4 stay without evidence (made up).
EVIDENCE_ROWS = [
    ["2024", "STTTT", "2.1.2", "215/QĐ-STTTT", "12/04/2024",
     "https://stttt.backan.gov.vn/van-ban/215-qd-stttt.pdf", ""],
    ["2024", "STTTT", "3.1.1", "Báo cáo 140/BC-STTTT", "20/06/2024", "", ""],
    ["2024", "STTTT", "6.2.1", "", "", "tai_lieu/6.2.1_du_toan_ngan_sach_2024.pdf", ""],
    ["2024", "STTTT", "6.3", "", "", "",
     "Đang tổng hợp số liệu giải ngân từ Kho bạc Nhà nước, sẽ bổ sung"],
    ["2024", "STTTT", "7.2.1", "Kế hoạch 98/KH-STTTT", "15/03/2024", "", ""],
    ["2024", "STTTT", "7.3.2", "", "", "",
     "Không phát sinh hồ sơ trong kỳ đánh giá; giải trình tại báo cáo tự đánh giá"],
]

PARTICIPATION_HEADER = ["Năm", "Chỉ số", "Mã đơn vị", "Số phiếu được giao", "Số phiếu đã trả lời"]
# Sociological survey forms of the PAR INDEX answered by the department's divisions (made up).
PARTICIPATION_ROWS = [
    ["2023", "PAR INDEX", "VP", "6", "6"],
    ["2023", "PAR INDEX", "CNTT", "4", "4"],
    ["2023", "PAR INDEX", "TTCNTT", "3", "3"],
    ["2024", "PAR INDEX", "VP", "6", "6"],
    ["2024", "PAR INDEX", "CNTT", "4", "3"],
    ["2024", "PAR INDEX", "TTCNTT", "3", "1"],
]

RESULTS_HEADER = ["Năm", "Chỉ số", "Tên", "Điểm"]
DEPARTMENTS = [
    "Sở Nội vụ", "Sở Tư pháp", "Sở Kế hoạch và Đầu tư", "Sở Tài chính", "Sở Công Thương",
    "Sở Nông nghiệp và Phát triển nông thôn", "Sở Giao thông vận tải", "Sở Xây dựng",
    "Sở Tài nguyên và Môi trường", "Sở Thông tin và Truyền thông",
    "Sở Lao động - Thương binh và Xã hội", "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo", "Sở Y tế", "Thanh tra tỉnh",
    "Văn phòng UBND tỉnh", "Ban Dân tộc",
]


def build_results() -> list[list[str]]:
    """PAR INDEX of the province's departments, 2023-2024 (made up): the list a province
    publishes, from which chiso ranks the department."""
    r = random.Random(2025)
    rows = []
    for year in (2023, 2024):
        for name in DEPARTMENTS:
            score = r.uniform(78, 92) if name != "Sở Thông tin và Truyền thông" else (
                84.37 if year == 2023 else 86.02)
            rows.append([str(year), "PAR INDEX", name, f"{score:.2f}"])
    return rows


def main() -> None:
    # 1. PAR INDEX
    write_csv(SAMPLE / "par_index_stttt.csv", [PAR_HEADER, *build_par()])

    # 2. SIPAS criteria
    write_csv(
        SAMPLE / "sipas_criteria.csv",
        [["Mã câu hỏi", "Yếu tố", "Tên tiêu chí"], *[[c, str(e), n] for c, e, n in SIPAS_CRITERIA]],
    )

    # 3-4. SIPAS answers
    long_rows, wide = build_sipas()
    write_csv(
        SAMPLE / "sipas_answers_2023.csv",
        [["year", "unit_code", "respondent_id", "question_code", "answer"], *long_rows],
        delimiter=";",
        bom=True,
    )
    wb = Workbook()
    ws = wb.active
    ws.title = "Phieu2024"
    ws.append(["Năm", "Mã đơn vị", "Mã phiếu", *SIPAS_CODES])
    for unit, table in wide.items():
        for i, answers in table.items():
            ws.append(
                [
                    2024,
                    unit,
                    f"{unit}-2024-{i:03d}",
                    *[int(answers[c]) if answers[c] else None for c in SIPAS_CODES],
                ]
            )
    note = wb.create_sheet("Ghi chu")
    note["A1"] = (
        "Ghi chú nội bộ: dữ liệu phiếu khảo sát SIPAS 2024 (dữ liệu mẫu, tổng hợp giả lập). "
        "Trang này bị ẩn; chương trình đọc phải bỏ qua."
    )
    note.sheet_state = "hidden"
    save_workbook(wb, SAMPLE / "sipas_answers_2024.xlsx")

    # 5. PAPI dimensions: real, unchanged copy
    src = SHARED_REF / "papi" / "agg_province_year.csv"
    dst = SAMPLE / "papi_dimensions.csv"
    if src.exists():
        shutil.copyfile(src, dst)
    elif not dst.exists():
        raise SystemExit(f"missing {src}; set CHISO_SHARED_REFERENCE")

    # 6. PAPI sub-dimensions
    rows = [["Năm", "Tỉnh", "Mã", "Điểm"]]
    for year, subs in PAPI_SUB.items():
        for code, score in subs.items():
            rows.append([str(year), "Bắc Kạn", code, f"{score:.4f}"])
    write_csv(SAMPLE / "papi_subdimensions.csv", rows)

    # 7. PAPI codes
    write_csv(REFERENCE / "papi_codes.csv", build_papi_codes())

    # 8. templates
    write_template("par_index", PAR_HEADER)
    write_template("sipas_answers_long", ["Năm", "Mã đơn vị", "Mã phiếu", "Mã câu hỏi", "Trả lời"])
    write_template("sipas_answers_wide", ["Năm", "Mã đơn vị", "Mã phiếu", *SIPAS_CODES])
    write_template("sipas_criteria", ["Mã câu hỏi", "Yếu tố", "Tên tiêu chí"])
    write_template(
        "sipas_rates", ["Năm", "Mã đơn vị", "Mã tiêu chí", "Tỷ lệ hài lòng (%)", "Số phiếu hợp lệ"]
    )
    write_template("papi_scores", ["Năm", "Tỉnh", "Mã", "Điểm"])
    write_template("papi_scores_wide", ["Năm", "Tỉnh", *(f"D{i}" for i in range(1, 9))])
    write_template("evidence_register", EVIDENCE_HEADER)
    write_template("survey_participation", PARTICIPATION_HEADER)
    write_template("index_results", RESULTS_HEADER)

    # 9-11. evidence register, survey participation, index results (own random stream, so
    # the files above stay byte-identical)
    write_csv(SAMPLE / "evidence_register.csv", [EVIDENCE_HEADER, *EVIDENCE_ROWS])
    write_csv(SAMPLE / "survey_participation.csv", [PARTICIPATION_HEADER, *PARTICIPATION_ROWS])
    write_csv(SAMPLE / "index_results_par_departments.csv", [RESULTS_HEADER, *build_results()])
    print("sample data written under", HERE)


if __name__ == "__main__":
    main()
