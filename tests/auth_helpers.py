"""Test helpers for sign-in: accounts per role, signed-in Flask clients, Dash callback payloads, browser sign-in."""

from __future__ import annotations

import re
from urllib.parse import quote

from data_sources import auth, reference
from data_sources.core.connections import get_engine
from server.access import output_ids

PASSWORD = "correct-horse-battery-{role}"
# What a browser sends when it navigates to a page (the guard redirects those; API-like calls get 401/403).
PAGE = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def two_commune_agencies() -> list[dict]:
    """Two People's Committees with their own unit: agency X and agency Y of the scoping tests."""
    communes = [a for a in reference.load_files()["agencies"] if a.get("unit_code")]
    return communes[:2]


def create_accounts() -> dict[str, dict]:
    """officer, admin, dept_head (agency X), dept_head_y (agency Y), officer_masked, and a wall token."""
    engine = get_engine()
    x, y = two_commune_agencies()
    specs = {
        "officer": {"role": "officer"},
        "admin": {"role": "admin"},
        "dept_head": {"role": "dept_head", "agency_code": x["agency_code"], "unit_codes": (x["unit_code"],)},
        "dept_head_y": {"role": "dept_head", "agency_code": y["agency_code"], "unit_codes": (y["unit_code"],)},
        "officer_masked": {"role": "officer", "personal_data": False},
    }
    out: dict[str, dict] = {}
    for key, spec in specs.items():
        username = f"t-{key.replace('_', '-')}"
        password = PASSWORD.format(role=key)
        auth.create_user(engine, username=username, password=password, display_name=f"Test {key}", **spec)
        out[key] = {"username": username, "password": password, **spec}
    token_id, raw = auth.issue_token(engine, name="test wall", created_by="tests")
    out["wall"] = {"token": raw, "token_id": token_id, "name": "test wall"}
    return out


def csrf_from_form(html: str) -> str:
    """The hidden csrf_token of the sign-in form."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "sign-in form without a CSRF token"
    return match.group(1)


def sign_in(client, username: str, password: str, *, next_path: str | None = None):
    """POST the real sign-in form (with its CSRF token) and return the response."""
    page = client.get("/login", headers=PAGE)
    url = "/login" + (f"?next={quote(next_path, safe='')}" if next_path else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": csrf_from_form(page.text)})


def signed_in_client(app, accounts: dict, role: str | None):
    """A Flask test client signed in as `role` (people through /login, "wall" through /wall?token=)."""
    client = app.server.test_client()
    if role is None:
        return client
    if role == "wall":
        response = client.get(f"/wall?token={accounts['wall']['token']}", headers=PAGE)
        assert response.status_code == 302, response.text
        return client
    account = accounts[role]
    response = sign_in(client, account["username"], account["password"])
    assert response.status_code == 302, response.text
    return client


def csrf_header(client) -> dict[str, str]:
    """The header Dash's renderer sends: X-CSRFToken copied from the _csrf_token cookie."""
    cookie = client.get_cookie("_csrf_token")
    return {"X-CSRFToken": cookie.value} if cookie else {}


def ensure_started(app) -> None:
    """Let Dash run its first-request setup (it moves callbacks into app.callback_map and adds the router)."""
    app.server.test_client().get("/login")


def _is_wildcard(component_id) -> bool:
    return isinstance(component_id, dict) and any(isinstance(v, list) for v in component_id.values())


def callback_body(app, key: str, values: dict[tuple[str, str], object] | None = None) -> dict:
    """A /_dash-update-component body for callback `key`, shaped like the renderer's; `values` by (id, prop)."""
    values = values or {}
    entry = app.callback_map[key]

    def item(dep: dict) -> object:
        if _is_wildcard(dep["id"]):
            return []
        return {"id": dep["id"], "property": dep["property"], "value": values.get((str(dep["id"]), dep["property"]))}

    outputs = []
    # A callback without outputs is keyed by a hash, not by "id.prop".
    for out in [] if entry.get("no_output") else output_ids(key):
        component, prop = out.rsplit(".", 1)
        outputs.append({"id": component, "property": prop})
    inputs = [item(d) for d in entry.get("inputs", [])]
    state = [item(d) for d in entry.get("state", [])]
    changed = [f"{i['id']}.{i['property']}" for i in inputs if isinstance(i, dict)][:1]
    return {
        "output": key,
        "outputs": outputs if len(outputs) != 1 else outputs[0],
        "inputs": inputs,
        "state": state,
        "changedPropIds": changed,
    }


def browser_login(dash_duo, accounts: dict, role: str = "officer") -> None:
    """Sign the dash_duo browser in through the real form (or the wall token URL) and land on the home page."""
    base = dash_duo.server.url.rstrip("/")
    driver = dash_duo.driver
    if role == "wall":
        driver.get(f"{base}/wall?token={accounts['wall']['token']}")
    else:
        driver.get(f"{base}/login")
        dash_duo.wait_for_element("#username").send_keys(accounts[role]["username"])
        dash_duo.find_element("#password").send_keys(accounts[role]["password"])
        dash_duo.find_element("#signin-submit").click()
        dash_duo.wait_for_element("#react-entry-point", timeout=10)
    # The public setter navigates to the home page and waits for Dash's renderer.
    dash_duo.server_url = base
