"""evaluator.policy: thresholds, workspace overrides, exemptions, extension options, bad files."""

from __future__ import annotations

from datetime import timedelta

import pytest

from evaluator.policy import PolicyError, Rule, default_policy, load_policy, parse_policy, policy_from_mapping
from evaluator.verdict import Status


def test_default_policy_ships_every_rule_enabled_with_sane_thresholds():
    policy = default_policy()
    assert policy.staleness == timedelta(hours=6)
    assert (policy.on_stale, policy.on_error, policy.warn_as) == (Status.WARN, Status.FAIL, Status.OK)
    assert (policy.on_timeout, policy.judge_budget_seconds) == (Status.FAIL, 10.0)
    assert (policy.rule("downstream-blocked").warn, policy.rule("downstream-blocked").fail) == (1, 200)
    assert (policy.rule("backfill-volume").warn, policy.rule("backfill-volume").fail) == (2000, 20000)
    assert (policy.rule("backfill-hours").warn, policy.rule("backfill-hours").fail) == (50, 500)
    assert policy.rule("backfill-span").warn == 32
    assert policy.rule("downstream-orphaned").fail == 1
    assert policy.rule("cross-workspace-downstream").fail is None
    assert all(rule.enabled for rule in policy.rules.values())
    assert policy.default_runtime_seconds == 600 and policy.high_priority == 7


@pytest.mark.parametrize("measure, status", [(0, Status.OK), (1, Status.WARN), (199, Status.WARN),
                                             (200, Status.FAIL), (10**6, Status.FAIL)])
def test_thresholds_are_inclusive(measure, status):
    assert Rule("r", warn=1, fail=200).grade(measure) is status


def test_off_disables_a_threshold():
    policy = parse_policy('[downstream-blocked]\nfail = "off"\n')
    assert policy.rule("downstream-blocked").grade(10**9) is Status.WARN
    assert policy.rule("downstream-blocked").warn == 1  # untouched keys keep the default


def test_a_file_only_needs_what_it_changes(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('warn_as = "FAIL"\nstaleness = "90m"\n[backfill-volume]\nwarn = 10\n', encoding="utf-8")
    policy = load_policy(path)
    assert policy.warn_as is Status.FAIL and policy.staleness == timedelta(minutes=90)
    assert (policy.rule("backfill-volume").warn, policy.rule("backfill-volume").fail) == (10, 20000)
    assert policy.source == str(path)


def test_workspace_overrides_apply_to_that_workspace_only():
    policy = parse_policy('[projects.215001]\nwarn_as = "FAIL"\n[projects.215001.downstream-blocked]\nfail = 500\n')
    mine, other = policy.for_project(215001), policy.for_project(42)
    assert mine.rule("downstream-blocked").fail == 500 and mine.warn_as is Status.FAIL
    assert other.rule("downstream-blocked").fail == 200 and other.warn_as is Status.OK
    assert mine.rule("downstream-blocked").warn == 1


def test_exempt_operators_per_rule_and_globally():
    policy = parse_policy('exempt_operators = ["oncall"]\n[backfill-volume]\nexempt_operators = ["ann", 42]\n')
    volume, hours = policy.rule("backfill-volume"), policy.rule("backfill-hours")
    assert policy.is_exempt(volume, "ann") and policy.is_exempt(volume, "42") and policy.is_exempt(volume, "oncall")
    assert not policy.is_exempt(hours, "ann") and policy.is_exempt(hours, "oncall")
    assert not policy.is_exempt(volume, None)


def test_extension_options_override_when_enabled():
    options = '{"warn_as": "FAIL", "backfill-volume": {"warn": 5}}'
    off = default_policy().for_project(7, options)
    assert off.rule("backfill-volume").warn == 2000  # use_extension_options = false: ignored
    on = parse_policy("use_extension_options = true\n").for_project(7, options)
    assert on.rule("backfill-volume").warn == 5 and on.warn_as is Status.FAIL


def test_extension_options_win_over_the_workspace_table_and_may_be_nested():
    policy = parse_policy("use_extension_options = true\n[projects.7.backfill-volume]\nwarn = 100\n")
    assert policy.for_project(7, {"opsguard": {"backfill-volume": {"warn": 3}}}).rule("backfill-volume").warn == 3
    assert policy.for_project(7, "").rule("backfill-volume").warn == 100


@pytest.mark.parametrize("options, text", [
    ("{bad json", "not valid JSON"),
    ("[1]", "expected a JSON object"),
    ('{"backfill-volum": {"warn": 1}}', "did you mean 'backfill-volume'"),
    ('{"backfill-volume": {"warn": "x"}}', 'expected a number >= 0 or "off"'),
    ('{"backfill-volume": {"warn": 30000}}', "warn (30000) is above fail (20000)"),
])
def test_invalid_extension_options_raise_policy_error_naming_the_workspace(options, text):
    policy = parse_policy("use_extension_options = true\n")
    with pytest.raises(PolicyError, match="extension options of workspace 7|workspace 7") as info:
        policy.for_project(7, options)
    assert text in str(info.value)


@pytest.mark.parametrize("text, line, key, reason", [
    ('warn_as = "OK"\n[backfill-volume\nwarn = 1\n', 2, None, "TOML syntax error"),
    ('\n\n[backfill-volume]\nwarn = 1\nwran = 2\n', 5, "backfill-volume.wran", "unknown key"),
    ('on_stal = "OK"\n', 1, "on_stal", "did you mean 'on_stale'"),
    ('[no-such-check]\nwarn = 1\n', 1, "no-such-check", "unknown key"),
    ('[backfill-hours]\nwarn = "lots"\n', 2, "backfill-hours.warn", 'expected a number >= 0 or "off"'),
    ('[backfill-hours]\nenabled = "yes"\n', 2, "backfill-hours.enabled", "expected true or false"),
    ('[backfill-hours]\nwarn = -1\n', 2, "backfill-hours.warn", "expected a number"),
    ('[backfill-hours]\nexempt_operators = "ann"\n', 2, "backfill-hours.exempt_operators", "list of operator"),
    ('high_priority = "7"\n', 1, "high_priority", "expected a number, got a string"),
    ('use_extension_options = 1\n', 1, "use_extension_options", "expected a boolean"),
    ('on_error = "MAYBE"\n', 1, "on_error", "expected one of OK, WARN, FAIL"),
    ('warn_as = "WARN"\n', 1, "warn_as", "expected one of OK, FAIL"),
    ('staleness = "soon"\n', 1, "staleness", "expected a duration"),
    ('timezone = "Asia/Shanghai"\n', 1, "timezone", "UTC offset"),
    ('backfill-volume = 3\n', 1, "backfill-volume", "expected a table"),
    ('[backfill-volume]\nwarn = 30000\n', 2, "backfill-volume.warn", "warn (30000) is above fail (20000)"),
    ('[projects.x]\nwarn_as = "OK"\n', 1, "projects.x", "numeric id"),
    ('[projects.7.backfill-volume]\nwarn = 30000\n', 2, "projects.7.backfill-volume.warn", "above fail"),
    ('[projects.7]\nprojects = {}\n', 2, "projects.7.projects", "unknown key"),
])
def test_invalid_policy_files_name_file_line_and_key(tmp_path, text, line, key, reason):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    error = info.value
    assert (error.line, error.key) == (line, key)
    assert reason in str(error)
    assert str(error).startswith(f"{path}:{line}: ")


def test_unreadable_policy_file(tmp_path):
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "missing.toml")


def test_policy_from_a_config_table():
    policy = policy_from_mapping({"projects": {"7": {"backfill-span": {"warn": 3}}}}, "opsguard.toml [policy]")
    assert policy.for_project(7).rule("backfill-span").warn == 3


def test_policies_execute_nothing():
    with pytest.raises(PolicyError):
        parse_policy('[backfill-volume]\nwarn = "__import__(\'os\').system(\'true\')"\n')


def test_every_rule_in_the_default_policy_has_a_check():
    from evaluator.checks import CHECKS, check_name

    assert {check_name(c) for c in CHECKS} == set(default_policy().rules)


def test_an_override_lowering_only_fail_lowers_warn_with_it():
    policy = parse_policy("[projects.5.backfill-volume]\nfail = 100\n")
    assert (policy.for_project(5).rule("backfill-volume").warn, policy.for_project(5).rule("backfill-volume").fail) \
        == (100, 100)


def test_extension_options_in_flat_form_and_the_demo_workspace_aliases():
    policy = parse_policy("use_extension_options = true\n")
    flat = policy.for_project(7, '{"backfill-hours.warn": 5}')
    assert flat.rule("backfill-hours").warn == 5
    demo = policy.for_project(215001, '{"warnAsFail": true, "backfill.max_run_instances": 5000, '
                                      '"impact.max_downstream": 500}')
    assert demo.warn_as is Status.FAIL
    assert demo.rule("backfill-volume").fail == 5001 and demo.rule("downstream-blocked").fail == 501


def test_the_demo_workspace_options_are_valid_policy_overrides():
    from sandbox.workspace import generate_workspace

    policy = parse_policy("use_extension_options = true\n")
    for project_id, options in generate_workspace(300, seed=7, days=0)["options"].items():
        applied = policy.for_project(int(project_id), options)
        assert applied.rule("backfill-volume").fail in {2000, 5000, 10000}
        assert applied.warn_as in {Status.OK, Status.FAIL}
