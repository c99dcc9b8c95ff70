"""``WidgetView`` and ``show``: a ChatKit widget in a cell output, outside any chat.

The view draws ``widget`` (a root as JSON) with the same renderer as the chat and redraws in
place when it changes. Actions the user fires (buttons, forms, list items, selects) reach Python
over the comm bridge's ``call`` hook ``action``: a WidgetView is just another bridged widget with
one hook.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

import anywidget
import traitlets
from chatkit.widgets import WidgetTemplate as ChatKitWidgetTemplate
from pydantic import BaseModel

from chatkit_jupyter.bridge import Bridge, RequestError, call_handler
from chatkit_jupyter.bridge import _protocol as p
from chatkit_jupyter.notebook._redact import scrub

from ._bundle import Code, bundle, code_model, code_trait
from ._display import DisplayOnce
from ._icons import icon_nodes, missing_icons
from ._static import first_text, static_html
from ._template import (
    ROOT_TYPES,
    WidgetError,
    WidgetTemplate,
    _data_dict,
    as_template,
    is_widget_model,
    render_source,
    to_root,
    validate_data,
)

logger = logging.getLogger("chatkit_jupyter")


Theme = Literal["auto", "light", "dark"]
F = TypeVar("F", bound=Callable[..., Any])


def _one_line(e: BaseException) -> str:
    # Shown on the page and saved with the notebook's widget state: scrubbed, as the chat's
    # errors are (the class name stays out of the scrub, see `describe`).
    text = scrub(str(e).strip().splitlines()[0]) if str(e).strip() else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


class WidgetView(DisplayOnce, anywidget.AnyWidget):
    """A ChatKit widget shown in a cell, updated from Python and wired to Python handlers.

    Args:
        widget: A widget root as a dict, a ``chatkit.widgets`` object, a ``WidgetTemplate``
            (ours or ``chatkit.widgets``'), or the path of a ``.widget`` file.
        data: Fills the template (checked against its ``jsonSchema``); without it a
            ``.widget`` file shows its ``outputJsonPreview``.
        theme: ``"auto"`` follows JupyterLab's light/dark theme; ``"light"`` or ``"dark"``.
        **kwargs: Passed to ``anywidget.AnyWidget`` (ipywidgets' ``layout`` ...).

    Example::

        view = show({"type": "Card", "children": [{"type": "Text", "value": "0"}]})
        for i in range(100):
            view.update({"type": "Card", "children": [{"type": "Text", "value": str(i)}]})
    """

    _esm = bundle("loader.js")
    _code = code_trait()

    widget = traitlets.Dict().tag(sync=True)
    """The widget root on screen, as JSON (what ChatKit sends for a ``WidgetItem``)."""
    theme = traitlets.Enum(("auto", "light", "dark"), default_value="auto").tag(sync=True)
    """``"auto"`` follows JupyterLab's light/dark theme."""
    error = traitlets.Unicode("").tag(sync=True)
    """The one-line error the view shows (the last action handler's exception); ``""`` for none."""
    icons = traitlets.Dict().tag(sync=True)
    """Icon nodes for the ``lucide:`` names in ``widget`` that the view's code does not bundle
    (``{"lucide:rocket": [...]}``), kept in step with ``widget``; unknown names stay blank."""

    def __init__(
        self,
        widget: Any = None,
        data: Mapping[str, Any] | BaseModel | None = None,
        *,
        theme: Theme | None = None,
        **kwargs: Any,
    ) -> None:
        self.template: Any = None
        """The template the view renders ``data`` with, if it was built from one."""
        self.data: dict[str, Any] | None = None
        """The data last rendered with ``template``."""
        self._handlers: list[Callable[..., Any]] = []
        self.errors: list[str] = []
        """Tracebacks of action handlers that raised, oldest first."""
        self.actions: deque[dict[str, Any]] = deque(maxlen=200)
        """Recent actions from the front end (``type``, ``payload``), newest last."""
        root = self._resolve(widget, data) if widget is not None else {}
        super().__init__(widget=root, theme=theme or "auto", **kwargs)
        self._bridge = Bridge(
            send=lambda content, buffers: self.send(content, buffers),
            endpoint=self._no_requests,
            hooks=self._dispatch_hook,
        )
        self.on_msg(self._on_message)

    # -- what to draw ---------------------------------------------------------------------------

    @traitlets.default("_code")
    def _code_default(self) -> Code:
        return code_model("view")

    @traitlets.observe("widget")
    def _widget_changed(self, change: Mapping[str, Any]) -> None:
        icons = missing_icons(change["new"])
        if icons != self.icons:
            self.icons = icons

    def _resolve(self, widget: Any, data: Any) -> dict[str, Any]:
        """The root for ``widget`` (+ ``data``); remembers a template for later ``update``s."""
        template = as_template(widget)
        if template is None:
            if data is not None:
                raise WidgetError(
                    "data= fills a template; this widget is not one. Pass a WidgetTemplate or "
                    "the path of a .widget file, or put the values in the widget itself."
                )
            root = to_root(widget)  # before forgetting the template: a bad widget changes nothing
            self.template, self.data = None, None
            return root
        root = _render(template, data)
        self.template, self.data = template, (None if data is None else _data_dict(data))
        return root

    def update(self, value: Any) -> None:
        """Redraw with ``value``, in place (focus, typed text and scroll are kept).

        For a view built from a template, ``value`` is new template data (a dict or pydantic
        model); otherwise, or when ``value`` is a ``chatkit.widgets`` object, a template or a
        ``.widget`` path, it is the new widget.
        """
        if self.template is not None and not _is_widget_like(value):
            try:
                root = _render(self.template, value)
            except WidgetError as e:
                if isinstance(value, Mapping) and value.get("type") in ROOT_TYPES:
                    raise WidgetError(
                        f"{e}\nThis view draws a template, so update() takes new template data, "
                        f"and this looks like a widget ({value['type']!r}). To draw a widget "
                        "instead: view.update(DynamicWidgetRoot.model_validate(root)) (from "
                        "chatkit.widgets), or show(root) for a new view."
                    ) from None
                raise
            self.data = _data_dict(value)
        else:
            root = self._resolve(value, None)
        # One comm message with the icons the new root needs, so it is never drawn without them.
        with self.hold_sync():
            self.widget = root

    # -- actions --------------------------------------------------------------------------------

    def on_action(self, fn: F) -> F:
        """Register ``fn(action)``, run when the user fires an action in this view.

        ``action`` is a dict with ``type`` and ``payload``; for an action that starts inside a
        ``Form`` (or a ``Card`` with ``asForm``), the payload also holds the values of the
        form's fields, keyed by field name (dotted names nested), as ChatKit sends them; a key
        the payload already had wins. ``fn`` may be async. It may return a new widget (or new
        template data for a template view) to redraw with; the action's ``loadingBehavior``
        shows until it returns. If it raises, the view shows one line and ``view.errors``
        keeps the traceback. Example::

            @view.on_action
            def clicked(action):
                if action["type"] == "save":
                    return {**data, "saved": action["payload"]["title"]}
        """
        if not callable(fn):
            raise TypeError(f"on_action expects a function, got {type(fn).__name__}.")
        self._handlers.append(fn)
        return fn

    async def _no_requests(self, body: bytes) -> bytes:
        raise RequestError(400, "A WidgetView answers actions only, not ChatKit requests.")

    def _on_message(self, _widget: Any, content: Any, buffers: list[Any] | None) -> None:
        if isinstance(content, Mapping) and content.get("kind") in p.FROM_FRONTEND:
            self._bridge.handle(content, buffers)

    async def _dispatch_hook(self, hook: str, payload: Mapping[str, Any]) -> Any:
        if hook == p.HOOK_LOG:
            return None
        if hook == p.HOOK_ICONS:
            return icon_nodes(payload.get("names"))
        if hook != p.HOOK_ACTION:
            raise LookupError(
                f"A WidgetView only answers the {p.HOOK_ACTION!r} hook, not {hook!r}."
            )
        raw = payload.get("action")
        if not isinstance(raw, Mapping) or not isinstance(raw.get("type"), str):
            raise ValueError("An action needs a 'type'.")
        # chatkit's ActionConfig.payload is any JSON: a dict (copied), or a string, list, number.
        sent = raw.get("payload")
        body = {} if sent is None else dict(sent) if isinstance(sent, Mapping) else sent
        action = {"type": raw["type"], "payload": body}
        self.actions.append(action)
        if not self._handlers:
            logger.info(
                "chatkit-jupyter: action %r with no @view.on_action handler", action["type"]
            )
            return None
        try:
            for handler in self._handlers:
                result = await call_handler(handler, action)
                if result is not None:
                    self.update(result)
        except Exception as e:
            self.errors.append(traceback.format_exc())
            self.error = f"{_one_line(e)} (full traceback in view.errors)"
            return {"error": self.error}
        self.error = ""
        return None

    @property
    def pending_actions(self) -> int:
        """Action handlers still running."""
        return self._bridge.pending

    async def wait_idle(self) -> None:
        """Wait until every running action handler has finished."""
        await self._bridge.wait_idle()

    # -- display --------------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The live view, plus a script-free ``text/html`` copy of the widget as it is now.

        The copy is what viewers without the widget manager show (``nbconvert --to html`` of a
        notebook saved without widget state, GitHub): the state at display time, not later
        updates. Jupyter picks the live view when it can draw it.
        """
        mime = super()._repr_mimebundle_(**kwargs)
        if mime is None:
            return None
        data, metadata = mime if isinstance(mime, tuple) else (mime, {})
        kind = self.widget.get("type", "?") if isinstance(self.widget, Mapping) else "?"
        text = first_text(self.widget)
        data["text/plain"] = f"WidgetView({kind}: {text!r})" if text else f"WidgetView({kind})"
        data["text/html"] = static_html(self.widget)
        return data, metadata

    def close(self) -> None:
        """Close the view and cancel handlers still running."""
        bridge = getattr(self, "_bridge", None)
        if bridge is not None:
            bridge.cancel_all()
        super().close()

    def __repr__(self) -> str:
        kind = self.widget.get("type", "?") if isinstance(self.widget, Mapping) else "?"
        source = f" from {self.template!r}" if self.template is not None else ""
        return f"<WidgetView {kind}{source}>"


def _is_widget_like(value: Any) -> bool:
    """Whether ``update(value)`` on a template view means a new widget rather than new data."""
    return (
        is_widget_model(value)
        or isinstance(value, (ChatKitWidgetTemplate, os.PathLike))
        or (isinstance(value, str) and value.endswith(".widget"))
    )


def _render(template: Any, data: Any) -> dict[str, Any]:
    if isinstance(template, WidgetTemplate):
        return template.render(data)
    # A plain chatkit.widgets.WidgetTemplate: same checks, without a source to quote.
    values = _data_dict(data)
    validate_data(values, getattr(template, "data_schema", {}) or {})
    return render_source(template.template, "", values)


def show(
    widget: Any,
    data: Mapping[str, Any] | BaseModel | None = None,
    *,
    theme: Theme | None = None,
) -> WidgetView:
    """Show a ChatKit widget in the cell output and return its ``WidgetView``.

    Args:
        widget: A widget root as a dict, a ``chatkit.widgets`` object (``Card``, ``ListView``,
            ``BasicRoot``, ``DynamicWidgetRoot`` or any component, shown in a ``Basic`` root),
            a ``WidgetTemplate`` or the path of a ``.widget`` file from ChatKit's widget builder.
        data: Fills a template, checked against its ``jsonSchema`` (the error names the
            field). Without it a ``.widget`` file shows its ``outputJsonPreview``.
        theme: ``"light"`` or ``"dark"``; by default the view follows JupyterLab's theme.
    """
    view = WidgetView(widget, data, theme=theme)
    view.display_once()
    return view
