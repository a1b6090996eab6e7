"""Words of the analysts' page in Vietnamese (the default) and English.

One dictionary, key -> (Vietnamese, English). Codes stored in the data (bands, ownership,
incident kinds and causes, review statuses, indicator columns) are translated here and
nowhere else, so the page, its exports and its tests agree on every label.
"""

from __future__ import annotations

LANGS: tuple[str, ...] = ("vi", "en")
DEFAULT_LANG = "vi"

LABELS: dict[str, tuple[str, str]] = {
    # page and navigation
    "title": ("Cảnh báo sớm tranh chấp lao động tập thể", "Early warning of collective labor disputes"),
    "language": ("Ngôn ngữ / Language", "Ngôn ngữ / Language"),
    "night": ("Đêm chấm điểm", "Scoring night"),
    "page": ("Trang", "Page"),
    "page_ranking": ("Xếp hạng", "Ranking"),
    "page_enterprise": ("Doanh nghiệp", "Enterprise"),
    "page_freshness": ("Mô hình và dữ liệu", "Model and data"),
    "no_ranking": (
        "Chưa có bảng xếp hạng nào trong không gian làm việc này; hãy chạy `ews score` trước.",
        "This workspace has no ranking yet; run `ews score` first.",
    ),
    "error": ("Lỗi", "Error"),
    "bad_param": (
        "Đã bỏ qua tham số không hợp lệ trong liên kết: {name}",
        "Ignored an invalid link parameter: {name}",
    ),
    "unknown_id": ("Không có doanh nghiệp với mã số thuế này.", "No enterprise has this tax code."),
    "unexpected": ("Lỗi không mong đợi", "Unexpected error"),
    # filters
    "filters": ("Bộ lọc", "Filters"),
    "all": ("Tất cả", "All"),
    "search": ("Tìm theo mã số thuế hoặc tên", "Search by tax code or name"),
    "province": ("Tỉnh", "Province"),
    "district": ("Huyện / thị xã", "District"),
    "zone": ("KCN / CCN", "Zone"),
    "sector": ("Ngành (VSIC)", "Sector (VSIC)"),
    "ownership": ("Loại hình sở hữu", "Ownership"),
    "band": ("Mức cảnh báo", "Band"),
    "shown": ("Đang hiển thị {shown} / {total} doanh nghiệp", "Showing {shown} of {total} enterprises"),
    "rows_cap": (
        "Bảng chỉ hiện {n} dòng đầu; tệp tải về có đủ.",
        "The table shows the first {n} rows; downloads hold all.",
    ),
    # ranking
    "ranking": ("Bảng xếp hạng ngày {night}", "Ranking of {night}"),
    "movers": ("Biến động so với đêm trước ({previous})", "Movers since the previous night ({previous})"),
    "no_movers": ("Không có đêm trước để so sánh.", "No previous night to compare with."),
    "no_movers_found": (
        "Không có doanh nghiệp nào mới vào nhóm đầu hay tăng hạng.",
        "Nobody entered the top or rose.",
    ),
    "rollups": ("Tổng hợp", "Roll-ups"),
    "rollup_by": ("Tổng hợp theo", "Roll up by"),
    "enterprises": ("Số doanh nghiệp", "Enterprises"),
    "flagged": ("Cao + khá cao", "High + elevated"),
    "mean_score": ("Xác suất trung bình", "Mean probability"),
    "open_enterprise": ("Mở hồ sơ doanh nghiệp", "Open an enterprise"),
    "choose": ("— chọn —", "— choose —"),
    "download_csv": ("Tải CSV", "Download CSV"),
    "download_xlsx": ("Tải Excel", "Download Excel"),
    "download_reviews": ("Tải các đánh giá (CSV)", "Download reviews (CSV)"),
    "kind": ("Loại", "Kind"),
    "new_in_top_k": ("mới vào nhóm đầu", "new in the top"),
    "riser": ("tăng hạng", "rose"),
    "previous_rank": ("Hạng đêm trước", "Previous rank"),
    "rank_change": ("Tăng hạng", "Ranks gained"),
    # columns
    "rank": ("Hạng", "Rank"),
    "enterprise_id": ("Mã số thuế", "Tax code"),
    "name": ("Tên doanh nghiệp", "Name"),
    "zone_id": ("KCN / CCN", "Zone"),
    "score": ("Xác suất ngừng việc (3 tháng)", "Probability of a stoppage (3 months)"),
    "reasons": ("Lý do", "Reasons"),
    "as_of": ("Ngày", "Night"),
    "model_version": ("Phiên bản mô hình", "Model version"),
    "stale": ("Dữ liệu cũ", "Stale data"),
    "months_stale": ("Số tháng chưa báo cáo", "Months without a report"),
    "last_review": ("Đánh giá gần nhất", "Last review"),
    # enterprise page
    "enterprise": ("Hồ sơ doanh nghiệp", "Enterprise"),
    "open_by_id": ("Mở theo mã số thuế", "Open by tax code"),
    "not_scored": (
        "Doanh nghiệp này không được chấm điểm đêm {night} (đã đóng cửa, chưa thành lập hoặc chưa có số liệu).",
        "This enterprise was not scored on {night} (closed, not yet founded, or no figures).",
    ),
    "score_line": (
        "Xác suất: {score} · hạng {rank}/{total} · mức: {band}",
        "Probability: {score} · rank {rank} of {total} · band: {band}",
    ),
    "indicators": (
        "Chỉ số theo tháng (chỉ những gì đã biết vào đêm {night})",
        "Monthly indicators (only what was known on {night})",
    ),
    "no_indicators": ("Chưa có số liệu nào đã biết vào đêm này.", "No figures were known on this night."),
    "score_history": ("Lịch sử điểm", "Score history"),
    "incidents": ("Các vụ việc trước đây", "Past incidents"),
    "no_incidents": ("Không có vụ việc nào đã biết.", "No incident known."),
    "month": ("Tháng", "Month"),
    "started": ("Bắt đầu", "Started"),
    "ended": ("Kết thúc", "Ended"),
    "participants": ("Số người tham gia", "Participants"),
    "cause": ("Nguyên nhân", "Cause"),
    "headcount": ("Số lao động", "Headcount"),
    "avg_wage_vnd": ("Lương bình quân (đồng)", "Average wage (VND)"),
    "wage_arrears_vnd": ("Nợ lương (đồng)", "Wage arrears (VND)"),
    "wage_arrears_months": ("Nợ lương (tháng)", "Wage arrears (months)"),
    "insurance_debt_vnd": ("Nợ BHXH (đồng)", "Insurance debt (VND)"),
    "insurance_debt_months": ("Nợ BHXH (tháng)", "Insurance debt (months)"),
    "layoffs": ("Số lao động bị cho thôi việc", "Layoffs"),
    "reduced_hours_workers": ("Lao động giảm giờ làm / tạm nghỉ", "Workers on reduced hours"),
    "reported_at": ("Ngày báo cáo", "Reported on"),
    "wage_arrears_vnd_million": ("Nợ lương (triệu đồng)", "Wage arrears (million VND)"),
    "insurance_debt_vnd_million": ("Nợ BHXH (triệu đồng)", "Insurance debt (million VND)"),
    "avg_wage_vnd_million": ("Lương bình quân (triệu đồng)", "Average wage (million VND)"),
    "chart_debt_months": ("Nợ lương và nợ BHXH (tháng)", "Wage arrears and insurance debt (months)"),
    "chart_debt_vnd": ("Nợ lương và nợ BHXH (triệu đồng)", "Wage arrears and insurance debt (million VND)"),
    "chart_workforce": ("Lao động, cho thôi việc, giảm giờ làm", "Headcount, layoffs, reduced hours"),
    # reviews
    "review": ("Ghi nhận đánh giá", "Record a review"),
    "status": ("Kết quả", "Outcome"),
    "note": ("Ghi chú", "Note"),
    "reviewer": ("Người đánh giá", "Reviewer"),
    "save_review": ("Lưu đánh giá", "Save review"),
    "review_saved": ("Đã lưu đánh giá.", "Review saved."),
    "past_reviews": ("Các đánh giá đã ghi", "Recorded reviews"),
    "no_reviews": ("Chưa có đánh giá nào.", "No review yet."),
    "recorded_at": ("Thời điểm ghi", "Recorded at"),
    "reviewed": ("Đã xem xét", "Reviewed"),
    "action_taken": ("Đã có hành động", "Action taken"),
    "false_alarm": ("Cảnh báo sai", "False alarm"),
    # freshness
    "model_scored": ("Mô hình đã chấm điểm đêm này", "Model that scored this night"),
    "run_id": ("Mã lần chạy", "Run id"),
    "published_at": ("Thời điểm công bố", "Published at"),
    "last_delivery": ("Lần nhận dữ liệu gần nhất", "Last data delivery"),
    "deliveries": ("Các lần nhận dữ liệu", "Deliveries"),
    "no_deliveries": ("Chưa nhận dữ liệu nào.", "No delivery yet."),
    "stale_count": (
        "Doanh nghiệp quá 3 tháng không báo cáo",
        "Enterprises without a report for over 3 months",
    ),
    "nights": ("Các đêm đã chấm điểm", "Scored nights"),
    "rows": ("Số dòng", "Rows"),
    "source": ("Nguồn", "Source"),
    "ingested_at": ("Thời điểm nhận", "Received at"),
    # code values
    "high": ("Cao", "High"),
    "elevated": ("Khá cao", "Elevated"),
    "watch": ("Theo dõi", "Watch"),
    "low": ("Thấp", "Low"),
    "fdi": ("FDI", "FDI"),
    "private": ("Tư nhân", "Private"),
    "state": ("Nhà nước", "State"),
    "work_stoppage": ("Ngừng việc tập thể", "Work stoppage"),
    "slowdown": ("Lãn công", "Slowdown"),
    "gathering": ("Tập trung đông người", "Gathering"),
    "petition": ("Kiến nghị tập thể", "Petition"),
    "wages": ("Tiền lương", "Wages"),
    "wage_arrears": ("Nợ lương", "Wage arrears"),
    "tet_bonus": ("Thưởng Tết", "Tết bonus"),
    "insurance": ("Bảo hiểm xã hội", "Social insurance"),
    "conditions": ("Điều kiện làm việc", "Working conditions"),
    "other": ("Khác", "Other"),
    "yes": ("có", "yes"),
    "no": ("không", "no"),
}


def check_lang(lang: str | None) -> str:
    """`lang` when it is a known language, else the default (Vietnamese)."""
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str, **values: object) -> str:
    """The label of `key` in `lang`, formatted with `values`; an unknown key is shown as is."""
    pair = LABELS.get(key)
    text = key if pair is None else pair[1 if lang == "en" else 0]
    return text.format(**values) if values else text


def label_values(values: object, lang: str) -> object:
    """Translate one code value (band, ownership, kind, ...) when it has a label; else unchanged."""
    if isinstance(values, str) and values in LABELS:
        return t(values, lang)
    return values


__all__ = ["DEFAULT_LANG", "LABELS", "LANGS", "check_lang", "label_values", "t"]
