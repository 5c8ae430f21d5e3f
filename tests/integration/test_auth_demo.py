"""Demo accounts: one per role, idempotent, and each can actually sign in."""

from __future__ import annotations

from data_sources import auth
from data_sources.auth_demo import DEMO_USERS, DEMO_WALL_TOKEN, demo_agency, ensure_demo_accounts


def test_demo_accounts_cover_every_role_and_sign_in(engine):
    first = ensure_demo_accounts(engine)
    again = ensure_demo_accounts(engine)  # `make run` twice must not fail or duplicate
    assert first == again and any(DEMO_WALL_TOKEN in line for line in first)
    roles = set()
    for spec in DEMO_USERS:
        principal = auth.authenticate(engine, username=spec["username"], password=spec["password"])
        assert principal is not None, spec["username"]
        roles.add(principal.role)
    assert roles == {"officer", "dept_head", "admin"}
    assert auth.token_by_raw(engine, DEMO_WALL_TOKEN).role == "wall"
    agency, units = demo_agency()
    head = auth.authenticate(engine, username="depthead", password="depthead-demo-hue")
    assert (head.agency_code, head.unit_codes) == (agency, units) and agency.startswith("UB-")
    assert head.viewer().cleared_for_personal_data is False
