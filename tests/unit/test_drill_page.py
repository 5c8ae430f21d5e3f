"""The drill page skeleton every drill and item page composes (pure)."""

from __future__ import annotations

import json

from sqlalchemy import exc as sa_exc

from ui import ids
from ui.drill_page import drill_page, item_or_answer, visit
from ui.i18n import t


def _json(component) -> str:
    return json.dumps(component.to_plotly_json(), default=str, ensure_ascii=False)


def _ids(component) -> list[str]:
    """Component ids in document order."""
    found, todo = [], [component]
    while todo:
        node = todo.pop(0)
        if getattr(node, "id", None):
            found.append(node.id)
        kids = getattr(node, "children", None)
        todo[:0] = [k for k in (kids if isinstance(kids, list) else [kids]) if hasattr(k, "to_plotly_json")]
    return found


def test_the_skeleton_keeps_url_store_filters_kpis_then_panels_and_stores_the_item():
    v = visit({"range": "30d", "lang": "en"})
    page = drill_page(ids.CAMERA, v, "HEAD", "BAR", ids.CAMERA_KPIS, ["PANEL"], item="CAM-0001")
    assert _ids(page)[:3] == [ids.CAMERA.url, ids.CAMERA.store, ids.CAMERA_KPIS]
    store = page.children[1].data
    assert store["state"]["range"] == "30d" and store["item"] == "CAM-0001"
    assert page.children[2:4] == ["HEAD", "BAR"] and page.children[-1] == "PANEL"
    assert page.className == "page drill-page"
    no_item = drill_page(ids.TRAFFIC, v, "HEAD", "BAR", ids.TRAFFIC_KPIS, [], extra="LINK")
    assert "item" not in no_item.children[1].data and no_item.children[3] == "LINK"


def test_an_item_page_says_unavailable_when_postgresql_is_down_and_not_found_when_missing():
    v = visit({"range": "7d", "lang": "en"})

    def down():
        raise sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    row, answer = item_or_answer(v, "/cameras", down)
    assert row is None and t("drill.history_unavailable.title", "en") in _json(answer)
    row, answer = item_or_answer(v, "/cameras", lambda: None)
    assert row is None and t("drill.not_found.title", "en") in _json(answer) and "/cameras?range=7d" in _json(answer)
    assert item_or_answer(v, "/cameras", lambda: {"unit_code": "19768"}) == ({"unit_code": "19768"}, None)
