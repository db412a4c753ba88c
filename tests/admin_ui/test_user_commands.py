"""``tessera user create|password|disable`` from the terminal's point of view."""

from __future__ import annotations

from typer.testing import CliRunner

from admin_ui.cli import app
from runtime.auth import Authenticator, InvalidCredentials
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.security import SecurityPolicy
from runtime.site import open_site

runner = CliRunner()


def test_create_sign_in_change_password_and_disable(cli_url):
    made = runner.invoke(app, ["user", "create", "lin", "--password", "pw-1", "--name", "Lin Wei", "--email", "lin@example.com", "--language", "en", "--admin", "--db", cli_url])
    assert made.exit_code == 0, made.output
    assert "created user lin" in made.stdout and "administrator" in made.stdout
    again = runner.invoke(app, ["user", "create", "lin", "--password", "x", "--db", cli_url])
    assert again.exit_code == 1 and "already a user 'lin'" in again.output
    unknown = runner.invoke(app, ["user", "create", "kai", "--password", "x", "--language", "fr", "--db", cli_url])
    assert unknown.exit_code == 1 and "language" in unknown.output and "Traceback" not in unknown.output

    site = open_site(cli_url)
    try:
        auth = Authenticator(site)
        user_id = auth.authenticate("lin", "pw-1")
        assert SecurityPolicy(site).is_admin(Actor(user_id=user_id))
        assert RecordService(site).get(SYSTEM, "user", user_id)["language"] == "en"
        session = auth.start_session(user_id)

        changed = runner.invoke(app, ["user", "password", "lin", "--password", "pw-2", "--db", cli_url])
        assert changed.exit_code == 0, changed.output
        assert auth.session(session.secret) is None and auth.authenticate("lin", "pw-2") == user_id

        # the last active administrator is not disabled: nobody could sign in to undo it
        last = runner.invoke(app, ["user", "disable", "lin", "--db", cli_url])
        assert last.exit_code == 1 and "last active administrator" in last.output and "Traceback" not in last.output
        assert auth.authenticate("lin", "pw-2") == user_id
        token = auth.issue_token(user_id)
        assert runner.invoke(app, ["user", "create", "mo", "--password", "pw", "--admin", "--db", cli_url]).exit_code == 0
        disabled = runner.invoke(app, ["user", "disable", "lin", "--db", cli_url])
        assert disabled.exit_code == 0, disabled.output
        # enabled again, the user signs in afresh: the token of before stays revoked
        RecordService(site).update(SYSTEM, "user", user_id, {"active": True})
        assert auth.token_user(token.secret) is None
        assert runner.invoke(app, ["user", "disable", "lin", "--db", cli_url]).exit_code == 0
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


def _ids(url: str, *usernames: str) -> list[str]:
    from admin_ui.serve_commands import user_id_for
    from runtime.records.service import RecordService

    site = open_site(url)
    try:
        return [user_id_for(site, RecordService(site), name) for name in usernames]
    finally:
        site.dispose()


def test_assign_set_and_show_place_a_user_in_the_org(cli_url):
    from runtime.records.context import SYSTEM
    from runtime.records.service import RecordService

    for username in ("bo", "cy", "ann"):
        assert runner.invoke(app, ["user", "create", username, "--password", "pw", "--db", cli_url]).exit_code == 0
    assert runner.invoke(app, ["department", "create", "East", "--db", cli_url]).exit_code == 0
    assigned = runner.invoke(app, ["user", "assign", "bo", "--role", "manager", "--profile", "sales_rep", "--db", cli_url])
    assert assigned.exit_code == 0 and "roles manager; profiles sales_rep" in assigned.stdout
    nothing = runner.invoke(app, ["user", "assign", "bo", "--db", cli_url])
    assert nothing.exit_code == 1 and "--role or --profile" in nothing.output

    # both unknown names are reported with the valid ones, and nothing is assigned
    wrong = runner.invoke(app, ["user", "assign", "bo", "--role", "boss", "--profile", "sales_rep", "--profile", "nobody", "--db", cli_url])
    assert wrong.exit_code == 1 and "Traceback" not in wrong.output
    assert "unknown role 'boss'" in wrong.output and "manager, partner_user, standard_user" in wrong.output
    assert "unknown profile 'nobody'" in wrong.output and "sales_rep" in wrong.output

    bo, cy, ann = _ids(cli_url, "bo", "cy", "ann")
    site = open_site(cli_url)
    try:
        record_id = RecordService(site).create(SYSTEM, "competitor", {"name": "Acme", "owner": cy})["id"]
        before = SecurityPolicy(site)
        assert before.explain(Actor(user_id=bo), "competitor", record_id)["operations"]["read"]["allowed"] is False
    finally:
        site.dispose()

    placed = runner.invoke(app, ["user", "set", "cy", "--department", "East", "--manager", "bo", "--rank", "3", "--db", cli_url])
    assert placed.exit_code == 0, placed.output
    helper = runner.invoke(app, ["user", "set", "ann", "--assistant-of", "bo", "--db", cli_url])
    assert helper.exit_code == 0, helper.output

    site = open_site(cli_url)
    try:
        policy = SecurityPolicy(site)
        # the manager now reaches the subordinate's record through the manager chain
        readable = RecordService(site, access=policy).get(Actor(user_id=bo), "competitor", record_id)
        assert readable is not None and readable["name"] == "Acme"
        grants = policy.explain(Actor(user_id=ann), "competitor", record_id)["operations"]["read"]["grants"]
        assert {"kind": "assistant", "manager": bo, "manager_username": "bo", "holds": True} in grants
        user = RecordService(site).get(SYSTEM, "user", cy)
        assert user["manager"] == bo and user["rank"] == 3 and user["department"] is not None
    finally:
        site.dispose()

    shown = runner.invoke(app, ["user", "show", "cy", "--db", cli_url])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert "department  East (East)" in lines and "manager     bo" in lines and "rank        3" in lines
    assert "roles       standard_user (the default roles: none assigned)" in lines
    boss = runner.invoke(app, ["user", "show", "bo", "--db", cli_url]).stdout.splitlines()
    assert "roles       manager" in boss and "profiles    sales_rep" in boss and "assistants  ann" in boss
    assert any(line.startswith("groups") and "sales_leaders" in line for line in boss)

    # a bad name changes nothing, not even the fields that were fine
    bad = runner.invoke(app, ["user", "set", "cy", "--rank", "9", "--manager", "ghost", "--db", cli_url])
    assert bad.exit_code == 1 and "no user 'ghost'" in bad.output
    own = runner.invoke(app, ["user", "set", "cy", "--manager", "cy", "--db", cli_url])
    assert own.exit_code == 1 and "own manager" in own.output
    loop = runner.invoke(app, ["user", "set", "bo", "--manager", "cy", "--rank", "7", "--db", cli_url])
    assert loop.exit_code == 1 and "report to themselves" in loop.output and "Traceback" not in loop.output
    site = open_site(cli_url)
    try:
        assert RecordService(site).get(SYSTEM, "user", cy)["rank"] == 3
        assert RecordService(site).get(SYSTEM, "user", bo)["rank"] is None
    finally:
        site.dispose()


def test_unlock_clears_a_username_lock(cli_url):
    from runtime.auth import LoginLocked

    assert runner.invoke(app, ["user", "create", "ida", "--password", "pw-1", "--db", cli_url]).exit_code == 0
    site = open_site(cli_url)
    try:
        auth = Authenticator(site)
        for _ in range(auth.settings.max_failures):
            try:
                auth.authenticate("ida", "wrong")
            except (InvalidCredentials, LoginLocked):
                pass
        try:
            auth.authenticate("ida", "pw-1")
        except LoginLocked:
            pass
        else:
            raise AssertionError("the username was not locked")
        unlocked = runner.invoke(app, ["user", "unlock", "ida", "--db", cli_url])
        assert unlocked.exit_code == 0 and "unlocked ida" in unlocked.stdout
        assert auth.authenticate("ida", "pw-1")
        assert "was not locked" in runner.invoke(app, ["user", "unlock", "ida", "--db", cli_url]).stdout
    finally:
        site.dispose()
