"""``tessera user create|password|disable`` from the terminal's point of view."""

from __future__ import annotations

from typer.testing import CliRunner

from admin_ui.cli import app
from runtime.auth import Authenticator, InvalidCredentials
from runtime.records.context import Actor
from runtime.security import SecurityPolicy
from runtime.site import open_site

runner = CliRunner()


def test_create_sign_in_change_password_and_disable(database_url):
    made = runner.invoke(app, ["user", "create", "lin", "--password", "pw-1", "--name", "Lin Wei", "--email", "lin@example.com", "--admin", "--db", database_url])
    assert made.exit_code == 0, made.output
    assert "created user lin" in made.stdout and "administrator" in made.stdout
    again = runner.invoke(app, ["user", "create", "lin", "--password", "x", "--db", database_url])
    assert again.exit_code == 1 and "already a user 'lin'" in again.output

    site = open_site(database_url)
    try:
        auth = Authenticator(site)
        user_id = auth.authenticate("lin", "pw-1")
        assert SecurityPolicy(site).is_admin(Actor(user_id=user_id))
        session = auth.start_session(user_id)

        changed = runner.invoke(app, ["user", "password", "lin", "--password", "pw-2", "--db", database_url])
        assert changed.exit_code == 0, changed.output
        assert auth.session(session.secret) is None and auth.authenticate("lin", "pw-2") == user_id

        disabled = runner.invoke(app, ["user", "disable", "lin", "--db", database_url])
        assert disabled.exit_code == 0, disabled.output
        try:
            auth.authenticate("lin", "pw-2")
        except InvalidCredentials:
            pass
        else:
            raise AssertionError("a disabled user signed in")
    finally:
        site.dispose()
    missing = runner.invoke(app, ["user", "disable", "nobody", "--db", database_url])
    assert missing.exit_code == 1 and "no user 'nobody'" in missing.output


def test_bad_input_is_a_message_not_a_traceback(database_url):
    invalid = runner.invoke(app, ["user", "create", "x" * 200, "--password", "pw", "--db", database_url])
    assert invalid.exit_code == 1 and "username" in invalid.output and "Traceback" not in invalid.output
