"""Displaying a widget that a call both displays and returns (``show()``, ``%chatkit``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


class DisplayOnce:
    """Mixin for anywidgets that display themselves and are returned: without it, IPython's
    displayhook would draw the returned object a second time in the same cell."""

    _displayed_in: int | None = None

    if TYPE_CHECKING:

        def _repr_mimebundle_(self, **kwargs: Any) -> Any: ...

    def _ipython_display_(self, **kwargs: Any) -> None:
        from IPython.core.getipython import get_ipython
        from IPython.display import publish_display_data

        count = getattr(get_ipython(), "execution_count", None)
        if count is not None and self._displayed_in == count:
            self._displayed_in = None
            return
        mime = self._repr_mimebundle_(**kwargs)
        if mime is None:
            return
        data, metadata = mime if isinstance(mime, tuple) else (mime, {})
        publish_display_data(data, metadata)
        self._displayed()

    def _displayed(self) -> None:
        """Called after each display; a subclass may expect a view to appear."""

    def display_once(self) -> None:
        """Display now and skip the displayhook's display of this same object in this cell."""
        from IPython.core.getipython import get_ipython

        self._displayed_in = None
        self._ipython_display_()
        self._displayed_in = getattr(get_ipython(), "execution_count", None)
