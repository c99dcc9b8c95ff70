"""Where the front-end bundles live (built from ``js/`` into ``chatkit_jupyter/static/``)."""

from __future__ import annotations

import pathlib

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
