"""Every UI string in one catalog (Vietnamese default, English), and how a request picks its language."""

from __future__ import annotations

from flask import has_request_context, request

from data_sources.settings import get_settings

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
    "banner.stale": {
        "vi": "Dữ liệu cũ: luồng {streams} không có sự kiện mới hơn {seconds} giây.",
        "en": "Stale data: stream {streams} has had no new event for over {seconds} s.",
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
    "status.stale": {"vi": "Chậm", "en": "Stale"},
    "status.down": {"vi": "Mất kết nối", "en": "Down"},
    "status.checked": {"vi": "Cập nhật lúc {t}", "en": "Checked at {t}"},
}


def t(key: str, lang: str, **values: object) -> str:
    """Translate `key`; a missing key shows itself so the gap is visible rather than blank."""
    entry = CATALOG.get(key)
    text = (entry.get(lang) or entry["vi"]) if entry else key
    return text.format(**values) if values else text


def pick_language(query_lang: str | None = None) -> str:
    """?lang= wins, then the cookie set by the language switch, then the LANGUAGE setting."""
    if query_lang in LANGUAGES:
        return query_lang
    if has_request_context() and request.cookies.get(LANG_COOKIE) in LANGUAGES:
        return request.cookies[LANG_COOKIE]
    return get_settings().language
