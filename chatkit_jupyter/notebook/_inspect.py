"""What the agent may learn about the notebook's variables: summaries and details.

Pure functions over a namespace mapping, so the rules can be tested without an agent; the
redaction rules come from ``_redact``. ``_tools`` wraps them for openai-agents and ``_widgets``
shows them to the user.
"""

from __future__ import annotations

import array
import builtins
import collections
import difflib
import os
import reprlib
import sys
import types
from collections.abc import Callable, Iterable, Mapping, Sized
from typing import Any, Final, Protocol, TypedDict, TypeVar, cast

from typing_extensions import Required

from ._budget import Budget, InspectionInterrupted, NotRun, OutOfTime, Raised
from ._redact import (
    REDACTED,
    hiding,
    is_environ,
    looks_like_secret_name,
    looks_like_secret_value,
    redaction_reason,
    scrub,
    scrub_cut,
    secret_values,
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
#
# Only the type of a value is looked at to decide what to do with it: `isinstance` would ask an
# unknown object for its `__class__`, which a `__getattribute__` of its own may answer with code.

_T = TypeVar("_T")
_HEAP_TYPE: Final = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class created by a class statement

_ROUTINE_TYPES: Final = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    types.ClassMethodDescriptorType,
)
_NOT_DATA_MODULES: Final = frozenset({"typing", "typing_extensions", "IPython.core.autocall"})

_SCALARS: Final = frozenset({int, float, complex, bool, type(None), str, bytes, bytearray, range})
_SIZED: Final = frozenset(
    {str, bytes, bytearray, list, tuple, dict, set, frozenset, range, collections.deque}
    | {collections.OrderedDict, collections.defaultdict, collections.Counter, array.array}
)
# Mappings whose items can be read without running the user's code (ChainMap and
# MappingProxyType wrap other mappings, which may be anything).
_PLAIN_MAPPINGS: Final = frozenset(
    {dict, collections.OrderedDict, collections.defaultdict, collections.Counter}
)
_PLAIN_SEQUENCES: Final = frozenset({list, tuple, set, frozenset, collections.deque, array.array})

_SMALL_TEXT: Final = 100_000

TOOK_TOO_LONG: Final = "<repr took too long>"
"""Stands in for a preview whose code overran its time budget."""
NOT_PREVIEWED: Final = "<not previewed: the tool call's time budget was spent>"
"""Stands in for previews the tool call had no time left for."""
STILL_RUNNING: Final = "<not previewed: earlier previews that took too long are still running>"
"""Stands in for a preview off the main thread while earlier ones that overran still run."""


def _attr(cls: type, name: str) -> str:
    # Read through `type`'s own descriptor: a metaclass cannot answer with code of its own.
    value = type.__dict__[name].__get__(cls, type)
    return value if type(value) is str else "?"


def _is_routine_type(cls: type) -> bool:
    if issubclass(cls, _ROUTINE_TYPES):
        return True
    # What inspect.ismethoddescriptor accepts (functools.partialmethod, Cython functions ...),
    # asked of the class only.
    return "__get__" in _mro_names(cls) and "__set__" not in _mro_names(cls)


def _mro_names(cls: type) -> set[str]:
    names: set[str] = set()
    for base in type.__dict__["__mro__"].__get__(cls, type):
        if base is not object:
            names.update(base.__dict__)
    return names


def _plain_attribute_access(cls: type) -> bool:
    # Whether `isinstance` on an instance reads only its type: no class written in Python
    # defines a `__getattribute__` or `__class__` that could run code (mock-like objects do).
    for base in type.__dict__["__mro__"].__get__(cls, type):
        if type.__dict__["__flags__"].__get__(base, type) & _HEAP_TYPE and (
            "__getattribute__" in base.__dict__ or "__class__" in base.__dict__
        ):
            return False
    return True


def is_listed(name: str, value: object) -> bool:
    """Whether a namespace entry is user data worth listing.

    Hidden: ``_``-prefixed names, IPython's own names, modules, functions, classes, builtins and
    ``typing`` constructs. Decided from ``type(value)`` alone: nothing of the value runs.
    """
    if name.startswith("_") or name in IPYTHON_NAMES:
        return False
    cls = type(value)
    if issubclass(cls, types.ModuleType | type) or _is_routine_type(cls):
        return False
    # IPython's exit/quit helpers and typing's special forms are not data.
    return _attr(cls, "__module__") not in _NOT_DATA_MODULES


def type_name(value: object) -> str:
    """A short, readable type name: ``int``, ``pandas.DataFrame``, ``numpy.ndarray``."""
    cls = type(value)
    name = _attr(cls, "__qualname__").rsplit("<locals>.", 1)[-1]
    module = _attr(cls, "__module__")
    if module in {"builtins", "__main__"}:
        return name
    return f"{module.split('.')[0]}.{name}"


def _is_environ_type(cls: type) -> bool:
    return issubclass(cls, os._Environ)


class _SafeRepr(reprlib.Repr):
    """A size-bounded ``repr`` that masks secrets inside containers.

    Values under secret-looking keys and secret-looking strings become ``<redacted>``. Only
    builtin containers (by exact type) are walked; anything else is shown by its own
    ``__repr__`` and nothing more: no ``len``, iteration, item access or sorting of its values.
    ``os.environ`` is never entered.
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
        keep = self.maxstring + 1024
        if len(x) > 2 * keep:
            # Only the ends are shown: quoting all of a 50 MB string would take a while.
            x = x[:keep] + x[-keep:]
        return scrub_cut(builtins.repr(x), self.maxstring)

    def repr_instance(self, x: Any, level: int) -> str:
        # reprlib cuts first; a field name or key prefix cut away would let the rest of a
        # secret through (`...0123456789AbCd')`), so scrub the whole repr, then cut.
        try:
            text = builtins.repr(x)
        except Exception:
            name = _attr(type(x), "__qualname__").rsplit(".", 1)[-1]
            return f"<{name} instance at {id(x):#x}>"  # as reprlib says it
        if type(text) is not str:
            text = str.__getitem__(text, slice(None))  # a str subclass: its own methods never run
        return scrub_cut(text, self.maxother)

    def repr1(self, x: Any, level: int) -> str:
        cls = type(x)
        if _is_environ_type(cls):
            return REDACTED
        if cls in {str, bytes, bytearray} and looks_like_secret_value(_shown_part(x)):
            return REDACTED
        if cls in {bytes, bytearray} and len(x) > 2 * (self.maxother + 1024):
            keep = self.maxother + 1024
            return scrub_cut(builtins.repr(x[:keep] + x[-keep:]), self.maxother)
        if cls in _PLAIN_MAPPINGS:
            if is_environ(x):  # a copy of the environment (safe to ask of a plain dict)
                return REDACTED
            start = "{" if cls is dict else f"{type_name(x)}({{"
            # Scrubbed as a whole too: some secrets are known by their neighbours (an AWS
            # secret key next to its key id).
            return scrub(self._mapping(x, level, start, "}" if cls is dict else "})"))
        if cls in _SCALARS or cls in _PLAIN_SEQUENCES:
            # reprlib picks a method by the type's *name*; for these exact types it is theirs.
            return scrub(super().repr1(x, level))
        return self.repr_instance(x, level)

    def repr_set(self, x: set[Any], level: int) -> str:
        # reprlib sorts a set's items, which calls their `__lt__`.
        return self._items(x, level, "{", "}", "set()")

    def repr_frozenset(self, x: frozenset[Any], level: int) -> str:
        return self._items(x, level, "frozenset({", "})", "frozenset()")

    def _items(self, x: Iterable[Any], level: int, start: str, end: str, empty: str) -> str:
        items = list(x)
        if not items:
            return empty
        if level <= 0:
            return start + "..." + end
        shown = [self.repr1(item, level - 1) for item in items[: self.maxset]]
        if len(items) > self.maxset:
            shown.append("...")
        return start + ", ".join(shown) + end

    def _mapping(self, x: Mapping[Any, Any], level: int, start: str, end: str) -> str:
        if not x:
            return start + end
        if level <= 0:
            return start + "..." + end
        parts = []
        # The exact type's own `items` (all C): looking a key up would call its `__hash__`.
        for i, (key, item) in enumerate(list(type(x).items(x))):
            if i >= self.maxdict:
                parts.append("...")
                break
            shown = (
                REDACTED
                if issubclass(type(key), str) and looks_like_secret_name(str.__str__(key))
                else self.repr1(item, level - 1)
            )
            parts.append(f"{self.repr1(key, level - 1)}: {shown}")
        return start + ", ".join(parts) + end


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text[: limit * 4].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters)"


def _known_class(value: object, package: str, names: tuple[str, ...]) -> str | None:
    # Only look at a library if the user already imported it: then the object may be one of its.
    # Recognised by exact class (subclasses from the library's own modules only), never by
    # asking the object for attributes.
    module = sys.modules.get(package)
    if module is None:
        return None
    cls = type(value)
    if _attr(cls, "__module__").split(".")[0] != package:
        return None
    for name in names:
        known = getattr(module, name, None)
        if type(known) is type and issubclass(cls, known):
            return name
    return None


def _pandas_kind(value: object) -> str | None:
    return _known_class(value, "pandas", ("DataFrame", "Series", "Index"))


def _polars_kind(value: object) -> str | None:
    return _known_class(value, "polars", ("DataFrame", "Series", "LazyFrame"))


def _is_ndarray(value: object) -> bool:
    return _known_class(value, "numpy", ("ndarray", "generic")) is not None


def _shape(value: object) -> list[int] | None:
    # Known array types only: an unknown object's `shape` could be a property or `__getattr__`.
    known = (
        _pandas_kind(value) or _is_ndarray(value) or _polars_kind(value) in {"DataFrame", "Series"}
    )
    if not known:
        return None
    shape = getattr(value, "shape", None)
    if type(shape) is tuple and all(type(n) is int for n in shape):
        return list(shape)
    return None


def _length(value: object) -> int | None:
    if type(value) not in _SIZED:
        return None  # an unknown `__len__` is not called
    return len(cast(Sized, value))


def _safe_repr(value: object, limit: int) -> str:
    return _SafeRepr(items=8 if limit <= SUMMARY_REPR_CHARS else 30, chars=limit).repr(value)


class _Frame(Protocol):
    # The part of a pandas DataFrame read here; pandas is never imported, only recognised.
    columns: Iterable[object]


class _Typed(Protocol):
    # A pandas Series or Index, or a numpy array.
    dtype: object


def _short_preview(value: object) -> str:
    kind = _pandas_kind(value)
    if kind == "DataFrame":
        labels = cast(_Frame, value).columns
        if _secret_axis(labels):
            return f"columns: {REDACTED}"
        columns = ", ".join(str(c) for c in list(labels)[:20])
        return _one_line(scrub(f"columns: {columns}"), SUMMARY_REPR_CHARS)
    if kind in {"Series", "Index"}:
        name = getattr(value, "name", None)
        label = f"name={name!r}, " if name is not None else ""
        dtype = cast(_Typed, value).dtype
        return _one_line(scrub(f"{label}dtype={dtype}"), SUMMARY_REPR_CHARS)
    if _is_ndarray(value):
        return f"dtype={cast(_Typed, value).dtype}"
    polars = _polars_kind(value)
    if polars in {"DataFrame", "LazyFrame"}:
        columns = ", ".join(str(c) for c in list(cast(Any, value).collect_schema())[:20])
        return _one_line(scrub(f"columns: {columns}"), SUMMARY_REPR_CHARS)
    if polars == "Series":
        series = cast(Any, value)
        return _one_line(scrub(f"name={series.name!r}, dtype={series.dtype}"), SUMMARY_REPR_CHARS)
    return _one_line(_safe_repr(value, SUMMARY_REPR_CHARS), SUMMARY_REPR_CHARS)


def _bounded(
    budget: Budget, value: object, fn: Callable[[], _T], failed: Callable[[Exception], _T]
) -> _T | str:
    """``fn()`` within the budget; a marker string when it overran or could not run, and
    ``failed(error)`` when it raised. For a builtin scalar no user code runs: no budget needed,
    so it is shown even when the budget is spent."""
    if type(value) in _SCALARS:
        try:
            return fn()
        except Exception as e:  # e.g. an int too long to convert to text
            return failed(e)
    try:
        return budget.run(fn)
    except InspectionInterrupted:
        raise
    except OutOfTime:
        return NOT_PREVIEWED if budget.spent else TOOK_TOO_LONG
    except NotRun:
        return STILL_RUNNING
    except Exception as e:
        return failed(e)


def _failed(e: Exception) -> str:
    return f"<repr failed: {e.kind if isinstance(e, Raised) else type(e).__name__}>"


class VariableSummary(TypedDict, total=False):
    """One row of ``list_variables``."""

    name: Required[str]
    type: Required[str]
    repr: str
    """A one-line preview, ``<redacted>``, or ``<repr took too long>``."""
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


NOT_IN_A_NOTEBOOK: Final = (
    "Not running in IPython or marimo, so the notebook's variables are unknown: pass "
    "namespace= to say which variables to look at, e.g. "
    "`ChatKitWidget(NotebookServer(namespace=globals()))` or `notebook_tools(globals())`."
)


def _host_namespace() -> Mapping[str, Any] | None:
    """The notebook's globals from the host running this thread: IPython or marimo."""
    from IPython.core.getipython import get_ipython

    shell = get_ipython()
    if shell is not None:
        user_ns: Mapping[str, Any] = shell.user_ns
        return user_ns
    marimo = sys.modules.get("marimo")
    if marimo is not None:
        # marimo keeps one globals dict per kernel (its cells' module globals), reachable from
        # the kernel's thread through its runtime context; there is no public accessor.
        try:
            from marimo._runtime.context import get_context

            marimo_ns: Mapping[str, Any] = get_context().globals
            return marimo_ns
        except Exception:
            return None
    return None


def resolve_namespace(source: NamespaceSource) -> Mapping[str, Any]:
    """Return the mapping behind ``source`` (see ``NamespaceSource``).

    ``None`` means the notebook's own globals: IPython's ``user_ns``, or in marimo the globals
    its cells share.

    Raises:
        RuntimeError: ``source`` is ``None`` and neither IPython nor marimo runs this code.
    """
    if source is None:
        namespace = _host_namespace()
        if namespace is None:
            raise RuntimeError(NOT_IN_A_NOTEBOOK)
        return namespace
    if isinstance(source, Mapping):
        return source
    return source()


def _listed(namespace: Mapping[str, Any]) -> dict[str, Any]:
    # A snapshot, because the namespace may change while we read it (other cells can run).
    return {
        name: value
        for name, value in list(namespace.items())
        if type(name) is str and is_listed(name, value)
    }


def _redaction_reason(name: str, value: object) -> str | None:
    if _is_environ_type(type(value)):
        return "environment variables are never shown"
    if not _plain_attribute_access(type(value)):
        # Its isinstance checks could run its code; judge it by name and by its repr only.
        return redaction_reason(name, None)
    return redaction_reason(name, value)


def _reason_within(budget: Budget, name: str, value: object) -> str | None:
    """Why the value is hidden, ``None`` if it is not, or a marker (``TOOK_TOO_LONG`` ...)
    when that could not be decided in time: then the value is not shown either."""
    value = _shown_part(value)
    return _bounded(budget, value, lambda: _redaction_reason(name, value), lambda e: REDACTED)


def _shown_part(value: Any) -> Any:
    """A huge string's ends: only they are ever shown, and searching all of it for secrets takes
    seconds (about half a second per megabyte) in one C call that nothing interrupts off the
    main thread."""
    if type(value) is str and len(value) > 2 * _SMALL_TEXT:
        return value[:_SMALL_TEXT] + "\n" + value[-_SMALL_TEXT:]
    return value


def _is_marker(text: str | None) -> bool:
    return text in {TOOK_TOO_LONG, NOT_PREVIEWED, STILL_RUNNING}


def summarize(name: str, value: object, budget: Budget | None = None) -> VariableSummary:
    """One variable's row: type, a short preview, shape or length; redacted if it is a secret.

    Args:
        budget: The tool call's time budget; a fresh one (``Budget()``) if not given.
    """
    with budget or Budget() as active:
        return _summarize(name, value, active)


def _hidden(
    record: VariableSummary | VariableDetail,
    budget: Budget,
    name: str,
    value: object,
    *,
    with_reason: bool = False,
) -> bool:
    """Fill ``record`` for a value that must not be previewed (a secret, or its check ran out
    of time); whether it was one."""
    reason = _reason_within(budget, name, value)
    if reason is None:
        return False
    if _is_marker(reason):
        record["repr"] = reason
        return True
    record["repr"] = REDACTED
    record["redacted"] = True
    if with_reason:
        cast(VariableDetail, record)["reason"] = reason
    return True


def _summarize(name: str, value: object, budget: Budget) -> VariableSummary:
    summary = VariableSummary(name=name, type=type_name(value))
    if _hidden(summary, budget, name, value):
        return summary

    def preview() -> tuple[str, list[int] | None, int | None]:
        shape = _shape(value)
        return _short_preview(value), shape, _length(value) if shape is None else None

    def failed(e: Exception) -> tuple[str, None, None]:
        return (
            f"<preview failed: {e.kind if isinstance(e, Raised) else type(e).__name__}>",
            None,
            None,
        )

    result = _bounded(budget, value, preview, failed)
    if isinstance(result, str):
        summary["repr"] = result
        return summary
    summary["repr"], shape, length = result
    if shape is not None:
        summary["shape"] = shape
    elif length is not None:
        summary["length"] = length
    return summary


def listed_names(namespace: Mapping[str, Any]) -> list[str]:
    """The names ``collect_variables`` lists, sorted (case-insensitive); no value's code runs."""
    return sorted(_listed(namespace), key=str.casefold)


def collect_variables(
    namespace: Mapping[str, Any], *, limit: int | None = None, budget: Budget | None = None
) -> list[VariableSummary]:
    """Summaries of the user's variables, sorted by name (case-insensitive).

    Args:
        namespace: The variables, e.g. ``globals()``; names starting with ``_``, IPython's
            own, modules, functions and classes are left out.
        limit: Summarize only the first ``limit`` names; the others' code never runs.
        budget: The time budget for all previews together; ``Budget()`` if not given.
    """
    listed = _listed(namespace)
    names = sorted(listed, key=str.casefold)[:limit]
    with budget or Budget() as active, hiding(secret_values(namespace)):
        return [_summarize(name, listed[name], active) for name in names]


def variable_types(namespace: Mapping[str, Any]) -> dict[str, str]:
    """The user's variables' names and ``type_name``s, as ``collect_variables`` lists them,
    without running any code of theirs (no previews): cheap enough for every keystroke."""
    return {name: type_name(value) for name, value in _listed(namespace).items()}


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


def describe_variable(
    namespace: Mapping[str, Any], name: str, *, budget: Budget | None = None
) -> VariableDetail:
    """Details of one variable: type, capped repr, and shape, dtypes and head for pandas/numpy.

    Args:
        namespace: The variables, e.g. ``globals()``.
        name: The variable to describe.
        budget: The time budget for the user's code that runs; ``Budget()`` if not given.

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
    with budget or Budget() as active, hiding(secret_values(namespace)):
        if _hidden(detail, active, name, value, with_reason=True):
            return detail
        _describe(detail, value, active)
    return detail


def _describe(detail: VariableDetail, value: object, budget: Budget) -> None:
    def size() -> tuple[list[int] | None, int | None]:
        shape = _shape(value)
        return shape, _length(value) if shape is None else None

    sized = _bounded(budget, value, size, lambda e: (None, None))
    if not isinstance(sized, str):
        shape, length = sized
        if shape is not None:
            detail["shape"] = shape
        elif length is not None:
            detail["length"] = length

    kind = _pandas_kind(value) or _polars_kind(value)
    if kind is not None or _is_ndarray(value):

        def array_details() -> VariableDetail:
            part = VariableDetail(name=detail["name"], type=detail["type"])
            _add_array_details(part, value, kind)
            return part

        part = _bounded(budget, value, array_details, lambda e: None)
        if isinstance(part, str):
            detail["head"] = part
            return
        if part is not None:
            detail.update(part)
            return
        # An odd subclass; its plain repr below still says something.

    def text() -> str:
        return _cap(_safe_repr(value, DETAIL_REPR_CHARS), DETAIL_REPR_CHARS)

    detail["repr"] = _bounded(budget, value, text, _failed)


def _kind_of_hidden(value: object) -> str:
    cls = type(value)
    if issubclass(cls, types.ModuleType):
        return "a module"
    if issubclass(cls, type):
        return "a class"
    if _is_routine_type(cls):
        return "a function"
    return f"a {type_name(value)}"


def _add_array_details(detail: VariableDetail, value: Any, kind: str | None) -> None:
    if _polars_kind(value) is not None:
        _add_polars_details(detail, value, kind)
    elif kind == "DataFrame":
        secret_columns = _secret_axis(value.columns)  # `set_index("password").T`, a pivot
        detail["dtypes"] = {
            f"{REDACTED} {i}" if secret_columns else scrub(str(c)): str(t)
            for i, (c, t) in enumerate(list(value.dtypes.items())[:MAX_DTYPES])
        }
        head = value.head(HEAD_ROWS)
        if secret_columns:
            head = head.set_axis([REDACTED] * head.shape[1], axis=1)
        # Secret names label columns, rows (a transposed frame, `df.T`) or a whole index
        # (`set_index("password")`); a MultiIndex label is a tuple of names.
        hidden = [i for i, c in enumerate(head.columns) if _secret_label(c)]
        rows = [i for i, r in enumerate(head.index) if _secret_label(r)]
        if hidden or rows:
            head = head.astype(object)
            head.iloc[:, hidden] = REDACTED
            head.iloc[rows, :] = REDACTED
        if _secret_axis(head.index):
            head = head.set_axis([REDACTED] * len(head), axis=0)
        detail["head"] = _cap(scrub(head.to_string(max_cols=30)), DETAIL_REPR_CHARS)
    elif kind in {"Series", "Index"}:
        detail["dtype"] = str(value.dtype)
        name = getattr(value, "name", None)
        if _secret_label(name) or (kind == "Series" and _secret_axis(value.index)):
            detail["head"] = REDACTED
        else:
            head = value[:HEAD_ROWS]
            if kind == "Series":
                # A row of a frame (`df.iloc[0]`) or a Series made from a dict: labels name values.
                rows = [i for i, r in enumerate(head.index) if _secret_label(r)]
                if rows:
                    head = head.astype(object)
                    head.iloc[rows] = REDACTED
            text = head.to_string() if kind == "Series" else repr(head)
            detail["head"] = _cap(scrub(text), DETAIL_REPR_CHARS)
    else:
        detail["dtype"] = str(value.dtype)
        head = value[:HEAD_ROWS] if value.ndim else value
        hidden_fields = _secret_fields(head.dtype)
        if hidden_fields:
            # A structured array: the fields with a secret name (or holding one) are masked.
            head = head.astype([(n, object) for n in head.dtype.names])
            for field in hidden_fields:
                head[field] = REDACTED
        np = sys.modules["numpy"]
        text = np.array2string(head, threshold=200, edgeitems=3, max_line_width=100)
        detail["head"] = _cap(scrub(text), DETAIL_REPR_CHARS)


def _secret_label(label: object) -> bool:
    """Whether a pandas label (a column, row or index name; a tuple in a MultiIndex) is a
    secret's name."""
    if isinstance(label, tuple):
        return any(_secret_label(part) for part in label)
    return isinstance(label, str) and looks_like_secret_name(label)


def _secret_axis(axis: Any) -> bool:
    """Whether a pandas Index's labels are secrets: its name (a level's, in a MultiIndex) is
    a secret's name."""
    return any(_secret_label(n) for n in axis.names)


def _secret_fields(dtype: Any) -> list[str]:
    """The fields of a numpy structured dtype that have, or hold, a secret name."""
    names = dtype.names or ()
    return [n for n in names if looks_like_secret_name(n) or _secret_fields(dtype[n])]


def _add_polars_details(detail: VariableDetail, value: Any, kind: str | None) -> None:
    if kind == "LazyFrame":
        # Collecting a LazyFrame runs its whole query: only its schema is read.
        schema = value.collect_schema()
        detail["dtypes"] = {scrub(str(c)): str(t) for c, t in list(schema.items())[:MAX_DTYPES]}
        return
    if kind == "Series":
        detail["dtype"] = str(value.dtype)
        if looks_like_secret_name(str(value.name)):
            detail["head"] = REDACTED
            return
    else:
        detail["dtypes"] = {
            scrub(str(c)): str(t) for c, t in list(value.schema.items())[:MAX_DTYPES]
        }
        hidden = [c for c in value.columns if looks_like_secret_name(str(c))]
        if hidden:
            value = value.drop(hidden)
    detail["head"] = _cap(scrub(str(value.head(HEAD_ROWS))), DETAIL_REPR_CHARS)
