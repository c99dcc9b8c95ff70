"""``%load_ext chatkit_jupyter`` and ``%chatkit`` in a real IPython shell."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from chatkit_jupyter import ChatKitWidget, NotebookServer

from .conftest import Client, ScriptedServer, ipython, user_message


@pytest.fixture
def shell(
    fake_comm: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InteractiveShell]:
    monkeypatch.chdir(tmp_path)  # the default database goes to ./.chatkit/
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        monkeypatch.delenv(var, raising=False)
    ip = ipython()
    ip.run_line_magic("load_ext", "chatkit_jupyter")
    yield ip
    ip.run_line_magic("unload_ext", "chatkit_jupyter")
    InteractiveShell.clear_instance()


def test_chatkit_returns_a_configured_widget(shell: InteractiveShell) -> None:
    w = shell.run_line_magic(
        "chatkit",
        '--theme dark --height 420 --greeting "Hi there" --placeholder "Ask me" --renderer lite --db :memory:',
    )
    assert isinstance(w, ChatKitWidget)
    assert isinstance(w.server, NotebookServer)
    assert w.height == 420
    assert w.renderer == "lite"
    assert w.options == {
        "theme": {"colorScheme": "dark"},
        "startScreen": {"greeting": "Hi there"},
        "composer": {"placeholder": "Ask me"},
    }


def test_inspect_and_allow_run(shell: InteractiveShell, capsys: Any) -> None:
    w = shell.run_line_magic("chatkit", "--db :memory:")
    assert w.inspector is False
    assert w.server.allow_run is False
    w = shell.run_line_magic("chatkit", "--inspect --allow-run --db :memory:")
    assert w.inspector is True
    assert w.server.allow_run is True
    shell.user_ns["mine"] = w.server
    assert shell.run_line_magic("chatkit", "--server mine --allow-run") is None
    assert "--allow-run" in capsys.readouterr().out


def test_default_database_lives_next_to_the_notebook(
    shell: InteractiveShell, tmp_path: Any
) -> None:
    shell.run_line_magic("chatkit", "")
    assert (tmp_path / ".chatkit" / "chatkit.db").exists()


def test_server_and_agent_come_from_the_namespace(shell: InteractiveShell, store: Any) -> None:
    from agents import Agent

    server = ScriptedServer(store)
    shell.user_ns.update(my_server=server, helper=Agent(name="Helper"))
    w = shell.run_line_magic("chatkit", "--server my_server")
    assert w.server is server
    w = shell.run_line_magic("chatkit", "--agent helper --db :memory:")
    assert isinstance(w.server, NotebookServer)


async def test_the_named_agent_answers_and_is_looked_up_at_every_turn(
    shell: InteractiveShell,
) -> None:
    from agents import Agent
    from agents.testing import ScriptedModel, assistant_message

    def scripted(name: str, reply: str) -> Agent[Any]:
        return Agent(name=name, model=ScriptedModel([[assistant_message(reply)]]))

    shell.user_ns["helper"] = scripted("Helper", "Helper here.")
    w = shell.run_line_magic("chatkit", "--agent helper --db :memory:")
    client = Client(w)
    text, events = await client.text(user_message("hi"))
    assert text == "Helper here."
    # The user re-runs the cell that defines `helper`: the next turn is the new agent's.
    shell.user_ns["helper"] = scripted("Helper v2", "The new helper answers.")
    text, _ = await client.text(user_message("again", events[0]["thread"]["id"]))
    assert text == "The new helper answers."


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--server nope", "no variable named 'nope'. ChatKitServer variables: my_server."),
        (
            "--server number",
            "'number' is of type int, not ChatKitServer. ChatKitServer variables: my_server.",
        ),
        (
            "--agent number",
            "'number' is of type int, not Agent. Agent variables: none defined yet.",
        ),
        ("--server my_server --model gpt-4.1", "--server cannot be combined"),
        ("--height -3", "--height must be a positive number"),
    ],
)
def test_bad_names_give_one_line_errors(
    shell: InteractiveShell, store: Any, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    shell.user_ns.update(my_server=ScriptedServer(store), number=3)
    assert shell.run_line_magic("chatkit", line) is None
    out = capsys.readouterr().out.strip()
    assert out == f"%chatkit: {message}" or (out.startswith("%chatkit: ") and message in out)
    assert "\n" not in out


@pytest.mark.parametrize("line", ["--db damaged.db", ""], ids=["--db", "default"])
def test_a_database_that_cannot_be_used_is_a_one_line_error(
    shell: InteractiveShell, tmp_path: Any, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    # Before, a StoreError traceback: the magic's other errors are one line.
    target = tmp_path / ("damaged.db" if line else ".chatkit/chatkit.db")
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(b"not a database " * 100)
    assert shell.run_line_magic("chatkit", line) is None
    out = capsys.readouterr().out.strip()
    assert out.startswith("%chatkit: ")
    assert f"{target.name} is not a chatkit-jupyter database" in out
    assert out.endswith("With %chatkit: pass --db PATH for another file.")
    assert "\n" not in out
    assert target.read_bytes() == b"not a database " * 100


def test_unload_removes_the_magic(shell: InteractiveShell) -> None:
    assert "chatkit" in shell.magics_manager.magics["line"]
    shell.run_line_magic("unload_ext", "chatkit_jupyter")
    assert "chatkit" not in shell.magics_manager.magics["line"]
    shell.run_line_magic("load_ext", "chatkit_jupyter")
    assert "chatkit" in shell.magics_manager.magics["line"]


def test_a_comment_after_the_arguments_is_not_an_argument(shell: InteractiveShell) -> None:
    # As in a shell: a "#" that starts a word ends the line; one inside a word or quotes does not.
    w = shell.run_line_magic(
        "chatkit", '--greeting "Ask #1" --placeholder a#b --db :memory:   # --height 9, a note'
    )
    assert isinstance(w, ChatKitWidget)
    assert w.options == {"startScreen": {"greeting": "Ask #1"}, "composer": {"placeholder": "a#b"}}
    assert w.height == 600


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_the_options(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    assert shell.run_line_magic("chatkit", f"--agent nope {flag}") is None
    out = capsys.readouterr().out
    assert out.startswith("%chatkit [--server NAME]")
    assert "--allow-run" in out
    assert "Show a ChatKit chat" in out
    assert shell.run_cell_magic("chatkit_widget", flag, "{}") is None
    assert capsys.readouterr().out.startswith("%%chatkit_widget [--data VAR]")


def test_an_unknown_flag_says_what_to_do(shell: InteractiveShell) -> None:
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match=r"unrecognized arguments: --bogus\. .*%chatkit --help"):
        shell.run_line_magic("chatkit", "--bogus")
    with pytest.raises(UsageError, match=r"--theme: invalid choice.*%%chatkit_widget --help"):
        shell.run_cell_magic("chatkit_widget", "--theme x", "{}")


def test_every_chatkit_line_in_the_readme_runs(
    shell: InteractiveShell, store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import pathlib
    import re

    from agents import Agent

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    lines = [
        line
        for block in blocks
        for line in block.splitlines()
        if re.match(r"(\w+ = )?%chatkit ", line)
    ]
    assert len(lines) >= 6
    shell.user_ns.update(my_server=ScriptedServer(store), my_agent=Agent(name="Mine"))
    shell.user_ns["agent"] = shell.user_ns["my_agent"]
    for line in lines:
        result = shell.run_cell(line)
        assert result.success, (line, result.error_in_exec or result.error_before_exec)
        out = capsys.readouterr().out
        assert "%chatkit:" not in out, (line, out)
