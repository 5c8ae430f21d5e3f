"""Token values are cut out of log text, plain and URL-encoded, and nothing else is changed."""

from __future__ import annotations

import logging

import pytest

from server.logredact import MASK, install, redact


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('127.0.0.1 - - "GET /wall?token=ioc_wall_Abc-123_xyz HTTP/1.1" 302 189', "ioc_wall_Abc-123_xyz"),
        ('"GET /wall?lang=en&token=s3cr3t&rotate=60 HTTP/1.1"', "s3cr3t"),
        ('"GET /login?next=%2Fwall%3Ftoken%3Ds3cr3t%26lang%3Den HTTP/1.1" 200', "s3cr3t"),
        ("/login?next=%252Fwall%253Ftoken%253Ds3cr3t%2526x", "s3cr3t"),
        ('"http://ioc.example/wall?TOKEN=s3cr3t" "Mozilla/5.0"', "s3cr3t"),
        ("/x?access_token=s3cr3t#top", "s3cr3t"),
    ],
)
def test_redact_removes_the_value(line, secret):
    out = redact(line)
    assert secret not in out and MASK in out


def test_redact_keeps_everything_else():
    line = '"GET /wall?lang=en&token=s3cr3t&rotate=60 HTTP/1.1" 302'
    assert redact(line) == f'"GET /wall?lang=en&token={MASK}&rotate=60 HTTP/1.1" 302'
    assert redact("GET /traffic?range=7d HTTP/1.1") == "GET /traffic?range=7d HTTP/1.1"


def test_installed_factory_redacts_records_of_any_logger(caplog):
    install()
    install()  # idempotent: one wrapper, not two
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info('%s - - "%s" %s', "127.0.0.1", "GET /wall?token=s3cr3t HTTP/1.1", 302)
        logging.getLogger("any.module").warning("opened %(url)s", {"url": "/wall?token=s3cr3t"})
        logging.getLogger("plain").info("no args /wall?token=s3cr3t")
    assert len(caplog.records) == 3
    assert all("s3cr3t" not in r.getMessage() and MASK in r.getMessage() for r in caplog.records)
