"""``tessera user create|password|disable`` from the terminal's point of view."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from typer.testing import CliRunner

from admin_ui.cli import app
from runtime.auth import Authenticator, InvalidCredentials
from runtime.records.context import Actor
from runtime.security import SecurityPolicy
from runtime.site import open_site

runner = CliRunner()


@pytest.fixture
def cli_url(database_url) -> Iterator[str]:
    """A database URL of the test's own: a new SQLite file, or a new PostgreSQL schema (the shared
    server's URL with ``search_path`` set), since the commands open the URL themselves."""
    if not database_url.startswith("postgresql"):
        yield database_url
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(database_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_create_sign_in_change_password_and_disable(cli_url):
    made = runner.invoke(app, ["user", "create", "lin", "--password", "pw-1", "--name", "Lin Wei", "--email", "lin@example.com", "--admin", "--db", cli_url])
    assert made.exit_code == 0, made.output
    assert "created user lin" in made.stdout and "administrator" in made.stdout
    again = runner.invoke(app, ["user", "create", "lin", "--password", "x", "--db", cli_url])
    assert again.exit_code == 1 and "already a user 'lin'" in again.output

    site = open_site(cli_url)
    try:
        auth = Authenticator(site)
        user_id = auth.authenticate("lin", "pw-1")
        assert SecurityPolicy(site).is_admin(Actor(user_id=user_id))
        session = auth.start_session(user_id)

        changed = runner.invoke(app, ["user", "password", "lin", "--password", "pw-2", "--db", cli_url])
        assert changed.exit_code == 0, changed.output
        assert auth.session(session.secret) is None and auth.authenticate("lin", "pw-2") == user_id

        disabled = runner.invoke(app, ["user", "disable", "lin", "--db", cli_url])
        assert disabled.exit_code == 0, disabled.output
        try:
            auth.authenticate("lin", "pw-2")
        except InvalidCredentials:
            pass
        else:
            raise AssertionError("a disabled user signed in")
    finally:
        site.dispose()
    missing = runner.invoke(app, ["user", "disable", "nobody", "--db", cli_url])
    assert missing.exit_code == 1 and "no user 'nobody'" in missing.output


def test_bad_input_is_a_message_not_a_traceback(cli_url):
    invalid = runner.invoke(app, ["user", "create", "x" * 200, "--password", "pw", "--db", cli_url])
    assert invalid.exit_code == 1 and "username" in invalid.output and "Traceback" not in invalid.output
