"""Pure pieces of sign-in and privacy: masking, Viewer rules, scoping clauses, redirects, CSV cells, CSP parts."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from data_sources import auth, privacy
from data_sources.schema import camera_alerts, complaints
from data_sources.viewer import Viewer, agency_scope, unit_scope
from server.access import output_ids
from server.exports import csv_cell
from server.security import tile_origin
from server.signin import safe_next


@pytest.mark.parametrize(
    ("plate", "masked"),
    [
        ("75A-123.45", "75A-***.45"),
        ("75A1-234.56", "75A1-***.56"),
        ("75LD-012.34", "75LD-***.34"),
        ("43A-1234", "43A-***34"),
        ("75a12345", "75A-***45"),
        ("garbage!!", "GA***"),
        ("x", "***"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_plate(plate, masked):
    assert privacy.mask_plate(plate) == masked


def test_mask_row_leaves_cleared_viewers_alone_and_never_mutates():
    row = {"event_id": "e1", "plate": "75A-123.45", "person_name": "Trần Thị B"}
    cleared = Viewer(role="officer", username="o", cleared_for_personal_data=True)
    masked = Viewer(role="dept_head", username="d", agency_code="X")
    assert privacy.mask_row(row, cleared) == row
    assert privacy.mask_row(row, masked) == {"event_id": "e1", "plate": "75A-***.45", "person_name": "***"}
    assert row["plate"] == "75A-123.45"


def test_only_officers_and_admins_can_ever_be_cleared():
    for role in ("wall", "dept_head"):
        with pytest.raises(ValueError):
            Viewer(role=role, username="x", agency_code="X", cleared_for_personal_data=True)
    with pytest.raises(ValueError):
        Viewer(role="dept_head", username="x")  # a dept_head without an agency
    with pytest.raises(ValueError):
        Viewer(role="root", username="x")  # type: ignore[arg-type]
    principal = auth.Principal(kind="user", key=1, name="d", display_name="d", role="dept_head", agency_code="X",
                               personal_data=True)  # fmt: skip
    assert principal.viewer().cleared_for_personal_data is False


def _sql(clause) -> str:
    return str(select(complaints.c.complaint_id).where(clause).compile(dialect=postgresql.dialect()))


def test_scope_clauses_bind_the_viewers_values():
    head = Viewer(role="dept_head", username="d", agency_code="UB-X", unit_codes=("100", "200"))
    sql = _sql(agency_scope(head, agency_col=complaints.c.agency_code, unit_col=complaints.c.unit_code))
    assert "complaints.agency_code = %(agency_code_1)s" in sql and "complaints.unit_code IN" in sql
    assert "UB-X" not in sql  # a bound parameter, never spliced into the text
    officer = Viewer(role="officer", username="o")
    assert "true" in _sql(agency_scope(officer, agency_col=complaints.c.agency_code, unit_col=complaints.c.unit_code))
    no_units = Viewer(role="dept_head", username="d", agency_code="UB-X")
    assert "false" in _sql(unit_scope(no_units, unit_col=camera_alerts.c.unit_code))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/", "/"),
        ("/export/complaints.csv?unit=1", "/export/complaints.csv?unit=1"),
        ("//evil.example", None),
        ("https://evil.example", None),
        ("/\\evil.example", None),
        ("/login?next=/", None),
        ("/x\r\nSet-Cookie: a=b", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next(value, expected):
    assert safe_next(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33", "'+33"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Đèn hỏng", "Đèn hỏng"),
        (None, ""),
    ],
)
def test_csv_cells_never_become_formulas(value, expected):
    assert csv_cell(value) == expected


def test_session_ids_round_trip_and_reject_junk():
    principal = auth.Principal(kind="token", key=7, name="w", display_name="w", role="wall")
    assert auth.parse_session_id(principal.get_id()) == ("t", 7, 0)
    for junk in ("", "u:1", "x:1:0", "u:one:0", "u:1:0:extra", "u:-1:0"):
        assert auth.parse_session_id(junk) is None


def test_output_ids_of_single_and_multi_output_callbacks():
    assert output_ids("a.children") == ["a.children"]
    assert output_ids("..a.children...b.data..") == ["a.children", "b.data"]


def test_tile_origin_for_the_csp():
    assert tile_origin("") is None
    assert tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert tile_origin("http://tiles.local:8080/{z}/{x}/{y}.png") == "http://tiles.local:8080"
    assert tile_origin("javascript:alert(1)") is None


def test_passwords_hash_with_argon2id_and_short_ones_are_refused():
    assert auth.hash_password("long-enough-password").startswith("$argon2id$")
    with pytest.raises(auth.AccountError):
        auth.hash_password("short")
