"""Widgets: the chat (``ChatKitWidget``) and single ChatKit widgets in a cell (``WidgetView``)."""

from ._template import WidgetError, WidgetTemplate
from ._view import WidgetView, show

__all__ = ["WidgetError", "WidgetTemplate", "WidgetView", "show"]
