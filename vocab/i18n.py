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
    "warning_kind",
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
    # ------------------------------------------------------------------ evaluation by action (`judging.acted`)
    "acted_title": (
        "Cảnh báo đã xử lý và chưa xử lý: tỷ lệ trúng và hiệu chuẩn",
        "Warnings acted on and not acted on: hit rate and calibration",
    ),
    "acted_definition": (
        "Cảnh báo: doanh nghiệp trong nhóm đầu (k = {k}) hoặc ở mức Cao / Khá cao trong đêm cuối tháng;"
        " đã xử lý: có hành động bắt đầu trong {months} tháng sau đêm đó, được ghi đến hết ngày {until}"
        " (số hành động đã ghi: {actions}).",
        "Warning: an enterprise in the top (k = {k}) or in band High / Elevated on a month-end night;"
        " acted on: an action started within the {months} months after that night, recorded by the end"
        " of {until} (actions recorded: {actions}).",
    ),
    "acted_group": ("Nhóm cảnh báo", "Warning group"),
    "acted_group.acted": ("Đã xử lý", "Acted on"),
    "acted_group.not_acted": ("Chưa xử lý", "Not acted on"),
    "acted_all_bands": ("Mọi mức", "All bands"),
    "acted_warnings": ("Số cảnh báo", "Warnings"),
    "acted_struck": ("Cảnh báo có ngừng việc sau đó", "Warnings followed by a stoppage"),
    "acted_stoppages": ("Số vụ ngừng việc sau đó", "Stoppages that followed"),
    "acted_hit_rate": ("Tỷ lệ trúng", "Hit rate"),
    "acted_mean_predicted": ("Xác suất dự báo trung bình", "Mean predicted probability"),
    "acted_ratio": ("Thực tế / dự báo", "Observed / predicted"),
    "acted_before_action": ("Ngừng việc trước hành động", "Stoppage before the action"),
    # ------------------------------------------------------------------ the analysts' page: loop (issue 17)
    "page_supervisors": ("Hiệu quả cảnh báo", "Did the warnings work?"),
    "page_map": ("Bản đồ", "Map"),
    "act_record": ("Ghi nhận hành động đã thực hiện", "Record an action taken"),
    "act_started": ("Ngày thực hiện", "Date taken"),
    "act_ended": ("Ngày kết thúc (nếu đã xong)", "Date ended (when done)"),
    "act_outcome_none": ("— chưa rõ —", "— not known yet —"),
    "act_save": ("Lưu hành động", "Save action"),
    "act_saved": ("Đã lưu hành động.", "Action saved."),
    "act_listed_from": (
        "Danh sách hiện các hành động đã ghi đến hết ngày {night}; hành động ghi sau đó hiện ở các đêm sau.",
        "The list holds the actions recorded by the end of {night}; later ones show on later nights.",
    ),
    "act_none": ("Chưa có hành động nào được ghi đến đêm này.", "No action recorded by this night."),
    "last_action": ("Hành động gần nhất", "Last action"),
    "moved_title": ("Vì sao điểm thay đổi", "Why it moved"),
    "moved_previous_night": (
        "So với đêm chấm điểm trước ({night})",
        "Since the previous scored night ({night})",
    ),
    "moved_month_before": ("So với một tháng trước ({night})", "Since a month before ({night})"),
    "moved_scores": ("Điểm: {before} → {now}", "Score: {before} → {now}"),
    "moved_note": (
        "Cả hai điểm do mô hình hiện hành (phiên bản {version}) tính trên số liệu đã biết vào mỗi ngày; "
        "phần thay đổi được chia cho các số liệu đã thay đổi.",
        "Both scores are the current model's (version {version}) on what was known at each date; "
        "the change is split among the figures that changed.",
    ),
    "moved_none": ("Không có ngày nào trước đó để so sánh.", "No earlier date to compare with."),
    "moved_residual": (
        "Phần do các thay đổi tác động lẫn nhau: {value} (log-odds)",
        "Left to the changes acting together: {value} (log-odds)",
    ),
    "moved_input": ("Số liệu đầu vào", "Model input"),
    "moved_before": ("Trước", "Before"),
    "moved_now": ("Nay", "Now"),
    "moved_effect": ("Tác động lên điểm (log-odds)", "Effect on the score (log-odds)"),
    "moved_phrase": ("Thay đổi", "Change"),
    "moved_show": ("Xem vì sao điểm thay đổi", "Show why it moved"),
    "sv_intro": (
        "Mỗi tháng đã khép lại: các vụ ngừng việc đã xảy ra, bao nhiêu vụ ở doanh nghiệp đã nằm trong "
        "nhóm {k} doanh nghiệp đầu của một đêm trước đó, và cảnh báo trước bao lâu.",
        "Each closed month: the stoppages that happened, how many were at a firm in the top {k} of a "
        "night before them, and how long before.",
    ),
    "sv_month": ("Tháng", "Month"),
    "sv_stoppages": ("Số vụ ngừng việc", "Stoppages"),
    "sv_warned": ("Đã cảnh báo trước", "Warned before"),
    "sv_warned_share": ("Tỷ lệ đã cảnh báo", "Share warned"),
    "sv_median_lead_days": ("Cảnh báo trước (trung vị, ngày)", "Warned ahead (median, days)"),
    "sv_lead_days": ("Cảnh báo trước (ngày)", "Warned ahead (days)"),
    "sv_first_warned": ("Đêm đầu tiên trong nhóm đầu", "First night in the top"),
    "sv_events": ("Từng vụ ngừng việc", "Each stoppage"),
    "sv_no_stoppages": (
        "Chưa có vụ ngừng việc nào trong các tháng đã khép lại sau đêm chấm điểm đầu tiên.",
        "No stoppage yet in the closed months after the first scored night.",
    ),
    "sv_calibration": ("Hiệu chuẩn theo mức cảnh báo", "Calibration by band"),
    "sv_calibration_note": (
        "Mỗi mức: xác suất dự báo trung bình và tỷ lệ doanh nghiệp có ngừng việc trong {h} tháng sau đêm "
        "chấm điểm (chỉ những gì đã biết đến đêm này; đêm chưa đủ {h} tháng là số tạm).",
        "Each band: the mean predicted probability and the share of firms with a stoppage within {h} "
        "months of the night (only what is known by this night; nights younger than {h} months are provisional).",
    ),
    "sv_predicted": ("Dự báo", "Predicted"),
    "sv_observed": ("Thực tế", "Observed"),
    "sv_nights_used": ("Số đêm", "Nights"),
    "sv_complete": ("Đủ thời hạn", "Horizon closed"),
    "sv_no_calibration": ("Chưa có đêm nào để đối chiếu.", "No night to compare yet."),
    "sv_models": ("Lịch sử phiên bản mô hình", "Model version history"),
    "sv_no_models": ("Chưa ghi nhận lần đổi mô hình nào.", "No change of model recorded."),
    "sv_version": ("Phiên bản", "Version"),
    "sv_previous": ("Phiên bản trước", "Previous version"),
    "sv_at": ("Thời điểm", "When"),
    "sv_actor": ("Người thực hiện", "By"),
    "sv_reason": ("Lý do thay đổi", "Why changed"),
    "sv_nights_models": ("Phiên bản đã chấm điểm từng đêm", "The version that scored each night"),
    "sv_alerts": ("Cảnh báo vận hành của các đêm", "Alerts of the nights"),
    "sv_no_alerts": ("Không có cảnh báo vận hành nào.", "No alert recorded."),
    "sv_severity": ("Mức độ", "Severity"),
    "sv_message": ("Nội dung", "Message"),
    "sv_alert_kind": ("Loại cảnh báo", "Alert"),
    "page_map_title": ("Nguy cơ theo khu vực, đêm {night}", "Risk by area, {night}"),
    "page_map_none": (
        "Chưa có tọa độ khu vực trong không gian làm việc.",
        "The workspace holds no area coordinates.",
    ),
    "page_map_unavailable": ("Bản đồ chưa dùng được ({reason})", "The map is not available ({reason})"),
    "page_brief_title": ("Phiếu doanh nghiệp", "Enterprise brief"),
    "page_brief_download": (
        "Tải phiếu doanh nghiệp (HTML, để in)",
        "Download the enterprise brief (HTML, to print)",
    ),
    "page_brief_show": ("Xem phiếu để in", "Show the brief to print"),
    "page_brief_unavailable": (
        "Phiếu doanh nghiệp chưa dùng được ({reason})",
        "The brief is not available ({reason})",
    ),
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
    # ------------------------------------------------------------------ map of areas
    "map_chart_title": ("Doanh nghiệp mức cao và khá cao theo khu vực", "High and elevated firms by area"),
    "map_area": ("Khu vực", "Area"),
    "map_share_high": ("Tỷ lệ mức cao", "Share high"),
    "area.industrial_zone": ("Khu công nghiệp (KCN)", "Industrial zone"),
    "area.industrial_cluster": ("Cụm công nghiệp (CCN)", "Industrial cluster"),
    "area.zone": ("KCN / CCN", "Zone"),
    "area.district": ("Huyện / thị xã", "District"),
    "area.commune": ("Xã / phường", "Commune"),
    # ------------------------------------------------------------------ one-page brief
    "brief_heading": ("Phiếu thông tin doanh nghiệp", "Enterprise brief"),
    "brief_for_visit": ("Dùng cho làm việc tại doanh nghiệp", "For a field visit"),
    "brief_place": ("Địa chỉ", "Location"),
    "brief_commune": ("Xã / phường", "Commune"),
    "brief_chart_arrears": ("Nợ lương (triệu đồng), 24 tháng", "Wage arrears (million VND), 24 months"),
    "brief_chart_insurance": ("Nợ BHXH (triệu đồng), 24 tháng", "Insurance debt (million VND), 24 months"),
    "brief_no_figures": ("Không có số liệu đã biết", "No figure known"),
    "brief_no_actions": ("Chưa ghi hành động nào.", "No action recorded."),
    "brief_more": ("… và {n} mục trước đó", "… and {n} earlier"),
    "brief_known_note": (
        "Chỉ gồm số liệu, vụ việc và hành động đã biết vào đêm {night}.",
        "Only figures, incidents and actions known on {night}.",
    ),
    "brief_latest": ("Tháng gần nhất đã biết ({month})", "Latest month known ({month})"),
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
    # the kind of a warning (`outputs.tables.WARNING_KINDS`, `present.signals`)
    "warning_kind": ("Loại cảnh báo", "Warning kind"),
    "warning_kind.acute": ("Cấp tính", "Acute"),
    "warning_kind.structural": ("Cơ cấu", "Structural"),
    "warning_kinds": (
        "Cảnh báo Cao và Khá cao theo loại (cấp tính: có tín hiệu có thể xử lý ngay; cơ cấu: tỷ lệ nền)",
        "High and elevated warnings by kind (acute: an actionable signal; structural: base rates)",
    ),
    "top_acute": ("Cảnh báo cấp tính: có tín hiệu có thể xử lý ngay", "Acute warnings: an actionable signal"),
    "top_structural": ("Cảnh báo cơ cấu: tỷ lệ nền", "Structural warnings: base rates"),
    "top_unclassified": ("Chưa phân loại (đêm chấm điểm cũ)", "Not classified (an older night)"),
    "latest_action": ("Hành động gần nhất", "Latest action"),
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
