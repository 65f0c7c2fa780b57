"""The analysts' notebooks run top to bottom on a freshly generated demo snapshot, draw their charts, and
name nodes by name in their code and their outputs.

The notebooks find the data like every `opsguard` command: `$OPSGUARD_HOME`, here a temporary data dir.
Executed copies (with outputs and PNGs) are kept under `test-artifacts/notebooks/` for humans.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = REPO / "test-artifacts" / "notebooks"
MIN_PNG_BYTES = 5_000
#: notebook → charts it must render (pictures of the sub-DAG and matplotlib charts)
CHARTS = {"lineage_explorer.ipynb": 5, "backfill_planner.ipynb": 2, "freeze_starvation.ipynb": 2}
#: notebook → texts its outputs must show: the nodes by name, a dependency path spelled out in names
SHOWN = {"lineage_explorer.ipynb": ("ods_trade_order_di → ", "dwd_trade_order_detail_di", "critical path of a bizdate: "),
         "backfill_planner.ipynb": ("root ods_trade_order_di (700000000101", "dwd_trade_order_detail_di",
                                    "ods_trade_order_di → "),
         "freeze_starvation.ipynb": ("freeze of ods_trade_order_di (dw_trade, owner Li Na)", "ods_trade_order_di → ",
                                     "team nodes starve")}


def test_every_notebook_is_checked():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(CHARTS)


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_notebook_is_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_notebook_imports_only_lineage_of_our_packages(name):
    """docs/contract.md layout: `notebooks/` may import only `lineage` (and third-party libraries)."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    ours = set(re.findall(r"^\s*(?:from|import)\s+(evaluator|sandbox|sql|lineage|bench|tests)\b", source, re.M))
    assert ours == {"lineage"}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_notebook_code_names_nodes_never_by_a_literal_id(name):
    """Analysts write names; ids come from the snapshot (a 9+ digit literal outside comments is an id)."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = "\n".join(line.split("#", 1)[0] for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines())
    assert not re.findall(r"\b\d{9,}\b", code)


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_notebook_runs_on_the_demo_snapshot_and_renders_its_charts(name, demo_home, monkeypatch, tmp_path):
    monkeypatch.setenv("OPSGUARD_HOME", str(demo_home))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=False,
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()  # raises CellExecutionError naming the cell when any cell fails
    finally:
        _keep(nb, name)
    pngs = [base64.b64decode(out.data["image/png"]) for cell in nb.cells if cell.cell_type == "code"
            for out in cell.outputs if "image/png" in out.get("data", {})]
    assert len(pngs) >= CHARTS[name], f"{name}: {len(pngs)} PNG charts, expected {CHARTS[name]}"
    assert all(png.startswith(b"\x89PNG") and len(png) > MIN_PNG_BYTES for png in pngs), [len(p) for p in pngs]
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error" or out.get("name") == "stderr"]
    assert not errors, errors
    _assert_outputs_name_the_nodes(nb, SHOWN[name])
    if name == "backfill_planner.ipynb":
        _assert_ends_with_a_working_backfill_command(nb)


def _assert_outputs_name_the_nodes(nb: nbformat.NotebookNode, shown: tuple[str, ...]) -> None:
    """The outputs show `shown`, and every table that lists node ids lists their names beside them."""
    texts = [out.get("text", "") + out.get("data", {}).get("text/plain", "") for cell in nb.cells
             if cell.cell_type == "code" for out in cell.outputs]
    tables = [out["data"]["text/html"] for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if "text/html" in out.get("data", {})]
    everything = "\n".join(texts + tables)
    assert all(text in everything for text in shown), [t for t in shown if t not in everything]
    with_ids = [t for t in tables if "<th>node_id</th>" in t]
    assert all("<th>node_name</th>" in t for t in with_ids)
    with_owners = [t for t in tables if "<th>owner_id</th>" in t]
    assert all("<th>owner</th>" in t for t in with_owners)             # owners by name beside their ids
    assert not re.search(r"\bowner \d{9,}", everything)                # no owner shown as a bare user id


def _assert_ends_with_a_working_backfill_command(nb: nbformat.NotebookNode) -> None:
    """The planner's last output is the `opsguard backfill` command of the chosen option, and it runs."""
    from typer.testing import CliRunner

    import opsguard.cli  # noqa: F401  (registers the commands)
    from opsguard.cli.app import app

    last = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs][-1]
    words = shlex.split(last.text.strip())
    assert words[:2] == ["opsguard", "backfill"] and "--include" in words
    done = CliRunner().invoke(app, [*words[1:], "--json"])  # OPSGUARD_HOME is still the demo data dir
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["selection_mode"] == "explicit"


def _keep(nb: nbformat.NotebookNode, name: str) -> None:
    """Save the executed copy and its PNGs under test-artifacts/ (gitignored) for humans to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, ARTIFACTS / name)
    k = 0
    for cell in nb.cells:
        for out in cell.get("outputs", ()):
            if "image/png" in out.get("data", {}):
                k += 1
                (ARTIFACTS / f"{Path(name).stem}-{k}.png").write_bytes(base64.b64decode(out.data["image/png"]))
