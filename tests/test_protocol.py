"""The Python and TypeScript halves agree: message kinds, hooks, URLs and the version."""

from __future__ import annotations

import json
import pathlib
import re

from chatkit_jupyter import __version__
from chatkit_jupyter import _protocol as p

JS = pathlib.Path(__file__).parent.parent / "js"


def _ts_constants() -> dict[str, str]:
    source = (JS / "src" / "protocol.ts").read_text()
    found = dict(re.findall(r'export const (\w+) = "([^"]*)";', source))
    api = found["API_URL"]
    found["UPLOAD_URL"] = api + re.search(r'UPLOAD_URL = API_URL \+ "([^"]*)"', source).group(1)  # type: ignore[union-attr]
    return found


def test_every_python_constant_is_mirrored_in_typescript() -> None:
    ts = _ts_constants()
    py = {k: v for k, v in vars(p).items() if k.isupper() and isinstance(v, str)}
    assert py == {k: ts[k] for k in py}
    assert set(ts) == set(py)


def test_kind_lists_match() -> None:
    source = (JS / "src" / "protocol.ts").read_text()
    for name in ("FROM_FRONTEND", "FROM_KERNEL", "HOOKS", "HANDLER_HOOKS"):
        listed = re.search(rf"export const {name} = \[([^\]]*)\]", source).group(1)  # type: ignore[union-attr]
        names = [x.strip() for x in listed.split(",") if x.strip()]
        assert tuple(getattr(p, n) for n in names) == getattr(p, name)


def test_python_and_js_versions_agree() -> None:
    package = json.loads((JS / "package.json").read_text())
    assert package["version"] == __version__
