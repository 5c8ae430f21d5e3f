"""Demo accounts, one per role, created only when DEMO_FEED is on; their credentials are documented in the README."""

from __future__ import annotations

from sqlalchemy import Engine, select

from data_sources import auth, reference
from data_sources.schema_auth import display_tokens, users

# Documented, fixed, and therefore worthless outside a demo: never created when DEMO_FEED=false.
DEMO_USERS = (
    {"username": "admin", "password": "admin-demo-hue", "role": "admin", "display_name": "Quản trị (demo)"},
    {"username": "officer", "password": "officer-demo-hue", "role": "officer", "display_name": "Cán bộ trực (demo)"},
    {"username": "depthead", "password": "depthead-demo-hue", "role": "dept_head", "display_name": "Lãnh đạo (demo)"},
)
DEMO_WALL_TOKEN = "demo-wall-token-hue-ioc"
DEMO_WALL_NAME = "demo wall"
# The demo dept_head runs the People's Committee of Phú Xuân (the Citadel ward): scoped to that agency and unit.
DEMO_WARD = "Phú Xuân"


def demo_agency() -> tuple[str, tuple[str, ...]]:
    """(agency_code, unit codes) of the demo dept_head, from the committed reference data."""
    files = reference.load_files()
    units = {u["code"]: u["name"] for u in files["units"]}
    communes = [a for a in files["agencies"] if a.get("unit_code")]
    chosen = next((a for a in communes if units.get(a["unit_code"]) == DEMO_WARD), communes[0] if communes else None)
    if chosen is None:
        return files["agencies"][0]["agency_code"], ()
    return chosen["agency_code"], (chosen["unit_code"],)


def ensure_demo_accounts(engine: Engine) -> list[str]:
    """Create the demo users and wall token if missing; returns the lines to print at start."""
    agency, units = demo_agency()
    with engine.connect() as conn:
        existing = set(conn.execute(select(users.c.username)).scalars())
        has_token = conn.execute(select(display_tokens.c.token_id).where(display_tokens.c.name == DEMO_WALL_NAME))
        has_token = has_token.first() is not None
    lines = []
    for spec in DEMO_USERS:
        if spec["username"] not in existing:
            extra = {"agency_code": agency, "unit_codes": units} if spec["role"] == "dept_head" else {}
            auth.create_user(engine, **spec, **extra)
        scope = f"  (agency {agency}, units {', '.join(units) or 'all'})" if spec["role"] == "dept_head" else ""
        lines.append(f"  {spec['role']:<10} {spec['username']:<9} / {spec['password']}{scope}")
    if not has_token:
        auth.issue_token(engine, name=DEMO_WALL_NAME, created_by="demo", raw=DEMO_WALL_TOKEN)
    lines.append(f"  {'wall':<10} /wall?token={DEMO_WALL_TOKEN}")
    return lines
