"""``jupyter nbconvert --to chatkit``: HTML in which each ``WidgetView`` shows its last state offline.

nbconvert's own HTML draws saved widgets with ``@jupyter-widgets/html-manager``, ``require.js``
and anywidget, all fetched from CDNs when the page opens: offline, a ``WidgetView`` stays blank.
This exporter is the ``lab`` HTML exporter plus one small inline script that draws each
``WidgetView`` from the notebook's saved widget state (its last ``widget`` and the view's own
code, which anywidget saves with it), with nothing fetched. Other widgets are left to
html-manager as before. The notebook needs saved widget state: ``jupyter nbconvert --execute``
saves it, and so does JupyterLab with *Settings > Save Widget State Automatically* on.
"""

from __future__ import annotations

import pathlib
from typing import Any

from nbconvert.exporters import HTMLExporter as _LabHTMLExporter
from nbformat import NotebookNode
from traitlets import default

TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"
EMBED = pathlib.Path(__file__).resolve().parent.parent / "static" / "embed.js"

__all__ = ["HTMLExporter"]


class HTMLExporter(_LabHTMLExporter):
    """nbconvert's HTML exporter (``lab`` template) that draws ``WidgetView`` outputs offline.

    Command line: ``jupyter nbconvert --to chatkit notebook.ipynb``. From Python::

        from chatkit_jupyter.export import HTMLExporter

        body, resources = HTMLExporter().from_filename("notebook.ipynb")
    """

    export_from_notebook = "HTML with ChatKit widgets"

    @default("template_name")
    def _template_name_default(self) -> str:
        return "chatkit"

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self) -> list[str]:
        return [str(TEMPLATES), *super()._default_extra_template_basedirs()]

    # nbconvert's HTMLExporter narrows the base Exporter's return type the same way.
    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        resources = {**(resources or {}), "chatkit_embed_js": _embed_script()}
        return super().from_notebook_node(nb, resources, **kw)


def _embed_script() -> str:
    if not EMBED.exists():
        raise RuntimeError(
            f"chatkit-jupyter's export script {EMBED} is missing. Build it with "
            "`npm install && npm run build` in the js/ folder, or reinstall the package."
        )
    text = EMBED.read_text(encoding="utf-8")
    # Inlined in a <script>: the bundle must not be able to end it early.
    if "</script" in text.lower() or "<!--" in text:
        raise RuntimeError(f"{EMBED} cannot be inlined in a <script> element.")
    return text
