"""Where the front-end bundles live (built from ``js/`` into ``chatkit_jupyter/static/``), and the
shared model that carries a bundle to the page once per kernel.

anywidget keeps a widget's ``_esm`` and ``_css`` in each model's state, and a notebook saved
with widget state holds every model: with the bundle as ``_esm``, each chat or view added its
whole code to the file. Our widgets' ``_esm`` is ``loader.js`` (about 1 kB) instead, and their
``_code`` trait points to a :class:`Code` model holding the bundle and its CSS, one per bundle per
kernel. The loader imports the code from there once per page.
"""

from __future__ import annotations

import hashlib
import pathlib

import traitlets
from ipywidgets import Widget, widget_serialization

STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"


def bundle(name: str) -> pathlib.Path:
    """The path of a built bundle, or an error that says how to build it."""
    path = STATIC / name
    if not path.exists():
        raise RuntimeError(
            f"chatkit-jupyter's front-end bundle {path} is missing. Build it with "
            "`npm install && npm run build` in the js/ folder, or reinstall the package."
        )
    return path


class Code(Widget):  # type: ignore[misc]  # ipywidgets is untyped
    """A front-end bundle (``name``: ``"widget"``, ``"view"``, ``"markdown"``) as page-side
    state, with no view of its own."""

    name = traitlets.Unicode().tag(sync=True)
    code = traitlets.Unicode().tag(sync=True)
    css = traitlets.Unicode().tag(sync=True)
    hash = traitlets.Unicode().tag(sync=True)
    """Of ``code`` and ``css``: the page imports each distinct bundle once, whichever kernel sent it."""
    parts = traitlets.Dict(value_trait=traitlets.Instance(Widget)).tag(
        sync=True, **widget_serialization
    )
    """Bundles the code imports when it first needs them, by name (``markdown``: marked and
    DOMPurify, which a first paint does not need)."""


# The parts each bundle may load later (js/src/render/md.ts).
_PARTS = {"widget": ("markdown",), "view": ("markdown",), "markdown": ()}


_shared: dict[str, tuple[float, Code]] = {}


def code_model(name: str) -> Code:
    """The kernel's one ``Code`` model for bundle ``name`` (``<name>.js`` + ``<name>.css``)."""
    path = bundle(f"{name}.js")
    mtime = path.stat().st_mtime
    mtime_model = _shared.get(name)
    # Widget.close_all() or a closed comm leaves a dead model, and a rebuilt bundle (`npm run
    # dev`) is new code: make a new one. Views shown before keep theirs.
    if mtime_model is None or mtime_model[0] != mtime or mtime_model[1].comm is None:
        code = path.read_text(encoding="utf-8")
        css_path = STATIC / f"{name}.css"
        css = css_path.read_text(encoding="utf-8") if css_path.exists() else ""
        digest = hashlib.sha256(f"{code}\0{css}".encode()).hexdigest()[:16]
        parts = {part: code_model(part) for part in _PARTS.get(name, ())}
        model = Code(name=name, code=code, css=css, hash=digest, parts=parts)
        _shared[name] = (mtime, model)
        return model
    return mtime_model[1]


def code_trait() -> traitlets.Instance[Code]:
    """The ``_code`` trait of a widget whose ``_esm`` is the loader."""
    return traitlets.Instance(Code).tag(sync=True, **widget_serialization)
