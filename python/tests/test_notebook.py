"""The tutorial notebook (examples/tutorial.ipynb) runs top to bottom in a real Jupyter kernel
(nbclient and ipykernel), and is kept in git without outputs."""
import json
import os

import pytest

NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial.ipynb")


def test_notebook_is_stored_without_outputs():
    with open(NOTEBOOK) as f:
        cells = json.load(f)["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code, "the notebook has no code"
    for i, cell in enumerate(code):
        assert cell["outputs"] == [] and cell["execution_count"] is None, f"code cell {i} keeps its outputs"


def test_notebook_runs_in_a_jupyter_kernel():
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel is this Python's (ipykernel's own kernelspec); the examples' directory is its cwd.
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": os.path.dirname(NOTEBOOK)}})
    client.execute()  # raises CellExecutionError naming the cell that failed
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    plots = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.data]
    assert len(plots) >= 4, "the notebook's plots are missing"
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "correlation: True" in text and "temporal_interlace: True" in text
    assert "online equals offline: True" in text
