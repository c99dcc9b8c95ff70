"""What the agent may learn about the notebook's variables: summaries and details.

Pure functions over a namespace mapping, so the rules can be tested without an agent; the
redaction rules come from ``_redact``. ``_tools`` wraps them for openai-agents and ``_widgets``
shows them to the user.
"""

from __future__ import annotations

import builtins
import difflib
import inspect
import reprlib
import sys
import types
from collections.abc import Callable, Iterable, Mapping, Sized
from typing import Any, Final, Protocol, TypedDict, cast

from typing_extensions import Required

from ._redact import (
    REDACTED,
    is_environ,
    looks_like_secret_name,
    looks_like_secret_value,
    redaction_reason,
    scrub,
    scrub_cut,
)

NamespaceSource = Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None
"""Where the variables come from: a mapping, a function returning one, or ``None`` for IPython's
``get_ipython().user_ns`` (looked up at every call)."""


SUMMARY_REPR_CHARS: Final = 80
"""Length cap of the one-line value preview in ``list_variables``."""
DETAIL_REPR_CHARS: Final = 2000
"""Length cap of the value shown by ``inspect_variable``."""
HEAD_ROWS: Final = 5
"""Rows shown in the head of a DataFrame, Series or array."""
MAX_DTYPES: Final = 50
"""Columns whose dtype ``inspect_variable`` lists."""

IPYTHON_NAMES: Final = frozenset({"In", "Out", "exit", "quit", "get_ipython"})
"""IPython's own names in ``user_ns`` (the ``_``-prefixed ones are hidden anyway)."""

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
        return scrub_cut(builtins.repr(x), self.maxstring)

    def repr_instance(self, x: Any, level: int) -> str:
        # reprlib cuts first; a field name or key prefix cut away would let the rest of a
        # secret through (`...0123456789AbCd')`), so scrub the whole repr, then cut.
        try:
            text = builtins.repr(x)
        except Exception:
            return f"<{type(x).__name__} instance at {id(x):#x}>"  # as reprlib says it
        return scrub_cut(text, self.maxother)

    def repr1(self, x: Any, level: int) -> str:
        if is_environ(x):
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
        n = len(cast(Sized, value))  # its type has __len__ (checked above)
    except Exception:
        return None
    return n if isinstance(n, int) else None


def _safe_repr(value: object, limit: int) -> str:
    try:
        return _SafeRepr(items=8 if limit <= SUMMARY_REPR_CHARS else 30, chars=limit).repr(value)
    except Exception as e:
        return f"<repr failed: {type(e).__name__}>"


class _Frame(Protocol):
    # The part of a pandas DataFrame read here; pandas is never imported, only recognised.
    columns: Iterable[object]


class _Typed(Protocol):
    # A pandas Series or Index, or a numpy array.
    dtype: object


def _short_preview(value: object) -> str:
    kind = _pandas_kind(value)
    try:
        if kind == "DataFrame":
            columns = ", ".join(str(c) for c in list(cast(_Frame, value).columns)[:20])
            return _one_line(scrub(f"columns: {columns}"), SUMMARY_REPR_CHARS)
        if kind in {"Series", "Index"}:
            name = getattr(value, "name", None)
            label = f"name={name!r}, " if name is not None else ""
            dtype = cast(_Typed, value).dtype
            return _one_line(scrub(f"{label}dtype={dtype}"), SUMMARY_REPR_CHARS)
        if _is_ndarray(value):
            return f"dtype={cast(_Typed, value).dtype}"
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
    if redaction_reason(name, value) is not None:
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
    reason = redaction_reason(name, value)
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
