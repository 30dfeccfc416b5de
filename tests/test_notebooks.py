"""The learners' notebooks in examples/notebooks run top to bottom (issue 18 part 3).

Each is executed by `nbclient` in a real Jupyter kernel with `QUICK=1` (a small budget) and
must finish without an error and show its figures (PNG or SVG outputs). Their outputs are
stripped in git: the files carry code and text only.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples" / "notebooks").glob("*.ipynb"))
MNIST = ROOT.parent / "shared" / "data" / "mnist"
FIGURES = {"01_backprop_graph": 2, "02_optimizers_and_init": 2, "03_overfitting": 2,
           "04_cnn_lenet": 2}


def test_four_notebooks_with_outputs_stripped() -> None:
    assert [p.stem for p in NOTEBOOKS] == sorted(FIGURES)
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_draws(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if "mnist" in path.read_text().lower() and not (MNIST / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("MNIST files not available")
    monkeypatch.setenv("QUICK", "1")
    monkeypatch.setenv("TRACEGRAD_DATA", str(MNIST))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError naming the cell on any error
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if o.get("output_type") in ("display_data", "execute_result")
               and ({"image/png", "image/svg+xml"} & set(o.get("data", {})))]
    assert len(figures) >= FIGURES[path.stem], f"{path.name}: {len(figures)} figures"
