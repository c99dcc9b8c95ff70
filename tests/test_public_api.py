"""The public API: what ``chatkit_jupyter`` exports, what importing it costs, and that nothing a
user reads (notebooks, bench, README, docstrings, messages) points into a private module."""

from __future__ import annotations

import ast
import importlib
import json
import pathlib
import re
import subprocess
import sys

import pytest

import chatkit_jupyter

ROOT = pathlib.Path(__file__).parent.parent
PACKAGE = ROOT / "chatkit_jupyter"

PRIVATE = re.compile(r"chatkit_jupyter(?:\.[a-z]\w*)*\._\w+")
"""``chatkit_jupyter._x`` or ``chatkit_jupyter.<sub>._x`` (``__version__`` is public)."""
DOTTED = re.compile(r"chatkit_jupyter(?:\.\w+)+")


def _private(text: str) -> list[str]:
    return [m for m in PRIVATE.findall(text) if not m.endswith(".__version__")]


def _package_strings() -> dict[str, list[str]]:
    """Every string constant (docstrings, messages) in the package's modules."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        found[str(path.relative_to(ROOT))] = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
    return found


def _readme_code() -> str:
    return "\n".join(re.findall(r"```[a-z]*\n(.*?)```", (ROOT / "README.md").read_text(), re.S))


def _user_facing() -> dict[str, str]:
    texts = {"README.md code blocks": _readme_code()}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        texts[str(path.relative_to(ROOT))] = "\n".join("".join(c["source"]) for c in cells)
    for path in sorted((ROOT / "bench").rglob("*")):
        if path.is_file() and path.suffix in {".py", ".sh", ".md", ".ts", ".js"}:
            texts[str(path.relative_to(ROOT))] = path.read_text()
    return texts


def test_import_does_not_load_the_agents_sdk() -> None:
    code = "import sys, chatkit_jupyter; print(sorted(m for m in sys.modules if m == 'agents' or m.startswith('agents.')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_a_widget_with_its_own_server_needs_no_agents_import_from_us() -> None:
    # ChatKitWidget itself must not pull in NotebookServer (the SDK's heavy half) when given a
    # server; chatkit.server imports the SDK on its own, so look for our server module instead.
    code = (
        "import sys, chatkit_jupyter\n"
        "from chatkit_jupyter import ChatKitWidget\n"
        "print('chatkit_jupyter.server' in sys.modules, 'chatkit_jupyter.notebook._tools' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("name", chatkit_jupyter.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(chatkit_jupyter, name) is not None
    assert name in dir(chatkit_jupyter)


@pytest.mark.parametrize(
    "sub", ["bridge", "export", "notebook", "server", "serverext", "store", "widget"]
)
def test_every_subpackage_name_resolves(sub: str) -> None:
    module = importlib.import_module(f"chatkit_jupyter.{sub}")
    for name in module.__all__:
        assert getattr(module, name) is not None, f"chatkit_jupyter.{sub}.{name}"


def test_lazy_names_are_the_real_objects() -> None:
    from chatkit_jupyter.notebook._tools import notebook_tools
    from chatkit_jupyter.server._server import NotebookServer

    assert chatkit_jupyter.NotebookServer is NotebookServer
    assert chatkit_jupyter.notebook_tools is notebook_tools
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = chatkit_jupyter.nope  # type: ignore[attr-defined]


def test_nothing_users_read_names_a_private_module() -> None:
    bad = {where: _private(text) for where, text in _user_facing().items() if _private(text)}
    assert bad == {}


def test_no_docstring_or_message_names_a_private_module() -> None:
    bad = {}
    for where, strings in _package_strings().items():
        hits = [hit for s in strings for hit in _private(s)]
        if hits:
            bad[where] = hits
    assert bad == {}


def test_every_dotted_public_name_resolves() -> None:
    texts = [(ROOT / "README.md").read_text()]
    texts += [s for strings in _package_strings().values() for s in strings]
    names = {m.rstrip(".") for text in texts for m in DOTTED.findall(text)}
    assert names, "expected some chatkit_jupyter.X names to check"
    missing = []
    for name in sorted(names):
        module, _, attr = name.rpartition(".")
        try:
            target = importlib.import_module(name)
        except ImportError:
            try:
                target = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError):
                target = None
        if target is None:
            missing.append(name)
    assert missing == []


# -- what notebooks and README examples may touch ------------------------------------------------

NOTEBOOK_NEEDS = ("ChatKitWidget", "FileAttachmentStore", "NotebookServer", "SQLiteStore")


@pytest.mark.parametrize("name", NOTEBOOK_NEEDS)
def test_what_a_notebook_needs_is_exported_at_the_top(name: str) -> None:
    assert name in chatkit_jupyter.__all__
    assert getattr(chatkit_jupyter, name).__name__ == name


def _examples() -> dict[str, str]:
    """Python a user copies: notebook code cells and README ``python`` blocks, magics turned
    into the calls IPython makes of them."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell
    found = {}
    for n, block in enumerate(
        re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    ):
        found[f"README.md python block {n + 1}"] = transform(block)
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for n, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                found[f"{path.relative_to(ROOT)} cell {n + 1}"] = transform("".join(cell["source"]))
    return found


def _private_uses(code: str) -> list[str]:
    """Imports of a private module or name of chatkit_jupyter, and ``._private`` attributes."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if _private(a.name)]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chatkit_jupyter"):
            module = node.module or ""
            if _private(module + ".x"):
                found.append(module)
            found += [
                f"{module}.{a.name}"
                for a in node.names
                if a.name.startswith("_") and a.name != "__version__"
            ]
        elif isinstance(node, ast.Attribute) and re.fullmatch(r"_[a-z]\w*", node.attr):
            found.append(f"._{node.attr[1:]}")
    return found


EXAMPLES = _examples()


def test_there_are_examples_to_check() -> None:
    assert sum(k.startswith("README.md") for k in EXAMPLES) >= 3
    assert sum(k.startswith("notebooks/") for k in EXAMPLES) >= 10


@pytest.mark.parametrize("where", EXAMPLES)
def test_examples_use_public_names_only(where: str) -> None:
    assert _private_uses(EXAMPLES[where]) == []


@pytest.mark.parametrize(
    "code",
    [
        "from chatkit_jupyter.widget._chat import ChatKitWidget",
        "from chatkit_jupyter.widget import _chat",
        "from chatkit_jupyter import _magic",
        "import chatkit_jupyter._version",
        "import chatkit_jupyter.store._sqlite as s",
        "w = ChatKitWidget(); w._bridge.records",
        "store._run(fn)",
    ],
)
def test_the_check_sees_each_way_to_reach_a_private_name(code: str) -> None:
    assert _private_uses(code) != []


def test_the_check_lets_public_names_through() -> None:
    code = (
        "import chatkit_jupyter\nfrom chatkit_jupyter import ChatKitWidget, __version__\n"
        "from chatkit_jupyter.store import SQLiteStore\nw = ChatKitWidget(); w.__class__\n"
        "get_ipython().run_line_magic('chatkit', '')"
    )
    assert _private_uses(code) == []


def test_the_whole_readme_names_no_private_module() -> None:
    # Prose too, not only code blocks: a reader copies names from sentences as well.
    assert _private((ROOT / "README.md").read_text()) == []
