"""The front-end code: size budgets of the built bundles, one shared copy of the code per kernel
(what a notebook saved with widget state grows by per view), and lucide icons on demand."""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from chatkit_jupyter import ChatKitWidget, WidgetView
from chatkit_jupyter.widget import _icons

ROOT = pathlib.Path(__file__).parent.parent
STATIC = ROOT / "chatkit_jupyter" / "static"
STATE = "application/vnd.jupyter.widget-state+json"
ROCKET_FIRST_PATH = "M12 15v5s3.03-.55 4-2c1.08-1.62 0-5 0-5"

# Minified bytes. The chat's first paint needs widget.js, a WidgetView view.js; markdown.js comes
# after (md.ts), lucide icons beyond the bundled ones from the kernel (icons.ts).
BUDGETS = {"widget.js": 300_000, "view.js": 150_000, "loader.js": 2_000}
PER_VIEW = 50_000


@pytest.mark.parametrize(("name", "budget"), BUDGETS.items())
def test_bundles_fit_their_budgets(name: str, budget: int) -> None:
    size = (STATIC / name).stat().st_size
    assert size <= budget, f"{name} is {size:,} bytes, over its {budget:,} budget"


# marked's error for a missing input, DOMPurify's option name, and one of lucide's 1,500 icons
# that no bundle carries.
MARKED = "input parameter is undefined or null"
DOMPURIFY = "ALLOWED_TAGS"


def test_marked_dompurify_and_lucide_stay_out_of_the_first_paint_code() -> None:
    for name in ("widget.js", "view.js"):
        code = (STATIC / name).read_text(encoding="utf-8")
        assert MARKED not in code, name
        assert DOMPURIFY not in code, name
        assert ROCKET_FIRST_PATH not in code, name
    markdown = (STATIC / "markdown.js").read_text(encoding="utf-8")
    assert MARKED in markdown
    assert DOMPURIFY in markdown


def test_views_of_a_kind_share_one_code_model_that_carries_the_bundle() -> None:
    a, b = (
        WidgetView({"type": "Card", "children": []}),
        WidgetView({"type": "Card", "children": []}),
    )
    chat = ChatKitWidget(renderer="lite")
    try:
        assert a._esm == b._esm == chat._esm == (STATIC / "loader.js").read_text()
        assert a._code is b._code
        assert a._code.name == "view"
        assert chat._code.name == "widget"
        assert a._code.code == (STATIC / "view.js").read_text()
        assert a._code.css == (STATIC / "view.css").read_text()
        assert chat._code.code == (STATIC / "widget.js").read_text()
        # Both kinds load the same markdown part.
        assert a._code.parts["markdown"] is chat._code.parts["markdown"]
        assert a._code.parts["markdown"].code == (STATIC / "markdown.js").read_text()
        assert a._code.hash != chat._code.hash
        # The view's state names the code model; it does not hold the code.
        state = a.get_state()
        assert state["_code"] == f"IPY_MODEL_{a._code.model_id}"
        assert len(json.dumps(state)) < 5_000
    finally:
        for w in (a, b, chat):
            w.close()


def test_a_closed_code_model_is_replaced() -> None:
    view = WidgetView({"type": "Card", "children": []})
    old = view._code
    old.close()
    fresh = WidgetView({"type": "Card", "children": []})
    assert fresh._code is not old
    assert fresh._code.comm is not None
    view.close()
    fresh.close()


def test_a_rebuilt_bundle_gets_a_new_code_model() -> None:
    first = WidgetView({"type": "Card", "children": []})
    path = STATIC / "view.js"
    stat = path.stat()
    try:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        second = WidgetView({"type": "Card", "children": []})
        assert second._code is not first._code
        # The markdown part did not change: still the one model.
        assert second._code.parts["markdown"] is first._code.parts["markdown"]
    finally:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    first.close()
    second.close()


def test_the_icons_hook_sends_known_lucide_icons_only() -> None:
    got = _icons.icon_nodes(["lucide:rocket", "lucide:Rocket", "lucide:no-such", "bolt", 3])
    assert set(got) == {"lucide:rocket", "lucide:Rocket"}
    assert got["lucide:rocket"][0] == ["path", {"d": ROCKET_FIRST_PATH}]
    assert len(_icons.icon_nodes(["lucide:rocket"] * 500)) == 1
    with pytest.raises(ValueError, match="names"):
        _icons.icon_nodes("lucide:rocket")


@pytest.mark.asyncio
async def test_a_chat_answers_the_icons_hook_and_sends_its_options_icons() -> None:
    chat = ChatKitWidget(
        renderer="lite",
        options={
            "startScreen": {"prompts": [{"label": "Go", "prompt": "go", "icon": "lucide:rocket"}]}
        },
    )
    try:
        assert list(chat.icons) == ["lucide:rocket"]
        got = await chat._dispatch_hook("icons", {"names": ["lucide:anchor"]})
        assert list(got) == ["lucide:anchor"]
        chat.options = {}
        assert chat.icons == {}
    finally:
        chat.close()


def _saved_size(folder: pathlib.Path, chats: int, views: int) -> int:
    """Bytes of a notebook executed with ``chats`` chats and ``views`` views, widget state saved."""
    show = [
        "from chatkit_jupyter import ChatKitWidget, show\nfrom IPython.display import display",
        *[f'display(ChatKitWidget(renderer="lite", height={400 + i}))' for i in range(chats)],
        *[
            f'show({{"type": "Card", "children": [{{"type": "Title", "value": "v{i}"}}]}})'
            for i in range(views)
        ],
    ]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in show]
    env: dict[str, Any] = {**os.environ}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute(env=env)
    path = folder / f"n{chats}-{views}.ipynb"
    nbformat.write(nb, path)
    state = nb.metadata.widgets[STATE]["state"]
    # Each kind's code is saved once, however many views there are.
    codes = [m["state"]["name"] for m in state.values() if "hash" in m["state"]]
    assert sorted(codes) == sorted({"widget", "view", "markdown"} & set(codes))
    return path.stat().st_size


def test_a_saved_notebook_grows_little_per_additional_view(tmp_path: pathlib.Path) -> None:
    one = _saved_size(tmp_path, chats=1, views=1)
    four = _saved_size(tmp_path, chats=4, views=4)
    per_view = (four - one) / 6
    assert per_view <= PER_VIEW, f"{per_view:,.0f} bytes per additional view"
    # The first views carry the code once (widget.js, view.js, markdown.js and CSS).
    assert one > (STATIC / "widget.js").stat().st_size
