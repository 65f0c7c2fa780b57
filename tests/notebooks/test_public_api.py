"""The `lineage` façade: its public names change only on purpose, and `import lineage` stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lineage

PUBLIC = ["open_snapshot", "Snapshot", "draw_subdag", "ImpactResult", "BackfillResult", "impact_result",
          "backfill_result", "LineageGraph", "NodeId", "NodeInfo", "Impact", "compute_impact", "BackfillEstimate",
          "BackfillRequest", "BizdatePeriod", "estimate_backfill", "SnapshotStore", "default_data_dir",
          "LineageError", "SnapshotError", "UnknownNodeError", "workspace_colors", "workspace_color",
          "AmbiguousNodeError", "UnknownNodeNameError", "NotDownstreamError"]


def test_public_names_are_pinned():
    assert lineage.__all__ == PUBLIC


def test_every_public_name_resolves_to_the_engine_object():
    from lineage.backfill import estimate_backfill
    from lineage.impact import compute_impact

    assert all(getattr(lineage, name) is not None for name in PUBLIC)
    assert lineage.compute_impact is compute_impact and lineage.estimate_backfill is estimate_backfill
    assert set(PUBLIC) <= set(dir(lineage))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lineage.nope  # noqa: B018


def test_import_lineage_loads_neither_matplotlib_nor_networkx():
    code = ("import sys, lineage\n"
            "before = sorted(m for m in ('matplotlib', 'networkx', 'pandas', 'duckdb') if m in sys.modules)\n"
            "lineage.open_snapshot, lineage.Snapshot, lineage.draw_subdag, lineage.ImpactResult\n"
            "after = sorted(m for m in ('matplotlib', 'networkx') if m in sys.modules)\n"
            "print(before, after)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "[]"]


def test_dir_shows_the_api_and_nothing_else():
    """`dir(lineage)` is what an analyst reads in a notebook: no `Any`, `TYPE_CHECKING`, helpers or submodules."""
    code = ("import lineage\n"
            "lineage.open_snapshot, lineage.draw_subdag, lineage.estimate_backfill\n"   # submodules now imported
            "print(dir(lineage) == sorted(lineage.__all__))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True"]
    assert not {"Any", "TYPE_CHECKING", "import_module", "annotations"} & set(dir(lineage))
