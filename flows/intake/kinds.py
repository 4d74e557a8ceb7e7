"""The extract kinds chiso reads, their columns, and how a header is recognised.

A header cell is folded to snake_case ("Điểm tối đa", "diem toi da", "DIEM_TOI_DA" all give
"diem_toi_da") and looked up in ALIASES. A file's kind is the first KIND whose signature
columns are all present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flows.vietnamese import snake

# canonical column -> accepted header spellings (already folded to snake_case)
ALIASES: dict[str, tuple[str, ...]] = {
    "unit_code": ("unit_code", "ma_don_vi", "ma_dv", "don_vi", "unit"),
    "year": ("year", "nam", "nam_danh_gia", "nam_khao_sat"),
    "criterion_code": ("criterion_code", "ma_tieu_chi", "ma_tc", "ma_tctp"),
    "criterion_name": ("criterion_name", "ten_tieu_chi", "noi_dung_tieu_chi", "tieu_chi"),
    "max_points": ("max_points", "diem_toi_da", "maximum_points", "max_score", "max_point"),
    "self_score": ("self_score", "diem_tu_danh_gia", "diem_tu_cham", "tu_danh_gia",
                   "self_assessed_score", "self_assessment_score", "self_assessment"),
    "appraised_score": ("appraised_score", "diem_tham_dinh", "tham_dinh", "appraisal_score",
                        "appraised"),
    "evidence": ("evidence", "tai_lieu_kiem_chung"),
    "respondent_id": ("respondent_id", "ma_phieu", "ma_nguoi_tra_loi", "phieu_so"),
    "question_code": ("question_code", "ma_cau_hoi", "cau_hoi"),
    "answer": ("answer", "tra_loi", "cau_tra_loi", "muc_do_hai_long"),
    "element": ("element", "yeu_to"),
    "rate_pct": ("rate_pct", "ty_le_hai_long", "ty_le", "ty_le_hai_long_pct"),
    "n": ("n", "so_phieu_hop_le", "so_phieu", "co_mau"),
    "province": ("province", "province_vi", "tinh", "ten_tinh", "tinh_thanh_pho", "tinh_thanh"),
    "code": ("code", "ma", "ma_chi_so"),
    "score": ("score", "diem", "diem_so", "ket_qua"),
    # evidence register (tài liệu kiểm chứng)
    "document": ("document", "so_ky_hieu", "so_hieu_van_ban", "so_van_ban", "van_ban",
                 "ten_tai_lieu", "trich_yeu", "so_ky_hieu_trich_yeu", "so_ky_hieu_van_ban",
                 "so_ky_hieu_hoac_trich_yeu", "so_ky_hieu_hoac_trich_yeu_van_ban"),
    "document_date": ("document_date", "ngay_ban_hanh", "ngay_van_ban", "ngay"),
    "link": ("link", "duong_dan", "url", "ten_tep", "tep_dinh_kem"),
    "note": ("note", "ghi_chu", "giai_trinh", "noi_dung_giai_trinh"),
    # survey participation, index results
    "index_name": ("index_name", "index", "chi_so", "ten_chi_so"),
    "forms_assigned": ("forms_assigned", "so_phieu_duoc_giao", "so_phieu_giao", "phieu_duoc_giao",
                       "so_phieu_phat_ra"),
    "forms_answered": ("forms_answered", "so_phieu_da_tra_loi", "so_phieu_tra_loi",
                       "phieu_da_tra_loi", "so_phieu_thu_ve"),
    "name": ("name", "ten", "ten_don_vi", "ten_tinh_don_vi", "don_vi_xep_hang"),
}
_CANONICAL = {alias: canon for canon, aliases in ALIASES.items() for alias in aliases}

# The Vietnamese header of each canonical column (as in data/templates), for messages.
COLUMN_LABELS_VI: dict[str, str] = {
    "unit_code": "Mã đơn vị",
    "year": "Năm",
    "criterion_code": "Mã tiêu chí",
    "criterion_name": "Tên tiêu chí",
    "max_points": "Điểm tối đa",
    "self_score": "Điểm tự đánh giá",
    "appraised_score": "Điểm thẩm định",
    "evidence": "Tài liệu kiểm chứng",
    "respondent_id": "Mã phiếu",
    "question_code": "Mã câu hỏi",
    "answer": "Trả lời",
    "element": "Yếu tố",
    "rate_pct": "Tỷ lệ hài lòng (%)",
    "n": "Số phiếu hợp lệ",
    "province": "Tỉnh",
    "code": "Mã",
    "score": "Điểm",
    "document": "Số, ký hiệu hoặc trích yếu văn bản",
    "document_date": "Ngày ban hành",
    "link": "Đường dẫn hoặc tên tệp",
    "note": "Ghi chú / giải trình",
    "index_name": "Chỉ số",
    "forms_assigned": "Số phiếu được giao",
    "forms_answered": "Số phiếu đã trả lời",
    "name": "Tên (tỉnh hoặc đơn vị)",
}


def column_label(column: str) -> str:
    """'max_points' -> 'max_points (Điểm tối đa)'."""
    label = COLUMN_LABELS_VI.get(column)
    return f"{column} ({label})" if label else column

# Column headers of wide layouts: a PAPI code (D1..D8, or a sub-dimension like 6.2) or a
# SIPAS question code (1.1, Q1.1, C12).
PAPI_CODE = re.compile(r"^(?:[Dd][1-9]|[1-9]\.[1-9])$")
QUESTION_CODE = re.compile(r"^[A-Za-z]{0,3}\d+(?:\.\d+)*$")


@dataclass(frozen=True)
class Kind:
    """One file layout: what its header must hold and which table it loads into."""

    name: str
    table: str  # the raw_<table> it loads into
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    signature: frozenset[str] = field(default_factory=frozenset)
    wide_codes: re.Pattern | None = None  # wide layout: other columns are codes
    label_vi: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


# canonical columns of each raw table, in the order the readers write them
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "par_scores": (
        "unit_code", "year", "criterion_code", "criterion_name",
        "max_points", "self_score", "appraised_score", "evidence",
    ),
    "sipas_answers": ("year", "unit_code", "respondent_id", "question_code", "answer"),
    "sipas_criteria": ("question_code", "element", "criterion_name"),
    "sipas_rates": ("year", "unit_code", "criterion_code", "rate_pct", "n"),
    "papi_scores": ("year", "province", "code", "score"),
    "evidence_register": (
        "year", "unit_code", "criterion_code", "document", "document_date", "link", "note",
    ),
    "survey_participation": ("year", "index_name", "unit_code", "forms_assigned", "forms_answered"),
    "index_results": ("year", "index_name", "name", "score", "unit_code"),
}

KINDS: tuple[Kind, ...] = (
    Kind(
        "par_scores", "par_scores",
        required=("unit_code", "year", "criterion_code", "criterion_name", "max_points"),
        optional=("self_score", "appraised_score", "evidence"),
        signature=frozenset({"criterion_code", "max_points"}),
        label_vi="Điểm Chỉ số CCHC (PAR INDEX)",
    ),
    Kind(
        "sipas_answers_long", "sipas_answers",
        required=("year", "unit_code", "respondent_id", "question_code", "answer"),
        signature=frozenset({"respondent_id", "question_code", "answer"}),
        label_vi="Phiếu khảo sát SIPAS (dạng dọc)",
    ),
    Kind(
        "sipas_answers_wide", "sipas_answers",
        required=("year", "unit_code", "respondent_id"),
        signature=frozenset({"respondent_id"}),
        wide_codes=QUESTION_CODE,
        label_vi="Phiếu khảo sát SIPAS (dạng ngang)",
    ),
    Kind(
        "sipas_criteria", "sipas_criteria",
        required=("question_code", "element", "criterion_name"),
        signature=frozenset({"question_code", "element"}),
        label_vi="Danh mục tiêu chí SIPAS",
    ),
    Kind(
        "sipas_rates", "sipas_rates",
        required=("year", "unit_code", "criterion_code", "rate_pct", "n"),
        signature=frozenset({"rate_pct"}),
        label_vi="Tỷ lệ hài lòng SIPAS (đã công bố)",
    ),
    Kind(
        "papi_scores_long", "papi_scores",
        required=("year", "province", "code", "score"),
        signature=frozenset({"province", "code", "score"}),
        label_vi="Điểm PAPI (dạng dọc)",
    ),
    Kind(
        "papi_scores_wide", "papi_scores",
        required=("year", "province"),
        signature=frozenset({"province", "year"}),
        wide_codes=PAPI_CODE,
        label_vi="Điểm PAPI (dạng ngang)",
    ),
    Kind(
        "evidence_register", "evidence_register",
        required=("year", "unit_code", "criterion_code"),
        optional=("document", "document_date", "link", "note"),
        signature=frozenset({"criterion_code", "document"}),
        label_vi="Sổ theo dõi tài liệu kiểm chứng",
    ),
    Kind(
        "survey_participation", "survey_participation",
        required=("year", "index_name", "unit_code", "forms_assigned", "forms_answered"),
        signature=frozenset({"forms_assigned", "forms_answered"}),
        label_vi="Tiến độ trả lời phiếu điều tra xã hội học",
    ),
    Kind(
        "index_results", "index_results",
        required=("year", "index_name", "name", "score"),
        optional=("unit_code",),
        signature=frozenset({"index_name", "name", "score"}),
        label_vi="Kết quả chỉ số của các tỉnh hoặc đơn vị (để xếp hạng)",
    ),
)
KINDS_BY_NAME = {k.name: k for k in KINDS}


@dataclass(frozen=True)
class HeaderMap:
    """How one header row maps onto a kind: for each position, a column name or None."""

    kind: Kind
    names: tuple[str | None, ...]  # canonical column, wide code, or None (ignored)
    codes: tuple[str, ...]  # wide layouts: the code columns, in order
    ignored: tuple[str, ...]  # header cells that are neither

    def position(self, column: str) -> int | None:
        return self.names.index(column) if column in self.names else None


class HeaderError(ValueError):
    """A header row that looks like a documented layout but cannot be used as it is.

    The message is for people (Vietnamese) and says what the header should hold; `column`
    names the column concerned, when there is one.
    """

    def __init__(self, message: str, column: str | None = None):
        super().__init__(message)
        self.column = column


def canonical(cell: str) -> str | None:
    """The canonical column a header cell names, or None. A note in brackets is ignored
    when the whole cell is not itself a known spelling: "Điểm tối đa (điểm)" is max_points."""
    if not cell:
        return None
    found = _CANONICAL.get(snake(cell))
    if found is None and ("(" in cell or "[" in cell):
        found = _CANONICAL.get(snake(re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", cell)))
    return found


def recognise(cells: list[str]) -> HeaderMap | None:
    """The layout a header row belongs to, or None when it matches none of them.

    Raises HeaderError when it matches a layout but cannot be used as it is (a required
    column missing, a column given twice, a wide layout with no code columns).
    """
    cells = [("" if c is None else str(c)).strip() for c in cells]
    canon = [canonical(c) for c in cells]
    present = {c for c in canon if c}
    for kind in KINDS:
        if not kind.signature <= present:
            continue
        if kind.wide_codes is not None and "question_code" in present:
            continue
        if kind.wide_codes is not None and not any(
            kind.wide_codes.match(c) for c, k in zip(cells, canon, strict=True) if not k
        ):
            continue
        missing = [c for c in kind.required if c not in present]
        if missing:
            raise _missing_columns(kind, missing)
        names: list[str | None] = []
        codes: list[str] = []
        ignored: list[str] = []
        seen: set[str] = set()
        for cell, col in zip(cells, canon, strict=True):
            if col in kind.columns:
                if col in seen:
                    raise HeaderError(
                        f"mỗi cột chỉ xuất hiện một lần: cột {column_label(col)} có hai lần"
                        f" (ô tiêu đề {cell!r})",
                        column=col,
                    )
                seen.add(col)
                names.append(col)
            elif kind.wide_codes is not None and kind.wide_codes.match(cell):
                code = cell.upper() if cell[:1] in "dD" and kind.name.startswith("papi") else cell
                if code in codes:
                    raise HeaderError(
                        f"mỗi mã chỉ một cột: cột mã {cell!r} xuất hiện hai lần", column=code
                    )
                codes.append(code)
                names.append(code)
            else:
                names.append(None)
                if cell:
                    ignored.append(cell)
        return HeaderMap(kind, tuple(names), tuple(codes), tuple(ignored))
    return None


def _missing_columns(kind: Kind, missing: list[str]) -> HeaderError:
    return HeaderError(
        f"đủ các cột bắt buộc của loại tệp {kind.label_vi}: thiếu cột "
        + ", ".join(column_label(c) for c in missing)
        + " (các cột bắt buộc: " + ", ".join(column_label(c) for c in kind.required) + ")",
        column=missing[0],
    )


def near_miss(cells: list[str]) -> HeaderError | None:
    """Why a header row that `recognise` turned down is nonetheless close to a layout.

    A wide layout's id columns with no code column (and none of the long layout's own
    columns) are named as such. Otherwise a row holding at least two required columns of a
    kind, more than half of them, and at least one that not every index has (year, unit,
    province, name), is taken as that kind with columns missing. None when the row is close
    to no layout (a title, a note).
    """
    cells = [("" if c is None else str(c)).strip() for c in cells]
    present = {c for c in (canonical(x) for x in cells) if c}
    for kind in KINDS:
        if kind.wide_codes is None or not set(kind.required) <= present:
            continue
        long = next(k for k in KINDS if k.table == kind.table and k.wide_codes is None)
        long_only = set(long.required) - set(kind.required)
        if present & long_only:
            continue
        example = "D1, D8, 6.2" if kind.table == "papi_scores" else "1.1, Q1.1, C12"
        return HeaderError(
            f"ít nhất một cột mã (ví dụ {example}) cho loại tệp {kind.label_vi}; hoặc, với"
            f" loại tệp {long.label_vi}, các cột "
            + ", ".join(column_label(c) for c in long.required if c in long_only)
        )
    common = {"year", "unit_code", "province", "criterion_name"}
    best: tuple[int, Kind] | None = None
    for kind in KINDS:
        have = [c for c in kind.required if c in present]
        missing = [c for c in kind.required if c not in present]
        if (missing and len(have) >= 2 and 2 * len(have) > len(kind.required)
                and set(have) - common and (best is None or len(have) > best[0])):
            best = (len(have), kind)
    if best is None:
        return None
    kind = best[1]
    return _missing_columns(kind, [c for c in kind.required if c not in present])
