"""``%chatkit``: a ChatKit chat in the cell output, configured from one line.
``%%chatkit_widget``: a widget template written in a cell, shown and bound to a name."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from .widget import ChatKitWidget, WidgetView

T = TypeVar("T")


class MagicError(Exception):
    """A one-line problem with ``%chatkit``'s arguments (shown without a traceback)."""


@magics_class
class ChatKitMagics(Magics):
    """The ``%chatkit`` line magic and the ``%%chatkit_widget`` cell magic."""

    @magic_arguments()
    @argument(
        "--server",
        metavar="NAME",
        help="a ChatKitServer variable to serve the chat (not with --agent, --model, --db, "
        "--allow-run)",
    )
    @argument("--agent", metavar="NAME", help="an agents.Agent variable (looked up at every turn)")
    @argument(
        "--model",
        metavar="M",
        help="model name, e.g. gpt-4.1-mini or an Ollama model (default: from OPENAI_* "
        "variables, else the offline assistant)",
    )
    @argument("--theme", choices=("light", "dark"), help="colour scheme (default: follow Jupyter)")
    @argument("--height", type=int, default=600, help="height in pixels (default 600)")
    @argument("--greeting", metavar="TEXT", help="start screen greeting")
    @argument("--placeholder", metavar="TEXT", help="composer placeholder")
    @argument(
        "--renderer",
        choices=("auto", "chatkit", "lite"),
        default="auto",
        help="hosted ChatKit, the lite renderer, or auto (default: hosted, else lite)",
    )
    @argument(
        "--db",
        metavar="PATH",
        help="SQLite file for threads (default .chatkit/chatkit.db; ':memory:' keeps none)",
    )
    @argument(
        "--no-mentions",
        action="store_true",
        help="do not offer the notebook's variables on '@' in the composer",
    )
    @argument("--inspect", action="store_true", help="open the inspector panel under the chat")
    @argument(
        "--allow-run",
        action="store_true",
        help="give the agent a run_code tool (code runs only after a click on Run)",
    )
    @line_magic
    def chatkit(self, line: str = "") -> ChatKitWidget | None:
        """Show a ChatKit chat served by this kernel. ``w = %chatkit`` keeps the widget."""
        try:
            args = _parse(self.chatkit, line, "%chatkit")
            widget = build_widget(args, self.shell.user_ns if self.shell else {})
        except _Help as e:
            print(e)  # noqa: T201 - the help text is the answer
            return None
        except MagicError as e:
            print(f"%chatkit: {e}")  # noqa: T201 - a one-line error is the magic's whole UI
            return None
        widget.display_once()
        return widget

    @magic_arguments("%chatkit_widget")  # the usage line adds one "%": a cell magic has two
    @argument("name", nargs="?", help="bind the template to this variable (and name the widget)")
    @argument("--data", metavar="VAR", help="a dict variable that fills the template")
    @argument("--save", metavar="PATH", help="also write a .widget file for ChatKit's builder")
    @argument("--theme", choices=("light", "dark"), help="colour scheme (default: follow Jupyter)")
    @cell_magic
    def chatkit_widget(self, line: str = "", cell: str = "") -> WidgetView | None:
        """Show the cell (a widget template: JSON with Jinja) as a widget; returns the view."""
        ns = self.shell.user_ns if self.shell else {}
        try:
            args = _parse(self.chatkit_widget, line, "%%chatkit_widget")
            return widget_cell(args, cell, ns)
        except _Help as e:
            print(e)  # noqa: T201 - the help text is the answer
            return None
        except MagicError as e:
            print(f"%%chatkit_widget: {e}")  # noqa: T201 - the magic's whole UI
            return None


class _Parsed(Protocol):
    # What `@magic_arguments()` adds to the method it decorates.
    parser: argparse.ArgumentParser


class _Help(Exception):
    """``--help`` was asked for: the magic prints this text and does nothing else."""


def _parse(magic: _Parsed, line: str, name: str) -> argparse.Namespace:
    # IPython's parse_argstring keeps the quotes of `--greeting "Hi there"`; shlex drops them.
    try:
        argv = shlex.split(_without_comment(line))
    except ValueError as e:
        raise MagicError(f"could not parse the arguments ({e}); check the quotes.") from None
    parser = magic.parser
    if "--help" in argv or "-h" in argv:
        # IPython's parsers have no --help of their own (`%chatkit?` shows the same text).
        raise _Help(parser.format_help().removeprefix("::\n\n").lstrip())
    try:
        return parser.parse_args(argv)
    except UsageError as e:
        raise UsageError(f"{str(e).rstrip('.')}. `{name} --help` lists the options.") from None


def _without_comment(line: str) -> str:
    """``line`` up to a ``#`` that starts a word outside quotes, as a shell reads it: the
    README's ``%chatkit --agent a  # note`` lines work when copied."""
    quote = ""
    boundary = True
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
            boundary = False
        elif ch == "\\":
            i += 1
            boundary = False
        elif ch in "'\"":
            quote, boundary = ch, False
        elif ch == "#" and boundary:
            return line[:i]
        else:
            boundary = ch.isspace()
        i += 1
    return line


def _lookup(ns: Mapping[str, object], name: str, kind: type[T], what: str) -> T:
    candidates = sorted(k for k, v in ns.items() if not k.startswith("_") and isinstance(v, kind))
    listing = ", ".join(candidates) if candidates else "none defined yet"
    if name not in ns:
        raise MagicError(f"no variable named {name!r}. {what} variables: {listing}.")
    value = ns[name]
    if not isinstance(value, kind):
        raise MagicError(
            f"{name!r} is of type {type(value).__name__}, not {what}. {what} variables: {listing}."
        )
    return value


def build_widget(args: argparse.Namespace, ns: Mapping[str, object]) -> ChatKitWidget:
    """Make the widget that ``%chatkit`` shows, from parsed arguments and the user namespace."""
    from agents import Agent
    from chatkit.server import ChatKitServer

    from .server import NotebookServer
    from .widget import ChatKitWidget

    if args.server and (args.agent or args.model or args.db or args.allow_run):
        raise MagicError(
            "--server cannot be combined with --agent, --model, --db or --allow-run; configure "
            "the server itself (e.g. NotebookServer(allow_run=True))."
        )
    if args.server:
        # Any subclass of the abstract ChatKitServer will do; mypy only allows concrete classes
        # as `type[T]` (python/mypy#4717), though isinstance() takes abstract ones fine.
        server = _lookup(ns, args.server, ChatKitServer, "ChatKitServer")  # type: ignore[type-abstract]
    else:
        if args.agent:
            _lookup(ns, args.agent, Agent, "Agent")
        from .store import SQLiteStore, StoreError

        try:
            # The default database too (./.chatkit/chatkit.db) may be damaged or too new.
            server = NotebookServer(
                args.agent or None,
                store=SQLiteStore(args.db) if args.db else None,
                model=args.model or None,
                allow_run=args.allow_run,
            )
        except StoreError as e:
            raise MagicError(f"{e} With %chatkit: pass --db PATH for another file.") from None
    options: dict[str, object] = {}
    if args.theme:
        options["theme"] = {"colorScheme": args.theme}
    if args.greeting:
        options["startScreen"] = {"greeting": args.greeting}
    if args.placeholder:
        options["composer"] = {"placeholder": args.placeholder}
    if args.height <= 0:
        raise MagicError(f"--height must be a positive number of pixels, not {args.height}.")
    widget = ChatKitWidget(
        server,
        options=options,
        height=args.height,
        renderer=args.renderer,
        inspector=args.inspect,
    )
    if isinstance(server, NotebookServer) and not args.no_mentions:
        # "@" offers the variables; the server turns a tagged one into its description.
        widget.entity_search(server.search_variables)
    return widget


def widget_cell(args: argparse.Namespace, cell: str, ns: dict[str, Any]) -> WidgetView:
    """Run ``%%chatkit_widget``: render the cell with ``--data``, show it, bind and save it."""
    import keyword

    from .widget._template import WidgetError, WidgetTemplate
    from .widget._view import WidgetView

    if args.name and (not args.name.isidentifier() or keyword.iskeyword(args.name)):
        raise MagicError(f"{args.name!r} is not a valid variable name.")
    data: Any = None
    if args.data:
        if args.data not in ns:
            raise MagicError(f"no variable named {args.data!r} for --data.")
        data = ns[args.data]
        if not isinstance(data, Mapping) and not hasattr(data, "model_dump"):
            raise MagicError(
                f"--data {args.data} is a {type(data).__name__}; it must be a dict (or a "
                "pydantic model) whose keys the template uses."
            )
    if not cell.strip():
        raise MagicError(
            "the cell is empty; write a widget template below the magic line, e.g. "
            '{"type": "Card", "children": [{"type": "Text", "value": {{ title | tojson }}}]}'
        )
    try:
        template = WidgetTemplate(
            {"version": "1.0", "name": args.name or "Untitled widget", "template": cell}
        )
        view = WidgetView(template, data if data is not None else {}, theme=args.theme)
        template.preview = dict(view.widget)  # what `show(NAME)` and a saved file show
        saved = template.save(args.save, data if data is not None else {}) if args.save else None
    except WidgetError as e:
        raise MagicError(f"{e} (template lines count from the line below the magic)") from None
    except OSError as e:
        raise MagicError(f"could not write {args.save!r}: {e.strerror or e}.") from None
    if args.name:
        ns[args.name] = template
    if saved is not None:
        print(f"Saved {saved}")  # noqa: T201 - confirms where the file went
    view.display_once()
    return view


def load(ipython: InteractiveShell) -> None:
    """Register the magics and the widget display formatter (``load_ipython_extension``)."""
    from .notebook._getpass import install
    from .widget._formatter import register

    ipython.register_magics(ChatKitMagics)
    register(ipython)
    install(ipython)  # passwords typed into getpass() are hidden from the chat by value


def unload(ipython: InteractiveShell) -> None:
    """Remove the magics and the formatter (called by ``unload_ipython_extension``)."""
    from .notebook._getpass import uninstall
    from .widget._formatter import unregister

    magics = ipython.magics_manager.magics
    magics.get("line", {}).pop("chatkit", None)
    magics.get("cell", {}).pop("chatkit_widget", None)
    registry = ipython.magics_manager.registry
    registry.pop("ChatKitMagics", None)
    unregister(ipython)
    uninstall(ipython)
