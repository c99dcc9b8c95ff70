"""Every notebook in notebooks/ runs top to bottom with no API key (the offline assistant)."""

from __future__ import annotations

import os
import pathlib
import shutil

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.notebooks


def test_there_are_notebooks() -> None:
    assert any(nb.name == "quickstart.ipynb" for nb in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_runs_offline(
    path: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        monkeypatch.delenv(var, raising=False)
    # Run in a copy so the notebook's .chatkit/ database lands in tmp, not in the repo; with the
    # folders beside it (widgets/*.widget), which notebooks open by relative path.
    shutil.copytree(
        path.parent,
        tmp_path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".chatkit", ".ipynb_checkpoints", "*.ipynb"),
    )
    work = tmp_path / path.name
    shutil.copy(path, work)
    nb = nbformat.read(work, as_version=4)
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(env={**os.environ})
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, errors
    # What a cell prints instead of raising: a magic's one-line error, a warning, a logged
    # exception. None of these fail the cell, and each one means the example is broken.
    printed = [
        (n, out.get("name"), out.get("text", ""))
        for n, cell in enumerate(nb.cells, 1)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
    ]
    assert [p for p in printed if p[1] == "stderr"] == []
    assert [p for p in printed if p[2].startswith(("%chatkit:", "%%chatkit_widget:"))] == []
    widget_views = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
    ]
    assert widget_views, "the notebook showed no chat widget"
