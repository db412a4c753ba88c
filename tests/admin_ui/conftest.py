"""Fixtures for the terminal commands: each test starts from a site copied from a template.

The commands make an empty database a site with the shipped packages on first use, and every
test here would pay for that install (about a second, two on PostgreSQL). Under this folder
``cli_url`` is therefore a database that already holds that site: ``site_url`` of
tests/conftest.py, a copy of a template made once per session. A test of what a command does to
an empty database (``tessera db init``, a first ``serve``) takes ``empty_cli_url``.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def cli_url(site_url) -> str:
    """A database URL of the test's own holding a site with the shipped packages."""
    return site_url
