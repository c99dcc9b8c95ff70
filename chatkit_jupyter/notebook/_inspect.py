"""Tools that let the agent see the notebook's variables, without ever showing a secret.

Two layers, kept apart so the rules can be tested without an agent:

- pure functions that collect data from a namespace mapping (``collect_variables``,
  ``describe_variable``) and the redaction rules they apply;
- ``notebook_tools()``, which wraps them as openai-agents function tools. ``list_variables`` and
  ``inspect_variable`` return JSON to the model; ``show_variables`` and ``show_variable`` also show
  the result to the user as ChatKit widgets (a ListView and a Card).

Every tool is ``async`` on purpose: openai-agents runs sync function tools on a worker thread,
and the user namespace belongs to the kernel thread, where the agent's event loop runs.

What is never shown: the value of a variable whose name looks like a secret (its type is shown,
nothing else, not even its length or shape), a value that looks like a secret whatever its name,
and environment variables (``os.environ`` is never read; an ``os.environ`` object in the
namespace is shown as redacted).
"""

from __future__ import annotations

import builtins
import difflib
import inspect
import json
import os
import re
import reprlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any, Final, TypedDict

from agents import FunctionTool, RunContextWrapper, function_tool
from chatkit.widgets import DynamicWidgetRoot
from typing_extensions import Required

NamespaceSource = Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None
"""Where the variables come from: a mapping, a function returning one, or ``None`` for IPython's
``get_ipython().user_ns`` (looked up at every call)."""

REDACTED: Final = "<redacted>"
"""Stands in for a value that is never shown."""

SUMMARY_REPR_CHARS: Final = 80
"""Length cap of the one-line value preview in ``list_variables``."""
DETAIL_REPR_CHARS: Final = 2000
"""Length cap of the value shown by ``inspect_variable``."""
HEAD_ROWS: Final = 5
"""Rows shown in the head of a DataFrame, Series or array."""
MAX_DTYPES: Final = 50
"""Columns whose dtype ``inspect_variable`` lists."""
MAX_VARIABLES: Final = 200
"""Variables ``list_variables`` returns; the count of the rest is reported."""
MAX_LISTED_IN_WIDGET: Final = 50
"""Variables the ``show_variables`` ListView shows."""

IPYTHON_NAMES: Final = frozenset({"In", "Out", "exit", "quit", "get_ipython"})
"""IPython's own names in ``user_ns`` (the ``_``-prefixed ones are hidden anyway)."""


# -- what counts as a secret ------------------------------------------------------------------

_EXACT_SECRET_WORDS: Final = frozenset(
    {
        "key",
        "keys",
        "token",
        "tokens",
        "pwd",
        "passphrase",
        "cookie",
        "cookies",
        "bearer",
        "jwt",
        "dsn",
    }
)
_SECRET_WORD_ENDINGS: Final = ("key", "keys", "token", "tokens", "secret", "secrets")
_SECRET_WORD_PARTS: Final = ("secret", "passw", "credential", "cred", "auth")
# Words that contain a secret-looking part but name ordinary data (a books dataset has authors).
_NOT_SECRET_WORDS: Final = frozenset({"author", "authors", "authored", "authorship"})

_SECRET_VALUE_RE: Final = re.compile(
    r"""
      \bsk-[A-Za-z0-9_\-]{8,}                              # OpenAI, Anthropic ...
    | \b[sr]k_(?:live|test)_[A-Za-z0-9]{8,}                # Stripe
    | \bgh[pousr]_[A-Za-z0-9]{20,}                         # GitHub
    | \bgithub_pat_[A-Za-z0-9_]{20,}
    | \bglpat-[A-Za-z0-9_\-]{20,}                          # GitLab
    | \bxox[abprs]-[A-Za-z0-9\-]{10,}                      # Slack
    | \b(?:AKIA|ASIA)[A-Z0-9]{16}\b                        # AWS access key ids
    | \bAIza[A-Za-z0-9_\-]{35}                             # Google API keys
    | \bhf_[A-Za-z0-9]{20,}                                # Hugging Face
    | \beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*   # JWTs
    | -----BEGIN[A-Z ]*PRIVATE\ KEY-----
    | \bBearer\s+[A-Za-z0-9._~+/\-]{16,}
    | \bBasic\s+[A-Za-z0-9+/=]{8,}                        # HTTP Basic credentials
    | \b[a-z][a-z0-9+.\-]*://[^/\s:@]+:[^@\s/]+@          # user:password@ in a URL
    """,
    re.VERBOSE,
)
# A whole value that starts like a key is a secret even when too short for the pattern above.
_SECRET_VALUE_PREFIXES: Final = ("sk-", "sk_live_", "sk_test_", "rk_live_", "ghp_", "github_pat_")


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced)
    return [w for w in re.split(r"[^a-z]+", spaced.lower()) if w]


def looks_like_secret_name(name: str) -> bool:
    """Whether a variable (or dict key, or column) name suggests its value is a secret.

    Errs on the side of hiding: ``monkey`` is hidden too, and only its value is lost.
    """
    for word in _name_words(name):
        if word in _NOT_SECRET_WORDS:
            continue
        if (
            word in _EXACT_SECRET_WORDS
            or word.endswith(_SECRET_WORD_ENDINGS)
            or any(part in word for part in _SECRET_WORD_PARTS)
        ):
            return True
    return False


def looks_like_secret_value(value: object) -> bool:
    """Whether a string (or bytes) value looks like an API key, token or private key."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value[:4096]).decode("utf-8", "replace")
    if not isinstance(value, str):
        return False
    stripped = value.strip()
    return stripped.startswith(_SECRET_VALUE_PREFIXES) or bool(_SECRET_VALUE_RE.search(value))


# ``api_key='...'``, ``"token": "..."``, ``password=hunter2``: how objects print their fields.
_ASSIGNMENT_RE: Final = re.compile(
    # The lookbehind starts a key only at a word's start: without it a long run of letters is
    # tried from every position (quadratic time on a big repr).
    r"""(?<![A-Za-z0-9_\-])(?P<key>['"]?[A-Za-z_][A-Za-z0-9_\-]*['"]?)(?P<sep>\s*[:=]\s*)"""
    r"""(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s,;)}\]]+)"""
)


def _mask_assignment(match: re.Match[str]) -> str:
    if looks_like_secret_name(match["key"].strip("'\"")):
        return match["key"] + match["sep"] + REDACTED
    return match[0]


def scrub(text: str) -> str:
    """Mask what looks like a secret in ``text``: key-like values, and fields with secret names.

    This is for the repr of arbitrary objects, such as ``Config(api_key='...')``.
    """
    return _ASSIGNMENT_RE.sub(_mask_assignment, _SECRET_VALUE_RE.sub(REDACTED, text))


def _cut(text: str, limit: int) -> str:
    """Shorten like reprlib does: keep the start and the end."""
    if len(text) <= limit:
        return text
    head = max(0, (limit - 3) // 2)
    tail = max(0, limit - 3 - head)
    return text[:head] + "..." + (text[len(text) - tail :] if tail else "")


def _scrub_cut(text: str, limit: int) -> str:
    """Scrub, then shorten; for a huge text only the kept ends (with some context) are scrubbed,
    so a multi-megabyte repr costs no more than a short one."""
    margin = 512  # context so a field name or key prefix just outside a kept end is still seen
    if len(text) <= 2 * (limit + margin):
        return _cut(scrub(text), limit)
    head = max(0, (limit - 3) // 2)
    tail = max(0, limit - 3 - head)
    start = scrub(text[: head + margin])[:head]
    end = scrub(text[len(text) - tail - margin :]) if tail else ""
    return start + "..." + (end[len(end) - tail :] if tail else "")


def _is_environ(value: object) -> bool:
    # An isinstance check reads nothing from the environment.
    return isinstance(value, os._Environ)


# -- what is shown ----------------------------------------------------------------------------


def is_listed(name: str, value: object) -> bool:
    """Whether a namespace entry is user data worth listing.

    Hidden: ``_``-prefixed names, IPython's own names, modules, functions, classes, builtins and
    ``typing`` constructs.
    """
    if name.startswith("_") or name in IPYTHON_NAMES:
        return False
    if isinstance(value, types.ModuleType | type):
        return False
    if inspect.isroutine(value):
        return False
    # IPython's exit/quit helpers and typing's special forms are not data.
    return type(value).__module__ not in {"typing", "typing_extensions", "IPython.core.autocall"}


def type_name(value: object) -> str:
    """A short, readable type name: ``int``, ``pandas.DataFrame``, ``numpy.ndarray``."""
    cls = type(value)
    name = cls.__qualname__.rsplit("<locals>.", 1)[-1]
    module = cls.__module__
    if module in {"builtins", "__main__"}:
        return name
    return f"{module.split('.')[0]}.{name}"


def _redaction_reason(name: str, value: object) -> str | None:
    if _is_environ(value):
        return "environment variables are never shown"
    if looks_like_secret_name(name):
        return "the name looks like a secret"
    if looks_like_secret_value(value):
        return "the value looks like a secret"
    return None


class _SafeRepr(reprlib.Repr):
    """A size-bounded ``repr`` that masks secrets inside containers.

    Values under secret-looking keys and secret-looking strings become ``<redacted>``, any mapping
    type (not only ``dict``) is walked, and ``os.environ`` is never entered.
    """

    def __init__(self, *, items: int, chars: int) -> None:
        super().__init__()
        self.maxlevel = 4
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = items
        self.maxfrozenset = self.maxdeque = self.maxarray = items
        self.maxstring = chars
        self.maxlong = chars
        self.maxother = chars

    def repr_str(self, x: str, level: int) -> str:
        return _scrub_cut(builtins.repr(x), self.maxstring)

    def repr_instance(self, x: Any, level: int) -> str:
        # reprlib cuts first; a field name or key prefix cut away would let the rest of a
        # secret through (`...0123456789AbCd')`), so scrub the whole repr, then cut.
        try:
            text = builtins.repr(x)
        except Exception:
            return f"<{type(x).__name__} instance at {id(x):#x}>"  # as reprlib says it
        return _scrub_cut(text, self.maxother)

    def repr1(self, x: Any, level: int) -> str:
        if _is_environ(x):
            return REDACTED
        if isinstance(x, str | bytes | bytearray) and looks_like_secret_value(x):
            return REDACTED
        if isinstance(x, Mapping) and type(x) is not dict:
            # reprlib would fall back to the builtin repr for subclasses such as OrderedDict.
            return self._mapping(x, level, f"{type_name(x)}({{", "})")
        return scrub(super().repr1(x, level))

    def repr_dict(self, x: dict[Any, Any], level: int) -> str:
        return self._mapping(x, level, "{", "}")

    def _mapping(self, x: Mapping[Any, Any], level: int, start: str, end: str) -> str:
        if not x:
            return start + end
        if level <= 0:
            return start + "..." + end
        parts = []
        for i, key in enumerate(x):
            if i >= self.maxdict:
                parts.append("...")
                break
            shown = (
                REDACTED
                if isinstance(key, str) and looks_like_secret_name(key)
                else self.repr1(x[key], level - 1)
            )
            parts.append(f"{self.repr1(key, level - 1)}: {shown}")
        return start + ", ".join(parts) + end


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters)"


def _pandas_kind(value: object) -> str | None:
    # Only look at pandas if the user already imported it: then the object may be one of its.
    pd = sys.modules.get("pandas")
    if pd is None:
        return None
    if isinstance(value, pd.DataFrame):
        return "DataFrame"
    if isinstance(value, pd.Series):
        return "Series"
    if isinstance(value, pd.Index):
        return "Index"
    return None


def _is_ndarray(value: object) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.ndarray)


def _shape(value: object) -> list[int] | None:
    try:
        shape = getattr(value, "shape", None)
    except Exception:
        return None
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return list(shape)
    return None


def _length(value: object) -> int | None:
    if not hasattr(type(value), "__len__"):
        return None
    try:
        n = len(value)  # type: ignore[arg-type]
    except Exception:
        return None
    return n if isinstance(n, int) else None


def _safe_repr(value: object, limit: int) -> str:
    try:
        return _SafeRepr(items=8 if limit <= SUMMARY_REPR_CHARS else 30, chars=limit).repr(value)
    except Exception as e:
        return f"<repr failed: {type(e).__name__}>"


def _short_preview(value: object) -> str:
    kind = _pandas_kind(value)
    try:
        if kind == "DataFrame":
            columns = ", ".join(str(c) for c in list(value.columns)[:20])  # type: ignore[attr-defined]
            return _one_line(scrub(f"columns: {columns}"), SUMMARY_REPR_CHARS)
        if kind in {"Series", "Index"}:
            name = getattr(value, "name", None)
            label = f"name={name!r}, " if name is not None else ""
            return _one_line(scrub(f"{label}dtype={value.dtype}"), SUMMARY_REPR_CHARS)  # type: ignore[attr-defined]
        if _is_ndarray(value):
            return f"dtype={value.dtype}"  # type: ignore[attr-defined]
    except Exception as e:
        return f"<preview failed: {type(e).__name__}>"
    return _one_line(_safe_repr(value, SUMMARY_REPR_CHARS), SUMMARY_REPR_CHARS)


class VariableSummary(TypedDict, total=False):
    """One row of ``list_variables``."""

    name: Required[str]
    type: Required[str]
    repr: str
    """A one-line preview, or ``<redacted>``."""
    shape: list[int]
    length: int
    redacted: bool
    """Present and true when the value is hidden."""


class VariableDetail(TypedDict, total=False):
    """What ``inspect_variable`` tells about one variable."""

    name: Required[str]
    type: Required[str]
    repr: str
    shape: list[int]
    length: int
    dtype: str
    dtypes: dict[str, str]
    head: str
    redacted: bool
    reason: str
    """Why the value is hidden."""


class VariableNotFound(LookupError):
    """No listed variable has the requested name; the message names close matches."""


def resolve_namespace(source: NamespaceSource) -> Mapping[str, Any]:
    """Return the mapping behind ``source`` (see ``NamespaceSource``)."""
    if source is None:
        from IPython.core.getipython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise RuntimeError(
                "Not running in IPython: pass namespace= to say which variables to look at."
            )
        user_ns: Mapping[str, Any] = shell.user_ns
        return user_ns
    if isinstance(source, Mapping):
        return source
    return source()


def _listed(namespace: Mapping[str, Any]) -> dict[str, Any]:
    # A snapshot, because the namespace may change while we read it (other cells can run).
    return {
        name: value
        for name, value in list(namespace.items())
        if isinstance(name, str) and is_listed(name, value)
    }


def summarize(name: str, value: object) -> VariableSummary:
    """One variable's row: type, a short preview, shape or length; redacted if it is a secret."""
    summary = VariableSummary(name=name, type=type_name(value))
    if _redaction_reason(name, value) is not None:
        summary["repr"] = REDACTED
        summary["redacted"] = True
        return summary
    summary["repr"] = _short_preview(value)
    shape = _shape(value)
    if shape is not None:
        summary["shape"] = shape
    else:
        length = _length(value)
        if length is not None:
            summary["length"] = length
    return summary


def collect_variables(namespace: Mapping[str, Any]) -> list[VariableSummary]:
    """Summaries of the user's variables, sorted by name (case-insensitive)."""
    listed = _listed(namespace)
    return [summarize(name, listed[name]) for name in sorted(listed, key=str.casefold)]


def _not_found_message(name: str, listed: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(listed), n=5, cutoff=0.6)
    if not close:
        close = [n for n in listed if n.casefold() == name.casefold()]
    message = f"No variable named {name!r} in the notebook."
    if close:
        return message + " Close matches: " + ", ".join(close) + "."
    if listed:
        names = sorted(listed, key=str.casefold)
        more = f" (and {len(names) - 20} more)" if len(names) > 20 else ""
        return message + " Variables: " + ", ".join(names[:20]) + more + "."
    return message + " The notebook has no variables yet."


def describe_variable(namespace: Mapping[str, Any], name: str) -> VariableDetail:
    """Details of one variable: type, capped repr, and shape, dtypes and head for pandas/numpy.

    Raises:
        VariableNotFound: ``name`` is not a listed variable; the message lists close matches.
    """
    listed = _listed(namespace)
    if name not in listed:
        if name in namespace and not name.startswith("_") and name not in IPYTHON_NAMES:
            what = _kind_of_hidden(namespace[name])
            raise VariableNotFound(
                f"{name!r} is {what}, not a data variable; only data variables can be inspected."
            )
        raise VariableNotFound(_not_found_message(name, listed))
    value = listed[name]
    detail = VariableDetail(name=name, type=type_name(value))
    reason = _redaction_reason(name, value)
    if reason is not None:
        detail["repr"] = REDACTED
        detail["redacted"] = True
        detail["reason"] = reason
        return detail

    shape = _shape(value)
    if shape is not None:
        detail["shape"] = shape
    else:
        length = _length(value)
        if length is not None:
            detail["length"] = length

    kind = _pandas_kind(value)
    if kind is not None or _is_ndarray(value):
        try:
            _add_array_details(detail, value, kind)
            return detail
        except Exception:
            pass  # An odd subclass; its plain repr below still says something.
    detail["repr"] = _cap(_safe_repr(value, DETAIL_REPR_CHARS), DETAIL_REPR_CHARS)
    return detail


def _kind_of_hidden(value: object) -> str:
    if isinstance(value, types.ModuleType):
        return "a module"
    if isinstance(value, type):
        return "a class"
    if inspect.isroutine(value):
        return "a function"
    return f"a {type_name(value)}"


def _add_array_details(detail: VariableDetail, value: Any, kind: str | None) -> None:
    if kind == "DataFrame":
        columns = list(value.columns)
        detail["dtypes"] = {
            scrub(str(c)): str(t) for c, t in list(value.dtypes.items())[:MAX_DTYPES]
        }
        head = value.head(HEAD_ROWS)
        hidden = [c for c in columns if isinstance(c, str) and looks_like_secret_name(c)]
        if hidden:
            head = head.astype(dict.fromkeys(hidden, object))
            head.loc[:, hidden] = REDACTED
        detail["head"] = _cap(scrub(head.to_string(max_cols=30)), DETAIL_REPR_CHARS)
    elif kind in {"Series", "Index"}:
        detail["dtype"] = str(value.dtype)
        name = getattr(value, "name", None)
        if isinstance(name, str) and looks_like_secret_name(name):
            detail["head"] = REDACTED
        else:
            head = value[:HEAD_ROWS]
            text = head.to_string() if kind == "Series" else repr(head)
            detail["head"] = _cap(scrub(text), DETAIL_REPR_CHARS)
    else:
        detail["dtype"] = str(value.dtype)
        head = value[:HEAD_ROWS] if value.ndim else value
        np = sys.modules["numpy"]
        text = np.array2string(head, threshold=200, edgeitems=3, max_line_width=100)
        detail["head"] = _cap(scrub(text), DETAIL_REPR_CHARS)


# -- the tools --------------------------------------------------------------------------------


def _to_json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def _listing(namespace: Mapping[str, Any]) -> dict[str, Any]:
    rows = collect_variables(namespace)
    result: dict[str, Any] = {"count": len(rows), "variables": rows[:MAX_VARIABLES]}
    if len(rows) > MAX_VARIABLES:
        result["not_listed"] = len(rows) - MAX_VARIABLES
    return result


def _row_caption(row: VariableSummary) -> str:
    if row.get("redacted"):
        return "value hidden"
    size = (
        f"shape {tuple(row['shape'])}"
        if "shape" in row
        else f"length {row['length']}"
        if "length" in row
        else ""
    )
    return " · ".join(part for part in (size, row.get("repr", "")) if part)


# Widgets are built as plain component trees validated by DynamicWidgetRoot, the type
# WidgetTemplate.build returns: chatkit deprecated instantiating the named classes (Card, Text ...).


def _component(kind: str, **props: Any) -> dict[str, Any]:
    return {"type": kind, **{k: v for k, v in props.items() if v is not None}}


def variables_widget(rows: list[VariableSummary]) -> DynamicWidgetRoot:
    """A ListView with one item per variable: name, type and a short preview."""
    items = [
        _component(
            "ListViewItem",
            key=row["name"],
            children=[
                _component(
                    "Col",
                    gap=1,
                    children=[
                        _component(
                            "Row",
                            gap=2,
                            children=[
                                _component("Text", value=row["name"], weight="semibold"),
                                _component(
                                    "Badge",
                                    label=row["type"],
                                    size="sm",
                                    color="warning" if row.get("redacted") else "secondary",
                                ),
                            ],
                        ),
                        _component("Caption", value=_row_caption(row), truncate=True),
                    ],
                )
            ],
        )
        for row in rows[:MAX_LISTED_IN_WIDGET]
    ]
    if len(rows) > MAX_LISTED_IN_WIDGET:
        more = f"… and {len(rows) - MAX_LISTED_IN_WIDGET} more"
        items.append(_component("ListViewItem", children=[_component("Caption", value=more)]))
    if not rows:
        empty = "No variables yet: define some in a cell."
        items.append(_component("ListViewItem", children=[_component("Text", value=empty)]))
    noun = "variable" if len(rows) == 1 else "variables"
    status = {"text": f"{len(rows)} {noun} in the notebook", "icon": "notebook"}
    return DynamicWidgetRoot.model_validate(_component("ListView", children=items, status=status))


def variable_widget(detail: VariableDetail) -> DynamicWidgetRoot:
    """A Card showing one variable: type, size, dtypes and its head or repr."""
    children: list[dict[str, Any]] = [
        _component(
            "Row",
            gap=2,
            children=[
                _component("Title", value=detail["name"], size="sm"),
                _component("Badge", label=detail["type"], color="secondary"),
            ],
        )
    ]
    if detail.get("redacted"):
        reason = detail.get("reason", "it may be a secret")
        children.append(_component("Text", value=f"Value hidden: {reason}."))
        return DynamicWidgetRoot.model_validate(_component("Card", size="md", children=children))
    facts = []
    if "shape" in detail:
        facts.append(f"shape {tuple(detail['shape'])}")
    elif "length" in detail:
        facts.append(f"length {detail['length']}")
    if "dtype" in detail:
        facts.append(f"dtype {detail['dtype']}")
    if facts:
        children.append(_component("Caption", value=" · ".join(facts)))
    if "dtypes" in detail:
        dtypes = ", ".join(f"{c}: {t}" for c, t in detail["dtypes"].items())
        children.append(_component("Caption", value=f"dtypes: {dtypes}", maxLines=3))
    children.append(_component("Divider"))
    body = detail.get("head") or detail.get("repr", "")
    # Four backticks so a backtick run inside the value cannot close the fence.
    children.append(_component("Markdown", value=f"````text\n{body}\n````"))
    return DynamicWidgetRoot.model_validate(_component("Card", size="md", children=children))


def notebook_tools(namespace: NamespaceSource = None) -> list[FunctionTool]:
    """The notebook tools, reading variables from ``namespace`` at every call.

    Args:
        namespace: A mapping, a function returning one, or ``None`` for IPython's user namespace.

    Returns:
        ``list_variables``, ``inspect_variable``, ``show_variables`` and ``show_variable``.
    """

    @function_tool
    async def list_variables() -> str:
        """List the variables defined in the user's notebook.

        Returns JSON with each variable's name, type, a short preview, and shape or length.
        Values of secrets are shown as "<redacted>".
        """
        return _to_json(_listing(resolve_namespace(namespace)))

    @function_tool
    async def inspect_variable(name: str) -> str:
        """Look at one variable in the user's notebook.

        Returns JSON with its type and value (capped in size); for pandas and numpy objects also
        shape, dtypes and the first rows.

        Args:
            name: The variable's name, as written in the notebook.
        """
        try:
            return _to_json(describe_variable(resolve_namespace(namespace), name))
        except VariableNotFound as e:
            return _to_json({"error": str(e)})

    @function_tool
    async def show_variables(ctx: RunContextWrapper[Any]) -> str:
        """Show the user a list of the variables in their notebook, as a widget in the chat.

        Returns JSON with the same variables, so you can talk about them.
        """
        listing = _listing(resolve_namespace(namespace))
        copy = "\n".join(
            f"{row['name']}: {row['type']} {_row_caption(row)}".rstrip()
            for row in listing["variables"]
        )
        await _stream(ctx, variables_widget(listing["variables"]), copy)
        return _to_json({"shown_to_user": True, **listing})

    @function_tool
    async def show_variable(ctx: RunContextWrapper[Any], name: str) -> str:
        """Show the user one variable of their notebook as a card in the chat.

        Returns JSON with the same details, or an error naming close matches.

        Args:
            name: The variable's name, as written in the notebook.
        """
        try:
            detail = describe_variable(resolve_namespace(namespace), name)
        except VariableNotFound as e:
            return _to_json({"shown_to_user": False, "error": str(e)})
        await _stream(ctx, variable_widget(detail), detail.get("head") or detail.get("repr"))
        return _to_json({"shown_to_user": True, **detail})

    return [list_variables, inspect_variable, show_variables, show_variable]


async def _stream(ctx: RunContextWrapper[Any], widget: DynamicWidgetRoot, copy: str | None) -> None:
    # Outside a ChatKit turn (a plain Runner.run) there is nowhere to show a widget; the JSON the
    # tool returns still carries the same information.
    stream_widget = getattr(ctx.context, "stream_widget", None)
    if stream_widget is not None:
        await stream_widget(widget, copy_text=copy)
