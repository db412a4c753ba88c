"""``tessera formula check`` and ``tessera formula eval`` through the real CLI app."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from admin_ui.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["formula", *args])


@pytest.mark.parametrize(
    ("args", "output"),
    [
        (["check", "0.1 + 0.2 = 0.3"], "boolean"),
        (["check", "amount * 2", "--record", '{"amount": 1.5}'], "number"),
        (["check", "ISCHANGED(a)", "--context", "validation", "--record", '{"a": 1}'], "boolean"),
        (["check", "owner.name & \"!\"", "--record", '{"owner": {"name": "Ann"}}'], "text"),
    ],
)
def test_check_prints_the_result_type(args, output):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == output


def test_check_reports_position_caret_and_hint_on_stderr():
    result = invoke("check", "clse + 1", "--record", '{"close": "2024-01-01"}')
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "1:1: unknown field 'clse' on record",
        "clse + 1",
        "^^^^",
        "hint: did you mean 'close'?",
    ]


def test_check_reports_every_error():
    result = invoke("check", "a < b < c")
    assert result.exit_code == 1
    assert result.stderr.startswith("1:7: unexpected '<'")
    result = invoke("check", "IF(x, y, FOOO(1))", "--record", "{}")
    assert result.exit_code == 1
    positions = [line.split(": ")[0] for line in result.stderr.splitlines() if line[:1].isdigit()]
    assert positions == ["1:4", "1:7", "1:10"]


def test_check_refuses_functions_outside_their_context():
    result = invoke("check", "ISNEW()", "--context", "field")
    assert result.exit_code == 1
    assert "ISNEW is not available in formula fields" in result.stderr


@pytest.mark.parametrize(
    ("args", "output"),
    [
        (["eval", "0.1 + 0.2"], "0.3"),
        (["eval", "0.1 + 0.2 = 0.3"], "true"),
        (["eval", "1 / 4"], "0.25"),
        (["eval", "10 * 10"], "100"),
        (["eval", "amount * 3", "--record", '{"amount": 0.1}'], "0.3"),
        (["eval", "LEFT(name, 3)", "--record", '{"name": "销售易CRM"}'], '"销售易"'),
        (["eval", "d + 1", "--record", '{"d": "2024-02-28"}'], '"2024-02-29"'),
        (["eval", "t + 1", "--record", '{"t": "2024-02-28T10:00:00Z"}'], '"2024-02-29T10:00:00Z"'),
        (["eval", "t + 1", "--record", '{"t": "2024-02-28T18:00:00+08:00"}'], '"2024-02-29T10:00:00Z"'),
        (["eval", 'TIMEVALUE("08:30:00")'], '"08:30:00"'),
        (["eval", "note", "--record", '{"note": ""}'], "null"),
        (["eval", "n + 1", "--record", '{"n": null}'], "null"),
        (["eval", "n + 1", "--record", '{"n": null}', "--blank-as", "zero"], "1"),
        (["eval", "ISNEW()"], "true"),
        (["eval", "ISCHANGED(a)", "--record", '{"a": 1}', "--prior", '{"a": 2}'], "true"),
        (["eval", "PRIORVALUE(a)", "--record", '{"a": 1}', "--prior", '{"a": 2}'], "2"),
        (["eval", 'INCLUDES(tags, "x")', "--record", '{"tags": ["x", "y"]}'], "true"),
        (["eval", "owner.manager.name", "--record", '{"owner": {"manager": {"name": "Bob"}}}'], '"Bob"'),
    ],
)
def test_eval_prints_json(args, output):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == output
    json.loads(result.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "1 / 0"], "1:1: division by zero"),
        (["eval", "x", "--record", "{bad"], "error: --record is not valid JSON"),
        (["eval", "x", "--record", "[1, 2]"], "error: --record must be a JSON object"),
        (["eval", "x", "--prior", "nope"], "error: --prior is not valid JSON"),
        (["eval", "1", "--blank-as", "none"], "error: --blank-as must be blank or zero"),
        (["eval", "1", "--context", "sometimes"], "error: --context must be one of"),
        (["eval", "a + 1", "--record", '{"a": "x"}'], "'+' cannot combine text and number(0)"),
        (["eval", "9 ^ 9 ^ 9"], "power is out of range"),
        (["eval", "(" * 300 + "1" + ")" * 300], "parentheses nest more than"),
    ],
)
def test_eval_errors_go_to_stderr_without_traceback(args, message):
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_object_option_reports_missing_or_broken_metadata_cleanly(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "metadata.registry", None)
    result = invoke("check", "amount", "--object", "thing")
    assert result.exit_code == 1
    assert "object metadata is not available" in result.stderr


def test_object_option_uses_the_standard_resolver(monkeypatch):
    import sys
    import types

    from formula import DictResolver

    module = types.ModuleType("metadata.registry")
    module.standard_resolver = lambda: DictResolver({"thing": {"amount": "currency(2)"}})
    monkeypatch.setitem(sys.modules, "metadata.registry", module)
    assert invoke("check", "amount * 2", "--object", "thing").stdout.strip() == "currency(2)"
    assert invoke("eval", "amount * 2", "--object", "thing", "--record", '{"amount": 1.25}').stdout.strip() == "2.5"
    unknown = invoke("check", "amount", "--object", "nothing")
    assert unknown.exit_code == 1 and "unknown object 'nothing'" in unknown.stderr


def test_object_option_reads_the_shipped_metadata():
    assert invoke("check", "amount * 2", "--object", "opportunity").stdout.strip() == "currency(2)"
    assert invoke("check", "owner.department.name", "--object", "opportunity").stdout.strip() == "text"
    wrong = invoke("check", "clse_date + 1", "--object", "opportunity")
    assert wrong.exit_code == 1
    assert wrong.stderr.splitlines() == [
        "1:1: unknown field 'clse_date' on opportunity",
        "clse_date + 1",
        "^^^^^^^^^",
        "hint: did you mean 'close_date'?",
    ]


@pytest.mark.parametrize(
    ("args", "output"),
    [
        # record values are read as the object's field types say, not guessed from the JSON
        (["close_date + 1", "--record", '{"close_date": "2024-02-28"}'], '"2024-02-29"'),
        (["amount * 3", "--record", '{"amount": "0.1"}'], "0.3"),
        (["ISCHANGED(amount)", "--record", '{"amount": 2}', "--prior", '{"amount": 1}', "--context", "validation"], "true"),
        (["amount + 1", "--record", "{}", "--blank-as", "zero"], "1"),
        (["amount + 1", "--record", "{}"], "null"),
    ],
)
def test_eval_with_an_object(args, output):
    result = invoke("eval", args[0], "--object", "opportunity", *args[1:])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == output


def test_object_context_rules_apply():
    result = invoke("check", "account.name", "--object", "opportunity", "--context", "default")
    assert result.exit_code == 1
    assert result.stderr.startswith("1:1: default values cannot reference other records' fields")
    bad_value = invoke("eval", "amount * 3", "--object", "opportunity", "--record", '{"amount": "abc"}')
    assert bad_value.exit_code == 1
    assert bad_value.stderr.startswith("1:1: amount holds 'abc', not a number")


@pytest.mark.parametrize(
    ("args", "output"),
    [
        (["eval", "-0.5 * 2"], "-1"),
        (["eval", "1 / 10000000"], "0.0000001"),
        (["eval", "10 ^ 20"], "100000000000000000000"),
        (["eval", "tags", "--record", '{"tags": ["a", "b"]}'], '["a", "b"]'),
        (["eval", 'DATETIMEVALUE("2024-01-02 03:04:05")'], '"2024-01-02T03:04:05Z"'),
        (["check", "-amount", "--record", '{"amount": 1}'], "number"),
    ],
)
def test_formulas_starting_with_a_minus_and_number_formatting(args, output):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == output


def test_unknown_options_are_still_refused():
    result = invoke("eval", "1", "--bogus")
    assert result.exit_code != 0
    assert result.stdout == ""


def test_eval_gives_today_in_the_time_zone_asked_for():
    import datetime as dt
    from zoneinfo import ZoneInfo

    # 26 hours apart: these two zones never share a date
    results = {}
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12", "UTC"):
        before = dt.datetime.now(ZoneInfo(zone)).date().isoformat()
        result = invoke("eval", "TODAY()", *(["--time-zone", zone] if zone != "UTC" else []))
        after = dt.datetime.now(ZoneInfo(zone)).date().isoformat()
        assert result.exit_code == 0, result.output
        results[zone] = json.loads(result.stdout)
        assert results[zone] in (before, after)
    assert results["Pacific/Kiritimati"] != results["Etc/GMT+12"]
    refused = invoke("eval", "TODAY()", "--time-zone", "Mars/Olympus")
    assert refused.exit_code == 1 and "not a time zone" in refused.stderr
