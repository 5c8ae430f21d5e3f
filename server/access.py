"""Which roles may make a request: pages declare roles in register_page, callbacks inherit them from their page.

The rule for callbacks: a callback defined in `callbacks/<name>.py` belongs to the page defined in
`layouts/<name>.py` (the one-page-one-module layout of this repo) and may be called by exactly the roles
that may open that page. Modules shared by every page (the shell) are listed in SHARED_CALLBACK_MODULES.
Dash's own page router is checked against the page whose path the request asks it to render. Anything
else (a callback in an unknown module, a clientside-only entry, an output nobody registered) is denied.
The owner is looked up from the same `output` key Dash itself dispatches on, so a crafted payload cannot
reach one callback while being checked as another.
"""

from __future__ import annotations

from dash import Dash

from data_sources.viewer import EVERYONE
from server.boundary import check_path
from server.dash_adapter import path_to_page

# A page that forgot to say who may open it is shown to admins only (and the access test fails).
UNDECLARED_PAGE_ROLES: frozenset[str] = frozenset({"admin"})
# Callback modules that serve every page: roles that may call them whatever page is open.
SHARED_CALLBACK_MODULES: dict[str, frozenset[str]] = {"callbacks.shell": EVERYONE}
# Dash endpoints that carry no data of their own (the shell layout and the callback graph).
SIGNED_IN_DASH_PATHS = ("/_dash-layout", "/_dash-dependencies", "/_reload-hash")
ROUTER_OUTPUT = "_pages_content.children"
ROUTER_PATH_INPUT = {"id": "_pages_location", "property": "pathname"}
NO_ROLES: frozenset[str] = frozenset()


def page_roles(page: dict) -> frozenset[str]:
    """Roles a page declared with register_page(..., roles=[...]); admins only when it declared none."""
    roles = page.get("roles")
    return frozenset(roles) if roles else UNDECLARED_PAGE_ROLES


def page_for_path(app: Dash, pathname: str) -> dict | None:
    """The registry entry Dash would render for `pathname` (same lookup as Dash's router), or None."""
    return path_to_page(app.strip_relative_path(pathname)) or None


def roles_for_path(app: Dash, pathname: str) -> frozenset[str]:
    """Roles that may open `pathname`; an unknown path renders only Dash's 404 text, so any signed-in role."""
    page = page_for_path(app, pathname)
    return page_roles(page) if page else EVERYONE


def page_for_module(module: str) -> dict | None:
    """The page registered by `layouts.<name>` for a callback module `callbacks.<name>`."""
    import dash

    if not module.startswith("callbacks."):
        return None
    return dash.page_registry.get("layouts." + module.removeprefix("callbacks."))


def output_ids(key: str) -> list[str]:
    """'..a.children...b.data..' or 'a.children' -> ['a.children', 'b.data'] (Dash's callback_map key format)."""
    return key[2:-2].split("...") if key.startswith("..") else [key]


def is_router(key: str, entry: dict) -> bool:
    """Dash's own page router: renders whichever page's layout the payload's pathname names."""
    module = getattr(entry.get("callback"), "__module__", "")
    return module.startswith("dash.") and ROUTER_OUTPUT in output_ids(key)


def callback_owner(key: str, entry: dict) -> tuple[str, frozenset[str]]:
    """(owner description, roles) for one callback_map entry, without looking at any request."""
    func = entry.get("callback")
    if func is None:
        return "clientside (no server function)", NO_ROLES
    module = getattr(func, "__module__", "")
    if is_router(key, entry):
        return "dash pages router (checked per requested path)", EVERYONE
    if module in SHARED_CALLBACK_MODULES:
        return f"shared module {module}", SHARED_CALLBACK_MODULES[module]
    page = page_for_module(module)
    if page is None:
        return f"unowned module {module}", NO_ROLES
    return f"page {page['path']} ({page['module']})", page_roles(page)


def callback_roles(app: Dash, body: object) -> frozenset[str]:
    """Roles that may run the callback a /_dash-update-component body names; empty when nobody may."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return NO_ROLES
    entry = app.callback_map.get(body["output"])
    if entry is None:
        return NO_ROLES
    if is_router(body["output"], entry):
        pathname = _router_pathname(entry, body)
        # A path Dash's router cannot render (no leading slash, controls) is a bad request, not a page.
        return roles_for_path(app, check_path(pathname)) if pathname is not None else NO_ROLES
    return callback_owner(body["output"], entry)[1]


def _router_pathname(entry: dict, body: dict) -> str | None:
    """The pathname Dash's router will render: the value at the position Dash binds to `pathname_`."""
    indices = entry.get("inputs_state_indices")
    if isinstance(indices, dict) and isinstance(indices.get("pathname_"), int):
        index = indices["pathname_"]
    else:
        declared = entry.get("inputs") or []
        if ROUTER_PATH_INPUT not in declared:
            return None
        index = declared.index(ROUTER_PATH_INPUT)
    values = list(body.get("inputs") or []) + list(body.get("state") or [])
    if index >= len(values) or not isinstance(values[index], dict):
        return None
    value = values[index].get("value")
    return value if isinstance(value, str) else None


def access_map(app: Dash) -> list[dict]:
    """Every page and server callback with the roles allowed: what the access tests check, row by row."""
    import dash

    rows = [
        {"kind": "page", "name": page["path"], "owner": page["module"], "roles": sorted(page_roles(page))}
        for page in dash.page_registry.values()
    ]
    for output, entry in app.callback_map.items():
        owner, roles = callback_owner(output, entry)
        rows.append({"kind": "callback", "name": output, "owner": owner, "roles": sorted(roles)})
    return rows
