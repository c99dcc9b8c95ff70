"""A notebook that shows a WidgetView and then updates it, executed for real with nbclient.

Shared by tests/test_static_output.py and tests/browser/test_static_output.py. nbclient stores
the widget state in the notebook metadata (``store_widget_state``), last value of each trait.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).parent.parent

XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
UPDATES = 30
FIRST_TITLE = "Draft 0"
LAST_TITLE = f"Final {UPDATES}"
# Drawn by markdown.js, which the view's code loads from its own saved model when it needs it.
MARKDOWN = "Shipped **in bold**"

CELLS = [
    f"""from chatkit_jupyter import show

def card(title):
    return {{"type": "Card", "children": [
        {{"type": "Title", "value": title}},
        {{"type": "Icon", "name": "lucide:rocket"}},
        {{"type": "Text", "value": {XSS!r}}},
        {{"type": "Markdown", "value": {MARKDOWN!r}}},
        {{"type": "Button", "label": "Refresh", "onClickAction": {{"type": "refresh"}}}},
    ]}}

view = show(card({FIRST_TITLE!r}))""",
    f"""for i in range(1, {UPDATES} + 1):
    view.update(card(f"Final {{i}}"))""",
]


def executed_notebook(folder: pathlib.Path) -> pathlib.Path:
    """Write, execute and save the notebook in ``folder``; return its path."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    env: dict[str, Any] = {**os.environ}
    # The kernel imports the package from this checkout, like the test process does.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute(env=env)
    path = folder / "static.ipynb"
    nbformat.write(nb, path)
    return path
