"""Every UI string in one catalog (Vietnamese default, English), and how a request picks its language."""

from __future__ import annotations

from flask import has_request_context, request

from data_sources.core.settings import get_settings
from ui.i18n_console import CONSOLE
from ui.i18n_drill import DRILL

LANGUAGES = ("vi", "en")
LANG_COOKIE = "ioc_lang"

CATALOG: dict[str, dict[str, str]] = {
    "app.title": {
        "vi": "Trung tâm Giám sát, Điều hành Đô thị thông minh Huế",
        "en": "Huế Intelligent Operations Centre",
    },
    "app.short": {"vi": "IOC Huế", "en": "Huế IOC"},
    "nav.home": {"vi": "Tổng quan", "en": "Overview"},
    "lang.switch": {"vi": "Ngôn ngữ", "en": "Language"},
    "banner.redis_down": {
        "vi": "Mất kết nối Redis: dữ liệu trực tiếp đang dừng, màn hình giữ hình ảnh cuối cùng.",
        "en": "Redis unreachable: live data has stopped; the screen keeps its last picture.",
    },
    "banner.pg_down": {
        "vi": "Mất kết nối PostgreSQL: không xem được dữ liệu lịch sử; dữ liệu trực tiếp vẫn chạy.",
        "en": "PostgreSQL unreachable: history is unavailable; live data continues.",
    },
    "home.heading": {"vi": "Tình trạng nguồn dữ liệu", "en": "Data source status"},
    "home.intro": {
        "vi": "Bốn luồng dữ liệu trực tiếp từ Redis và lịch sử trong PostgreSQL.",
        "en": "Four live streams from Redis and the history kept in PostgreSQL.",
    },
    "domain.camera": {"vi": "Cảnh báo camera AI", "en": "AI camera alerts"},
    "domain.traffic": {"vi": "Giao thông", "en": "Traffic"},
    "domain.fire": {"vi": "Cháy rừng", "en": "Forest fire"},
    "domain.complaint": {"vi": "Phản ánh hiện trường", "en": "Citizen reports"},
    "home.newest": {"vi": "Sự kiện mới nhất", "en": "Newest event"},
    "home.seconds_ago": {"vi": "{n} giây trước", "en": "{n} s ago"},
    "home.no_events": {"vi": "chưa có sự kiện", "en": "no events yet"},
    "home.in_stream": {"vi": "Trong luồng", "en": "In stream"},
    "home.history_days": {"vi": "Lịch sử", "en": "History"},
    "home.days": {"vi": "{n} ngày", "en": "{n} days"},
    "home.rows": {"vi": "{n} bản ghi", "en": "{n} rows"},
    "home.now.camera": {"vi": "Camera đang mất tín hiệu: {n}", "en": "Cameras offline: {n}"},
    "home.now.traffic": {"vi": "Đoạn đường có số liệu: {n}", "en": "Segments reporting: {n}"},
    "home.now.fire": {"vi": "Điểm cháy 48 giờ qua: {n}", "en": "Hotspots, last 48 h: {n}"},
    "home.now.complaint": {"vi": "Phản ánh đang xử lý: {n}", "en": "Open reports: {n}"},
    "home.deadletter": {"vi": "Sự kiện lỗi (hàng chờ lỗi): {n}", "en": "Rejected events (dead letter): {n}"},
    "status.ok": {"vi": "Bình thường", "en": "OK"},
    "status.down": {"vi": "Mất kết nối", "en": "Down"},
    "status.checked": {"vi": "Cập nhật lúc {t}", "en": "Checked at {t}"},
    # Sign-in, roles and access (server/auth.py, server/signin_page.py)
    "auth.title": {"vi": "Đăng nhập", "en": "Sign in"},
    "auth.username": {"vi": "Tên đăng nhập", "en": "Username"},
    "auth.password": {"vi": "Mật khẩu", "en": "Password"},
    "auth.submit": {"vi": "Đăng nhập", "en": "Sign in"},
    "auth.signout": {"vi": "Đăng xuất", "en": "Sign out"},
    "auth.failed": {"vi": "Sai tên đăng nhập hoặc mật khẩu.", "en": "Wrong username or password."},
    "auth.throttled": {
        "vi": "Quá nhiều lần đăng nhập không thành công. Vui lòng thử lại sau một phút.",
        "en": "Too many failed sign-in attempts. Please try again in a minute.",
    },
    "auth.signed_out": {"vi": "Bạn đã đăng xuất.", "en": "You have signed out."},
    "auth.expired": {
        "vi": "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.",
        "en": "Your session has expired. Please sign in again.",
    },
    "auth.notice": {
        "vi": "Hệ thống nội bộ. Mọi lần xem dữ liệu cá nhân (biển số, nhận diện khuôn mặt) đều được ghi nhật ký.",
        "en": "Internal system. Every view of personal data (plates, face matches) is logged.",
    },
    "auth.forbidden.title": {"vi": "Không có quyền truy cập", "en": "Access denied"},
    "auth.forbidden.body": {
        "vi": "Vai trò {role} của bạn không được phép xem trang này.",
        "en": "Your role ({role}) may not open this page.",
    },
    "auth.back_home": {"vi": "Về trang chính", "en": "Back to the main page"},
    "auth.token_invalid": {
        "vi": "Mã hiển thị không hợp lệ hoặc đã bị thu hồi. Liên hệ quản trị viên IOC.",
        "en": "This display token is invalid or has been revoked. Contact the IOC administrator.",
    },
    "role.wall": {"vi": "Màn hình tường", "en": "Wall display"},
    "role.officer": {"vi": "Cán bộ trực", "en": "Duty officer"},
    "role.dept_head": {"vi": "Lãnh đạo đơn vị", "en": "Department head"},
    "role.admin": {"vi": "Quản trị", "en": "Administrator"},
    # Wall display (layouts/wall.py, ui/wall_*.py, assets/wall.js)
    "wall.title": {"vi": "IOC Huế · Giám sát toàn thành phố", "en": "Huế IOC · City operations wall"},
    "wall.view.city": {"vi": "Toàn thành phố", "en": "Whole city"},
    "wall.view.cameras": {"vi": "Camera AI", "en": "AI cameras"},
    "wall.view.traffic": {"vi": "Giao thông", "en": "Traffic"},
    "wall.view.fire": {"vi": "Cháy rừng", "en": "Forest fire"},
    "wall.view.complaints": {"vi": "Phản ánh hiện trường", "en": "Citizen reports"},
    "wall.rotation": {"vi": "Luân phiên {n} màn hình · {s} giây", "en": "Rotating {n} views · {s} s"},
    "wall.window": {"vi": "Cảnh báo trong {n} phút", "en": "Alerts of the last {n} min"},
    "wall.banner.offline": {
        "vi": "Mất kết nối tới máy chủ: màn hình giữ hình ảnh cuối cùng và đang tự kết nối lại.",
        "en": "Server unreachable: the screen keeps its last picture and is reconnecting.",
    },
    "wall.banner.redis_down": {
        "vi": "Mất kết nối Redis: dữ liệu trực tiếp đang dừng, màn hình giữ hình ảnh cuối cùng và sẽ tự phục hồi.",
        "en": "Redis unreachable: live data has stopped; the screen keeps its last picture and recovers by itself.",
    },
    "wall.age.s": {"vi": "{n} giây", "en": "{n} s"},
    "wall.age.m": {"vi": "{n} phút", "en": "{n} min"},
    "wall.age.h": {"vi": "{n} giờ", "en": "{n} h"},
    "wall.age.d": {"vi": "{n} ngày", "en": "{n} d"},
    "wall.age.ago": {"vi": "{t} trước", "en": "{t} ago"},
    "wall.age.none": {"vi": "chưa có dữ liệu", "en": "no data yet"},
    "wall.layer.cameras": {"vi": "Camera AI", "en": "AI cameras"},
    "wall.layer.traffic": {"vi": "Mức ùn tắc", "en": "Congestion"},
    "wall.layer.fire": {"vi": "Cấp cháy rừng, điểm cháy", "en": "Fire danger, hotspots"},
    "wall.layer.complaints": {"vi": "Phản ánh đang mở", "en": "Open reports"},
    "wall.sev.low": {"vi": "Thấp", "en": "Low"},
    "wall.sev.medium": {"vi": "Trung bình", "en": "Medium"},
    "wall.sev.high": {"vi": "Cao", "en": "High"},
    "wall.sev.critical": {"vi": "Nghiêm trọng", "en": "Critical"},
    "wall.legend.offline": {"vi": "Mất tín hiệu", "en": "Offline"},
    "wall.legend.cluster": {"vi": "Cụm: tỉ lệ các mức", "en": "Cluster: mix of levels"},
    "wall.legend.no_data": {"vi": "Không có số liệu", "en": "No data"},
    "wall.legend.hotspots": {"vi": "Điểm cháy:", "en": "Hotspots:"},
    "wall.legend.hotspot_age": {"vi": "< {h} giờ", "en": "< {h} h"},
    "wall.congestion.0": {"vi": "Thông thoáng", "en": "Free flow"},
    "wall.congestion.1": {"vi": "Đông nhẹ", "en": "Light"},
    "wall.congestion.2": {"vi": "Đông", "en": "Moderate"},
    "wall.congestion.3": {"vi": "Ùn tắc", "en": "Heavy"},
    "wall.congestion.4": {"vi": "Tắc nghẽn", "en": "Standstill"},
    "wall.fire.1": {"vi": "I – Thấp", "en": "I – Low"},
    "wall.fire.2": {"vi": "II – Trung bình", "en": "II – Moderate"},
    "wall.fire.3": {"vi": "III – Cao", "en": "III – High"},
    "wall.fire.4": {"vi": "IV – Nguy hiểm", "en": "IV – Dangerous"},
    "wall.fire.5": {"vi": "V – Cực kỳ nguy hiểm", "en": "V – Extremely dangerous"},
    "wall.deadline.on_time": {"vi": "Trong hạn", "en": "On time"},
    "wall.deadline.due": {"vi": "Đến hạn trong 24 giờ", "en": "Due within 24 h"},
    "wall.deadline.overdue": {"vi": "Quá hạn", "en": "Overdue"},
    "wall.kpi.alerts": {"vi": "Cảnh báo camera", "en": "Camera alerts"},
    "wall.kpi.congestion": {"vi": "Chỉ số ùn tắc", "en": "Congestion index"},
    "wall.kpi.fire": {"vi": "Cháy rừng cấp IV–V", "en": "Fire level IV–V"},
    "wall.kpi.complaints": {"vi": "Phản ánh đang xử lý", "en": "Open citizen reports"},
    "wall.kpi.offline": {"vi": "Mất tín hiệu {n}", "en": "Offline {n}"},
    "wall.kpi.congestion_detail": {
        "vi": "{heavy} / {n} đoạn đường ùn tắc trở lên",
        "en": "{heavy} of {n} segments heavy or worse",
    },
    "wall.kpi.fire_detail": {
        "vi": "đơn vị (trên {n} có dự báo) · điểm cháy 24 giờ: {hotspots}",
        "en": "units (of {n} forecast) · hotspots 24 h: {hotspots}",
    },
    "wall.kpi.complaints_detail": {"vi": "Quá hạn: {overdue}", "en": "Overdue: {overdue}"},
    "wall.kpi.on_time": {"vi": "Đúng hạn 30 ngày: {pct} ({n} phản ánh)", "en": "On time, 30 days: {pct} ({n} reports)"},
    "wall.kpi.last_hour": {"vi": "60 phút qua", "en": "Last 60 min"},
    "wall.ticker.title": {"vi": "Cảnh báo mới nhất", "en": "Latest alerts"},
    "wall.ticker.hotspot": {"vi": "Điểm cháy ({source})", "en": "Hotspot ({source})"},
    "wall.ticker.fire_level": {"vi": "Cấp cháy rừng {level}", "en": "Fire danger {level}"},
    "wall.ticker.complaint": {"vi": "Phản ánh mới", "en": "New report"},
    "wall.ticker.complaint_urgent": {"vi": "Phản ánh khẩn", "en": "Urgent report"},
    "wall.alert.plate_watchlist": {"vi": "Biển số cần theo dõi", "en": "Watch-listed plate"},
    "wall.alert.face_match": {"vi": "Nhận diện khuôn mặt", "en": "Face match"},
    "wall.alert.fire_smoke": {"vi": "Khói, lửa", "en": "Smoke or fire"},
    "wall.alert.congestion": {"vi": "Ùn tắc", "en": "Congestion"},
    "wall.alert.crowding": {"vi": "Tụ tập đông người", "en": "Crowding"},
    "wall.alert.camera_offline": {"vi": "Camera mất tín hiệu", "en": "Camera offline"},
    "wall.alert.camera_online": {"vi": "Camera hoạt động lại", "en": "Camera back online"},
    "wall.alert_short.plate_watchlist": {"vi": "Biển số", "en": "Plates"},
    "wall.alert_short.face_match": {"vi": "Khuôn mặt", "en": "Faces"},
    "wall.alert_short.fire_smoke": {"vi": "Khói/lửa", "en": "Smoke/fire"},
    "wall.alert_short.congestion": {"vi": "Ùn tắc", "en": "Congestion"},
    "wall.alert_short.crowding": {"vi": "Đám đông", "en": "Crowding"},
    "wall.stream.camera": {"vi": "Camera AI", "en": "AI cameras"},
    "wall.stream.traffic": {"vi": "Giao thông", "en": "Traffic"},
    "wall.stream.fire": {"vi": "Cháy rừng", "en": "Forest fire"},
    "wall.stream.complaint": {"vi": "Phản ánh", "en": "Reports"},
    "wall.health.newest": {"vi": "Sự kiện mới nhất", "en": "Newest event"},
    "wall.kpi.figures": {"vi": "Số liệu", "en": "Figures"},
    "wall.kpi.history": {"vi": "Biểu đồ", "en": "Charts"},
    "wall.category.urban_order": {"vi": "Trật tự đô thị", "en": "Urban order"},
    "wall.category.environment": {"vi": "Môi trường", "en": "Environment"},
    "wall.category.waste": {"vi": "Rác thải", "en": "Waste"},
    "wall.category.street_lights": {"vi": "Đèn chiếu sáng", "en": "Street lights"},
    "wall.category.infrastructure": {"vi": "Hạ tầng", "en": "Infrastructure"},
    "wall.category.trees_parks": {"vi": "Cây xanh, công viên", "en": "Trees and parks"},
    "wall.category.heritage": {"vi": "Di tích", "en": "Heritage sites"},
    "wall.category.security": {"vi": "An ninh", "en": "Security"},
    "wall.category.traffic": {"vi": "Giao thông", "en": "Traffic"},
    "wall.health.ok": {"vi": "Bình thường", "en": "OK"},
    "wall.health.none": {"vi": "Chưa có dữ liệu", "en": "No data yet"},
    "wall.health.last": {"vi": "lúc", "en": "at"},
    "wall.spark": {"vi": "{name}: 60 phút qua", "en": "{name}: last 60 min"},
}
# ---- Source health (data_sources.freshness): down / late / quiet / ok / loading, on the overview and the wall.
CATALOG.update(
    {
        "status.quiet": {"vi": "Yên tĩnh", "en": "Quiet"},
        "status.late": {"vi": "Trễ chu kỳ", "en": "Late"},
        "status.loading": {"vi": "Đang nạp lịch sử", "en": "Loading history"},
        "wall.health.quiet": {"vi": "Yên tĩnh", "en": "Quiet"},
        "wall.health.late": {"vi": "Trễ chu kỳ", "en": "Late"},
        "wall.health.down": {"vi": "Mất tín hiệu", "en": "Source down"},
        "wall.health.loading": {"vi": "Đang nạp lịch sử", "en": "Loading history"},
        "banner.sources_down": {"vi": "Mất tín hiệu nguồn: {streams}.", "en": "Source down: {streams}."},
        "banner.sources_late": {
            "vi": "Dữ liệu trễ so với chu kỳ dự kiến: {streams}.",
            "en": "Data late for its expected cadence: {streams}.",
        },
        "health.loading": {
            "vi": "Đang nạp dữ liệu lịch sử ({pct} %): nguồn trực tiếp bắt đầu khi nạp xong.",
            "en": "Loading history ({pct} %): the live sources start once it is loaded.",
        },
        "home.history_loading": {"vi": "đang nạp ({pct} %)", "en": "loading ({pct} %)"},
        "home.liveness.alive": {"vi": "Nguồn báo đang hoạt động", "en": "Source reports itself alive"},
        "home.liveness.down": {"vi": "Nguồn báo không kết nối được", "en": "Source reports it cannot connect"},
        "home.liveness.expired": {"vi": "Nguồn đã ngừng báo hoạt động", "en": "Source stopped reporting"},
        "home.liveness.unreported": {"vi": "Nguồn không báo trạng thái", "en": "Source does not report liveness"},
        "home.cadence": {"vi": "Chu kỳ dự kiến: {t}", "en": "Expected every {t}"},
        "home.cadence_none": {"vi": "Chỉ khi có sự kiện", "en": "Only when something happens"},
        "home.minutes": {"vi": "{n} phút", "en": "{n} min"},
        "home.hours": {"vi": "{n} giờ", "en": "{n} h"},
    }
)
# The drill-down pages keep their (many) strings in their own module.
CATALOG.update(DRILL)
CATALOG.update(CONSOLE)
# Sign-in and pages while PostgreSQL (accounts, sessions) is unreachable: a 503 page, never a bare 500.
CATALOG.update(
    {
        "auth.unavailable.title": {"vi": "Dịch vụ tạm thời gián đoạn", "en": "Service temporarily unavailable"},
        "auth.unavailable": {
            "vi": (
                "Không kết nối được cơ sở dữ liệu tài khoản nên chưa thể đăng nhập hoặc mở trang này. "
                "Các màn hình tường đang mở vẫn hoạt động. Vui lòng thử lại sau ít phút."
            ),
            "en": (
                "The account database cannot be reached, so signing in or opening this page is not possible "
                "right now. Wall displays already open keep working. Please try again in a few minutes."
            ),
        },
        "auth.retry": {"vi": "Thử lại", "en": "Try again"},
    }
)


def t(key: str, lang: str, **values: object) -> str:
    """Translate `key`; a missing key shows itself so the gap is visible rather than blank. A language that is not
    one of LANGUAGES (a page's stored option is the browser's to send) reads as Vietnamese, never an error."""
    entry = CATALOG.get(key)
    text = (entry.get(lang if lang in LANGUAGES else "vi") or entry["vi"]) if entry else key
    return text.format(**values) if values else text


def pick_language(query_lang: str | None = None) -> str:
    """?lang= wins, then the cookie set by the language switch, then the LANGUAGE setting."""
    if query_lang in LANGUAGES:
        return query_lang
    if has_request_context() and request.cookies.get(LANG_COOKIE) in LANGUAGES:
        return request.cookies[LANG_COOKIE]
    return get_settings().language
