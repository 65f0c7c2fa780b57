"""evaluator.evaluate: one code path, a verdict for every event, failures follow the policy."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from evaluator import evaluate as evaluate_module
from evaluator.checks import CHECKS
from evaluator.checks import derived
from evaluator.evaluate import evaluate, evaluate_message
from evaluator.events import EventParseError, parse_event
from evaluator.policy import parse_policy
from evaluator.verdict import TIP_LIMIT, Checkpoint, Status
from tests.evaluator.helpers import NOW, SYNCED, backfill, chain, graph, node, op, sample

DESIGN_KEYS = {"message_id", "event_code", "project_id", "result", "tip", "checkpoints", "impact", "backfill",
               "snapshot", "latency_ms"}
IMPACT_KEYS = {"nodes", "downstream_count", "max_depth", "cross_project_count", "baseline_ids",
               "high_priority_count", "owners"}
BACKFILL_KEYS = {"node_count", "dry_run_node_count", "bizdate_count", "instance_count", "run_instance_count",
                 "estimated_hours", "downstream_not_included_count"}


def test_verdict_json_has_the_design_shape():
    for data in (op("freeze-node", 1), backfill(1, [("2026-11-01", "2026-11-02")])):
        doc = json.loads(json.dumps(evaluate(parse_event(data), graph(*chain(2)), now=NOW).to_json()))
        assert DESIGN_KEYS <= set(doc)
        assert IMPACT_KEYS <= set(doc["impact"]) and BACKFILL_KEYS <= set(doc["backfill"])
        assert set(doc["snapshot"]) == {"id", "synced_at", "age_seconds"}
        assert all(set(c) == {"name", "status", "message", "facts", "doc_url"} for c in doc["checkpoints"])
        assert all(c["doc_url"] == f"/docs#{c['name']}" for c in doc["checkpoints"])
        assert doc["latency_ms"] > 0 and doc["snapshot"]["age_seconds"] == (NOW - SYNCED).total_seconds()


def test_not_applicable_summaries_are_empty_shaped():
    freeze = evaluate(parse_event(op("freeze-node", 1)), graph(*chain(2)), now=NOW).to_json()
    assert freeze["backfill"]["run_instance_count"] == 0 and freeze["impact"]["downstream_count"] == 2
    fill = evaluate(parse_event(backfill(1, [("2026-11-01", "2026-11-01")])), graph(*chain(2)), now=NOW).to_json()
    assert fill["impact"] == {k: ([] if k in ("nodes", "baseline_ids", "owners") else 0) for k in IMPACT_KEYS}


def test_a_failing_check_yields_the_on_error_status_with_the_reason():
    def exploding(event, graph, policy, now):
        raise RuntimeError("disk on fire")

    g = graph(*chain(2))
    verdict = evaluate(parse_event(op("freeze-node", 3)), g, checks=(exploding, *CHECKS), now=NOW)
    broken = verdict.checkpoint("exploding")
    assert broken.status is Status.FAIL and "RuntimeError: disk on fire" in broken.message   # on_error default
    assert verdict.result is Status.FAIL and "disk on fire" in verdict.tip
    lenient = parse_policy('on_error = "WARN"')
    assert evaluate(parse_event(op("freeze-node", 3)), g, lenient, checks=(exploding,), now=NOW).result is Status.WARN


def test_a_failure_in_the_lineage_engine_still_gives_a_verdict(monkeypatch):
    def broken(*args, **kwargs):
        raise MemoryError("graph too big")

    monkeypatch.setattr(derived, "compute_impact", broken)
    verdict = evaluate(parse_event(op("freeze-node", 1)), graph(*chain(2)), now=NOW)
    assert verdict.result is Status.FAIL and "MemoryError" in verdict.checkpoint("downstream-blocked").message
    assert verdict.to_json()["impact"]["downstream_count"] == 0


def test_shared_facts_are_computed_once_per_evaluation(monkeypatch):
    calls = []
    real = derived.compute_impact
    monkeypatch.setattr(derived, "compute_impact", lambda *a, **k: calls.append(1) or real(*a, **k))
    evaluate(parse_event(op("freeze-node", 1)), graph(*chain(2)), now=NOW)
    assert len(calls) == 1


def test_checks_can_be_chosen_by_the_caller():
    def always(event, graph, policy, now):
        return Checkpoint("always", Status.FAIL, "no")

    verdict = evaluate(parse_event(op("freeze-node", 1)), graph(*chain(2)), checks=(always,), now=NOW)
    assert [c.name for c in verdict.checkpoints] == ["always"] and verdict.tip == "FAIL: no"


def test_stale_snapshot_follows_on_stale():
    g = graph(*chain(1), synced_at=NOW - timedelta(hours=7))
    verdict = evaluate(parse_event(op("freeze-node", 2)), g, now=NOW)
    fresh = verdict.checkpoint("snapshot-freshness")
    assert fresh.status is Status.WARN and "7 h old (limit 6 h)" in fresh.message
    assert verdict.tip.startswith("WARNING: metadata snapshot is 7 h old")
    ok = parse_policy('on_stale = "OK"\nstaleness = "8h"\n')
    assert evaluate(parse_event(op("freeze-node", 2)), g, ok, now=NOW).result is Status.OK
    assert evaluate(parse_event(op("freeze-node", 2)), g, parse_policy('on_stale = "FAIL"'),
                    now=NOW).result is Status.FAIL


def test_hand_built_graph_without_sync_time_is_not_stale():
    verdict = evaluate(parse_event(op("freeze-node", 2)), graph(*chain(1), synced_at=None), now=NOW)
    assert verdict.checkpoint("snapshot-freshness").status is Status.OK and verdict.snapshot.age_seconds is None


def test_warn_goes_on_the_wire_per_warn_as_and_workspace_options():
    g = graph(*chain(2))
    event = parse_event(op("freeze-node", 1))
    assert evaluate(event, g, now=NOW).wire_result == "OK"
    assert evaluate(event, g, parse_policy('warn_as = "FAIL"'), now=NOW).wire_result == "FAIL"
    policy = parse_policy("use_extension_options = true")
    verdict = evaluate(event, g, policy, now=NOW, options={215001: '{"warn_as": "FAIL"}'})
    assert (verdict.result, verdict.wire_result) == (Status.WARN, "FAIL")
    assert evaluate(event, g, policy, now=NOW, options={7: '{"warn_as": "FAIL"}'}).wire_result == "OK"


def test_bad_workspace_options_are_reported_and_the_file_policy_applies():
    policy = parse_policy("use_extension_options = true")
    verdict = evaluate(parse_event(op("freeze-node", 3)), graph(*chain(2)), policy, now=NOW,
                       options={215001: '{"downstream-blocked": {"fial": 3}}'})
    checkpoint = verdict.checkpoint("policy-options")
    assert checkpoint.status is Status.FAIL and "did you mean 'fail'" in checkpoint.message   # on_error
    assert verdict.checkpoint("downstream-blocked").facts["fail_at"] == 200


@pytest.mark.parametrize("name", ["node-change-updated"])
def test_regular_events_get_an_ok_verdict_marked_ignored(name):
    verdict = evaluate(parse_event(sample(name)), graph(*chain(1)), now=NOW)
    assert verdict.ignored and verdict.result is Status.OK and verdict.wire_result == "OK"
    assert verdict.event_code == "node-change-updated" and "regular event" in verdict.tip


def test_unknown_codes_get_an_ok_verdict_with_the_reason():
    message = sample("freeze-node")
    message["data"]["eventCode"] = "pre-freeze-instance"
    verdict = evaluate_message(json.dumps(message), graph(*chain(1)), now=NOW)
    assert verdict.ignored and verdict.message_id == message["id"] and "instance operation" in verdict.tip


def test_evaluate_message_is_parse_plus_evaluate():
    g = graph(*chain(3))
    message = sample("freeze-node")
    message["data"]["nodeIds"] = [1]
    a = evaluate_message(json.dumps(message).encode(), g, now=NOW).to_json()
    b = evaluate(parse_event(message), g, now=NOW).to_json()
    a.pop("latency_ms"), b.pop("latency_ms")
    assert a == b
    with pytest.raises(EventParseError):
        evaluate_message(b"{", g)


def test_tip_stays_short_on_a_huge_fan_out():
    nodes = [node(0)] + [node(i, node_name="x" * 60 + str(i), priority=8, owner_id=f"o{i}", project_id=i)
                         for i in range(1, 400)]
    g = graph(nodes, [(0, i) for i in range(1, 400)], baselines={b: [b] for b in range(1, 50)})
    verdict = evaluate(parse_event(op("freeze-node", 0)), g, now=NOW)
    assert verdict.result is Status.FAIL and len(verdict.tip) <= TIP_LIMIT
    assert "\n" not in verdict.tip and "more)" in verdict.tip
    assert verdict.checkpoint("downstream-blocked").facts["blocked_node_ids"].size == 399


def test_verdict_module_is_the_single_entry_point():
    assert evaluate_module.__all__ == ["evaluate", "evaluate_message", "ProjectOptions"]


def test_public_surfaces_change_only_on_purpose():
    import evaluator.events
    import evaluator.policy
    import evaluator.verdict

    assert evaluator.events.__all__ == ["EventCode", "Envelope", "NodeOperation", "Backfill", "NodeChanged", "Ignored",
                                        "Unreadable", "Event", "EventIdentity", "parse_event", "EventParseError",
                                        "MalformedEvent", "MissingField", "WrongType", "InvalidValue", "LIMITS"]
    assert evaluator.policy.__all__ == ["Policy", "Rule", "PolicyError", "load_policy", "default_policy",
                                        "parse_policy", "read_extension_options", "policy_from_mapping"]
    assert evaluator.verdict.__all__ == ["Status", "Checkpoint", "SnapshotInfo", "Verdict", "worst", "make_tip",
                                         "jsonable", "doc_url", "EMPTY_IMPACT", "EMPTY_BACKFILL", "TIP_LIMIT",
                                         "json_text"]


def test_a_disabled_rule_leaves_its_checkpoint_out():
    policy = parse_policy("[downstream-blocked]\nenabled = false\n[snapshot-freshness]\nenabled = false\n")
    verdict = evaluate(parse_event(op("freeze-node", 1)), graph(*chain(2)), policy, now=NOW)
    names = {c.name for c in verdict.checkpoints}
    assert "downstream-blocked" not in names and "snapshot-freshness" not in names
    assert "other-owners-downstream" in names
