"""The translation catalogue: every word the page, the nightly report and the command line show.

One dictionary, key -> (Vietnamese, English), Vietnamese first: the analysts read Vietnamese
and the default language is Vietnamese. Words of the interface use plain keys ("band",
"shown"); codes stored in the data use "<family>.<code>" keys ("band.high",
"cause.layoffs", "sector.14") so that a code means one thing per family (`layoffs` is a
cause and also an indicator column with another label) and `label` finds it. Two rooms that
show the same thing show the same words: there is no other table of labels.

A language other than those of `LANGS` is refused (`UnknownLanguage`), never replaced by
the default in silence.
"""

from __future__ import annotations

LANGS: tuple[str, ...] = ("vi", "en")
DEFAULT_LANG = "vi"

#: Code families with labels in the catalogue, as their key prefixes.
FAMILIES: tuple[str, ...] = (
    "band",
    "ownership",
    "zone_type",
    "kind",
    "cause",
    "status",
    "sector",
    "mover",
    "action",
    "outcome",
)


class UnknownLanguage(ValueError):
    """A language the catalogue does not hold."""


LABELS: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ page and navigation
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
    # ------------------------------------------------------------------ filters
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
    # ------------------------------------------------------------------ ranking and movers
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
    "previous_rank": ("Hạng đêm trước", "Previous rank"),
    "rank_change": ("Tăng hạng", "Ranks gained"),
    "why_moved": ("Vì sao thay đổi (so với đêm trước)", "Why it moved (since the previous night)"),
    # ------------------------------------------------------------------ columns
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
    # ------------------------------------------------------------------ enterprise page
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
    "moved_since": (
        "So với {night}: điểm {before} → {now}; {why}",
        "Since {night}: score {before} → {now}; {why}",
    ),
    "moved_for_no_figure": ("không số liệu nào thay đổi đáng kể", "no figure changed enough to matter"),
    "moved_unavailable": (
        "Vì sao thay đổi: không tính được ({reason})",
        "Why it moved: not available ({reason})",
    ),
    "provenance": ("Nguồn của từng số liệu, tháng {month}", "Where each figure of {month} came from"),
    "figure": ("Số liệu", "Figure"),
    "delivery": ("Lần nhận", "Delivery"),
    "file": ("Tệp", "File"),
    "row": ("Dòng", "Row"),
    "features_as_of": ("Đặc trưng mô hình đọc vào đêm {night}", "Model features as of {night}"),
    "feature": ("Đặc trưng", "Feature"),
    "value": ("Giá trị", "Value"),
    "incidents": ("Các vụ việc trước đây", "Past incidents"),
    "no_incidents": ("Không có vụ việc nào đã biết.", "No incident known."),
    "month": ("Tháng", "Month"),
    "started": ("Bắt đầu", "Started"),
    "ended": ("Kết thúc", "Ended"),
    "participants": ("Số người tham gia", "Participants"),
    "cause": ("Nguyên nhân", "Cause"),
    # indicator columns (`features.panel.INDICATOR_COLUMNS`) and their charts
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
    # ------------------------------------------------------------------ reviews
    "review": ("Ghi nhận đánh giá", "Record a review"),
    "status": ("Kết quả", "Outcome"),
    "note": ("Ghi chú", "Note"),
    "reviewer": ("Người đánh giá", "Reviewer"),
    "save_review": ("Lưu đánh giá", "Save review"),
    "review_saved": ("Đã lưu đánh giá.", "Review saved."),
    "past_reviews": ("Các đánh giá đã ghi", "Recorded reviews"),
    "no_reviews": ("Chưa có đánh giá nào.", "No review yet."),
    "recorded_at": ("Thời điểm ghi", "Recorded at"),
    # ------------------------------------------------------------------ actions
    "actions": ("Các hành động đã ghi", "Recorded actions"),
    "action": ("Hành động", "Action"),
    "outcome": ("Kết quả xử lý", "Outcome"),
    "recorded_by": ("Người ghi", "Recorded by"),
    # ------------------------------------------------------------------ model and data freshness
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
    # ------------------------------------------------------------------ nightly report
    "report_title": ("Báo cáo chấm điểm hằng đêm", "Nightly scoring report"),
    "summary": ("Tóm tắt", "Summary"),
    "model": ("Mô hình", "Model"),
    "run": ("Lần chạy", "Run"),
    "scored": ("Số doanh nghiệp được chấm điểm", "Enterprises scored"),
    "bands": ("Số doanh nghiệp theo mức cảnh báo", "Enterprises per band"),
    "top": ("Doanh nghiệp nguy cơ cao nhất", "Highest-risk enterprises"),
    "distribution": ("Phân bố xác suất", "Distribution of the probabilities"),
    "freshness": ("Độ mới của dữ liệu", "Data freshness"),
    "drift": ("Trôi dữ liệu và biến động top k", "Drift and churn"),
    "churn": ("Biến động top k", "Top-k churn"),
    "entrants": ("Mới vào", "Entrants"),
    "leavers": ("Rời khỏi", "Leavers"),
    "calibration": ("Hiệu chuẩn so với kết quả thực tế", "Calibration against outcomes"),
    "calibration_note": (
        "Các đêm đã qua đủ thời hạn dự báo: xác suất trung bình so với tỷ lệ xảy ra thực tế",
        "Past nights whose horizon has closed: mean predicted probability against the observed rate",
    ),
    "none": ("Không có dữ liệu", "Not available"),
    "dashboard": ("Mở bảng điều khiển", "Open the dashboard"),
    "quantiles": ("Phân vị", "Quantiles"),
    # ------------------------------------------------------------------ yes / no
    "yes": ("có", "yes"),
    "no": ("không", "no"),
    # ================================================================== codes of the data
    # risk bands (`vocab.terms.BANDS`)
    "band.high": ("Cao", "High"),
    "band.elevated": ("Khá cao", "Elevated"),
    "band.watch": ("Theo dõi", "Watch"),
    "band.low": ("Thấp", "Low"),
    # ownerships (`vocab.terms.OWNERSHIPS`)
    "ownership.fdi": ("FDI", "FDI"),
    "ownership.private": ("Tư nhân", "Private"),
    "ownership.state": ("Nhà nước", "State"),
    # zone types (`vocab.terms.ZONE_TYPES`)
    "zone_type.industrial_zone": ("Khu công nghiệp (KCN)", "Industrial zone"),
    "zone_type.industrial_cluster": ("Cụm công nghiệp (CCN)", "Industrial cluster"),
    "zone_type.outside": ("Ngoài KCN / CCN", "Outside zones"),
    # incident kinds (`vocab.terms.INCIDENT_KINDS`)
    "kind.work_stoppage": ("Ngừng việc tập thể", "Work stoppage"),
    "kind.slowdown": ("Lãn công", "Slowdown"),
    "kind.gathering": ("Tập trung đông người", "Gathering"),
    "kind.petition": ("Kiến nghị tập thể", "Petition"),
    # incident causes (`vocab.terms.CAUSES`)
    "cause.wages": ("Tiền lương", "Wages"),
    "cause.wage_arrears": ("Nợ lương", "Wage arrears"),
    "cause.tet_bonus": ("Thưởng Tết", "Tết bonus"),
    "cause.insurance": ("Bảo hiểm xã hội", "Social insurance"),
    "cause.layoffs": ("Cắt giảm lao động", "Layoffs"),
    "cause.conditions": ("Điều kiện làm việc", "Working conditions"),
    "cause.other": ("Khác", "Other"),
    # review outcomes (`outputs.reviews.STATUSES`)
    "status.reviewed": ("Đã xem xét", "Reviewed"),
    "status.action_taken": ("Đã có hành động", "Action taken"),
    "status.false_alarm": ("Cảnh báo sai", "False alarm"),
    # what was done about an enterprise (`outputs.actions.ACTION_KINDS`)
    "action.inspection": ("Thanh tra, kiểm tra", "Inspection"),
    "action.mediation": ("Hòa giải", "Mediation"),
    "action.wage_payment": ("Buộc trả lương", "Enforced payment of wages"),
    "action.insurance_payment": ("Buộc đóng BHXH", "Enforced payment of insurance"),
    "action.support": ("Hỗ trợ doanh nghiệp", "Support to the enterprise"),
    # how an action ended (`outputs.actions.ACTION_OUTCOMES`)
    "outcome.paid": ("Đã trả", "Paid"),
    "outcome.agreed": ("Đã thỏa thuận", "Agreed"),
    "outcome.no_change": ("Không thay đổi", "No change"),
    "outcome.pending": ("Đang xử lý", "Pending"),
    # how an enterprise moved since the previous night (`present.nightly_report.movers`)
    "mover.new_in_top_k": ("Mới vào nhóm đầu", "New in the top"),
    "mover.riser": ("Tăng hạng mạnh", "Big riser"),
    # VSIC 2-digit sectors the reasons name (`present.phrasebook.NAMED_SECTORS`)
    "sector.13": ("Dệt", "Textiles"),
    "sector.14": ("May mặc", "Garments"),
    "sector.15": ("Da giày", "Leather and footwear"),
    "sector.16": ("Chế biến gỗ", "Wood processing"),
    "sector.26": ("Điện tử", "Electronics"),
    "sector.27": ("Thiết bị điện", "Electrical equipment"),
    "sector.31": ("Đồ nội thất", "Furniture"),
    # how a reason names an ownership or a zone type (`present.phrasebook`)
    "reason.ownership.fdi": ("doanh nghiệp FDI", "foreign-invested enterprise"),
    "reason.ownership.state": ("doanh nghiệp nhà nước", "state-owned enterprise"),
    "reason.ownership.private": ("doanh nghiệp tư nhân", "private enterprise"),
    "reason.zone_type.industrial_zone": ("nằm trong khu công nghiệp (KCN)", "located in an industrial zone"),
    "reason.zone_type.industrial_cluster": (
        "nằm trong cụm công nghiệp (CCN)",
        "located in an industrial cluster",
    ),
}


def check_lang(lang: object) -> str:
    """`lang` itself when it is one of `LANGS`; anything else raises `UnknownLanguage`."""
    if isinstance(lang, str) and lang in LANGS:
        return lang
    shown = repr(lang) if not isinstance(lang, str) else repr(lang[:20])
    raise UnknownLanguage(f"unknown language {shown}: choose one of {', '.join(LANGS)}")


def t(key: str, lang: str, **values: object) -> str:
    """The words of `key` in `lang`, formatted with `values`; an unknown key is shown as is."""
    index = LANGS.index(check_lang(lang))
    pair = LABELS.get(key)
    text = key if pair is None else pair[index]
    return text.format(**values) if values else text


def has_label(family: str, code: object) -> bool:
    """Whether the catalogue holds words for `code` of `family` (e.g. "band", "high")."""
    return f"{family}.{code}" in LABELS


def label(family: str, code: object, lang: str) -> str:
    """The words of a stored code of `family` in `lang`: label("band", "high", "vi") is "Cao".

    A code without a label (a sector the catalogue does not name) is shown as it is stored.
    """
    check_lang(lang)
    if family not in FAMILIES:
        raise KeyError(f"no code family {family!r}; families: {', '.join(FAMILIES)}")
    key = f"{family}.{code}"
    return t(key, lang) if key in LABELS else str(code)


__all__ = [
    "DEFAULT_LANG",
    "FAMILIES",
    "LABELS",
    "LANGS",
    "UnknownLanguage",
    "check_lang",
    "has_label",
    "label",
    "t",
]
