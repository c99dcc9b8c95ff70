"""Passwords typed into ``getpass.getpass()`` are hidden by value while the extension is loaded.

``%load_ext`` wraps ``getpass.getpass`` so that every value it returns is given to
``_redact.remember``; ``%unload_ext`` puts the original back and forgets the values.

ipykernel swaps ``getpass.getpass`` for its own ``Kernel.getpass`` (which asks the front end)
at the start of every cell and puts the saved function back at the end, so wrapping the module
attribute alone lasts one cell. The kernel's method and the function it saved are wrapped too,
and so is a ``getpass`` imported by name (``from getpass import getpass``) before ``%load_ext``:
a variable of the notebook holding one of these functions is given the wrapped one (and the
original back on unload).
"""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from typing import Any

from ._redact import forget, remember

_WRAPPED: str = "__chatkit_jupyter_original__"
_made: list[Callable[..., Any]] = []
"""The wrappers ``install`` handed out, for ``uninstall`` to take back from the notebook."""


def _wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    if hasattr(original, _WRAPPED):
        return original

    @functools.wraps(original)
    def getpass_remembered(*args: Any, **kwargs: Any) -> Any:
        value = original(*args, **kwargs)
        remember(value)
        return value

    setattr(getpass_remembered, _WRAPPED, original)
    return getpass_remembered


def _unwrap(function: object) -> object:
    return getattr(function, _WRAPPED, function)


def install(ipython: object) -> None:
    """Wrap ``getpass.getpass`` (and ipykernel's, when there is a kernel)."""
    # (the function, its wrapper): a variable holding the one gets that wrapper.
    pairs = [(getpass.getpass, _wrap(getpass.getpass))]
    getpass.getpass = pairs[0][1]
    kernel = getattr(ipython, "kernel", None)
    if kernel is not None and callable(getattr(kernel, "getpass", None)):
        # An instance attribute: what the kernel installs as getpass.getpass in every cell.
        pairs.append((kernel.getpass, _wrap(kernel.getpass)))
        kernel.getpass = pairs[-1][1]
        saved = getattr(kernel, "_save_getpass", None)
        if callable(saved):
            # Restored at the end of this cell; without this, the next cell's would be bare.
            pairs.append((saved, _wrap(saved)))
            kernel._save_getpass = pairs[-1][1]
    namespace = getattr(ipython, "user_ns", None)
    if isinstance(namespace, dict):
        for name, value in list(namespace.items()):
            if callable(value):
                # `==`, not `is`: the kernel's getpass is a bound method, new at each access.
                wrapper = next((w for f, w in pairs if _equal(value, f)), None)
                if wrapper is not None:
                    namespace[name] = wrapper
    _made.extend(wrapper for _, wrapper in pairs)


def uninstall(ipython: object) -> None:
    """Put back what ``install`` wrapped and forget the values seen."""
    getpass.getpass = _unwrap(getpass.getpass)  # type: ignore[assignment]
    kernel = getattr(ipython, "kernel", None)
    if kernel is not None:
        if hasattr(vars(kernel).get("getpass"), _WRAPPED):
            del kernel.getpass  # back to the class's method
        saved = getattr(kernel, "_save_getpass", None)
        if hasattr(saved, _WRAPPED):
            kernel._save_getpass = _unwrap(saved)
    namespace = getattr(ipython, "user_ns", None)
    if isinstance(namespace, dict):
        for name, value in list(namespace.items()):
            if any(value is wrapper for wrapper in _made):
                namespace[name] = _unwrap(value)
    _made.clear()
    forget()


def _equal(value: object, function: Callable[..., Any]) -> bool:
    try:
        return bool(value == function)
    except Exception:  # a callable object with an `__eq__` of its own that fails
        return False
