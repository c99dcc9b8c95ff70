"""Everything ``show`` accepts, turned into one widget root dict; ``.widget`` files in and out.

A ``.widget`` file is what ChatKit's widget builder exports: ``version``, ``name``, ``template``
(JSON with Jinja placeholders), ``jsonSchema`` (what the data must look like) and
``outputJsonPreview`` (the widget rendered with the builder's sample data).

Errors say where the problem is: the data field that does not match the schema, the line of the
template with a Jinja error, the line and column of the rendered JSON that does not parse.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import math
import os
import re
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chatkit.widgets import WidgetComponentBase
from chatkit.widgets import WidgetTemplate as ChatKitWidgetTemplate
from pydantic import BaseModel

ROOT_TYPES = ("Card", "ListView", "Basic")
"""The types ChatKit accepts at the top of a widget."""

SPEC_VERSION = "1.0"
"""The ``.widget`` format version ChatKit's builder writes and ``chatkit.widgets`` reads."""

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class WidgetError(ValueError):
    """A widget, template, ``.widget`` file or data that cannot be shown, and why."""


class WidgetTemplate(ChatKitWidgetTemplate):
    """A ChatKit widget template that also remembers its source, schema and preview.

    A drop-in ``chatkit.widgets.WidgetTemplate`` (``build(data)`` returns a
    ``DynamicWidgetRoot``) that can also be saved as a ``.widget`` file, validates data against
    its ``jsonSchema`` and reports template and JSON errors with the line they are on.

    Args:
        definition: The contents of a ``.widget`` file: ``version``, ``name``, ``template``
            (a string), and optionally ``jsonSchema`` and ``outputJsonPreview``.
    """

    def __init__(self, definition: Mapping[str, Any]) -> None:
        if not isinstance(definition, Mapping):
            raise WidgetError(
                f"A widget definition must be a dict, not {type(definition).__name__}."
            )
        missing = [k for k in ("version", "name", "template") if k not in definition]
        if missing:
            raise WidgetError(
                f"The widget definition lacks {', '.join(map(repr, missing))}; a .widget file "
                "has 'version', 'name', 'template' and usually 'jsonSchema' and "
                "'outputJsonPreview'."
            )
        if definition["version"] != SPEC_VERSION:
            raise WidgetError(
                f"Unsupported .widget version {definition['version']!r}; only "
                f"{SPEC_VERSION!r} (what ChatKit's widget builder writes) is known."
            )
        source = definition["template"]
        if not isinstance(source, str):
            raise WidgetError(
                f"'template' must be the template text (a string), not {type(source).__name__}."
            )
        self.source: str = source
        """The template text: JSON with Jinja placeholders."""
        schema = definition.get("jsonSchema") or {}
        if not isinstance(schema, Mapping):
            raise WidgetError(f"'jsonSchema' must be a dict, not {type(schema).__name__}.")
        preview = definition.get("outputJsonPreview")
        if preview is not None and not isinstance(preview, Mapping):
            raise WidgetError(
                f"'outputJsonPreview' must be a widget root (a dict), not {type(preview).__name__}."
            )
        self.preview: dict[str, Any] | None = dict(preview) if preview is not None else None
        """The widget as the builder rendered it with its sample data (``outputJsonPreview``)."""
        self.path: Path | None = None
        """The file this template was loaded from, if any."""
        try:
            super().__init__({**definition, "jsonSchema": dict(schema)})
        except Exception as e:
            raise _template_error(e, self.source) from None

    @classmethod
    def from_file(cls, file_path: str | os.PathLike[str]) -> WidgetTemplate:
        """Load a ``.widget`` file. A relative path is relative to the working directory
        (the notebook's folder), not to the caller's source file as in ``chatkit.widgets``."""
        path = Path(file_path).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise WidgetError(
                f"No .widget file at {str(path)!r} (working directory: {os.getcwd()})."
            ) from None
        except OSError as e:
            raise WidgetError(f"Could not read {str(path)!r}: {e.strerror or e}.") from None
        try:
            definition = json.loads(text)
        except json.JSONDecodeError as e:
            raise WidgetError(f"{path.name} is not JSON: {_json_error(e, text)}") from None
        try:
            template = cls(definition)
        except WidgetError as e:
            raise WidgetError(f"{path.name}: {e}") from None
        template.path = path
        return template

    @property
    def schema(self) -> dict[str, Any]:
        """The JSON Schema the data must match (``jsonSchema``; empty means anything goes)."""
        return dict(self.data_schema)

    def render(self, data: Mapping[str, Any] | BaseModel | None = None) -> dict[str, Any]:
        """The widget root for ``data``, as JSON: checked against the schema, then rendered.

        Without data, a template that has a preview returns the preview.
        """
        if data is None and self.preview is not None:
            return dict(self.preview)
        values = _data_dict(data)
        validate_data(values, self.data_schema)
        return render_source(self.template, self.source, values)

    def build(self, data: dict[str, Any] | BaseModel | None = None) -> Any:
        """Render ``data`` into a ``chatkit.widgets.DynamicWidgetRoot`` (as ChatKit does)."""
        from chatkit.widgets import DynamicWidgetRoot

        return DynamicWidgetRoot.model_validate(self.render(data))

    def to_dict(self, data: Mapping[str, Any] | BaseModel | None = None) -> dict[str, Any]:
        """The ``.widget`` file contents; ``outputJsonPreview`` is rendered from ``data``
        (or the existing preview, or the template rendered without data)."""
        preview = self.render(data) if data is not None or self.preview is None else self.preview
        return {
            "version": SPEC_VERSION,
            "name": self.name,
            "template": self.source,
            "jsonSchema": self.data_schema or infer_schema(_data_dict(data)),
            "outputJsonPreview": preview,
        }

    def save(
        self, file_path: str | os.PathLike[str], data: Mapping[str, Any] | BaseModel | None = None
    ) -> Path:
        """Write a ``.widget`` file that ChatKit's widget builder opens; returns its path."""
        path = Path(file_path).expanduser()
        content = self.to_dict(data)
        path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    def __repr__(self) -> str:
        where = f" from {str(self.path)!r}" if self.path else ""
        return f"<WidgetTemplate {self.name!r}{where}>"


# -- normalising what show() accepts -------------------------------------------------------------


def is_widget_model(value: Any) -> bool:
    """Whether ``value`` is a ``chatkit.widgets`` component (any of them)."""
    return isinstance(value, WidgetComponentBase)


def as_template(value: Any) -> ChatKitWidgetTemplate | None:
    """``value`` as a template if it is one or names a ``.widget`` file, else ``None``."""
    if isinstance(value, ChatKitWidgetTemplate):
        return value
    if isinstance(value, os.PathLike) or (isinstance(value, str) and value.endswith(".widget")):
        return WidgetTemplate.from_file(value)
    if isinstance(value, str):
        raise WidgetError(
            f"show() got the string {value[:60]!r}; pass the path of a .widget file (ending in "
            "'.widget'), a widget root dict or a chatkit.widgets object."
        )
    return None


def to_root(value: Any) -> dict[str, Any]:
    """A widget root as JSON from a dict or a ``chatkit.widgets`` model.

    A component that is not a root (a ``Text``, a ``Row`` ...) is wrapped in a ``Basic`` root,
    so any piece of a widget can be looked at on its own.
    """
    if isinstance(value, BaseModel):
        # How ChatKit's server serialises widgets (ChatKitServer._serialize).
        root = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    elif isinstance(value, Mapping):
        root = _dates_as_text(dict(value))
    else:
        raise WidgetError(
            f"Cannot show a {type(value).__name__}: pass a widget root dict "
            "({'type': 'Card', 'children': [...]}), a chatkit.widgets object, a "
            "WidgetTemplate or the path of a .widget file."
        )
    kind = root.get("type")
    if not isinstance(kind, str) or not kind:
        raise WidgetError(
            "A widget needs a 'type' (a root is 'Card', 'ListView' or 'Basic'); got keys "
            f"{sorted(map(str, root))[:8]}."
        )
    try:
        json.dumps(root, allow_nan=False)
    except (TypeError, ValueError) as e:
        found = _not_json(root, "")
        what = f"{found[0] or 'the widget'} is {found[1]}" if found else str(e)
        raise WidgetError(
            f"The widget is not JSON: {what}. Use strings, numbers, booleans, None, lists and "
            "dicts (str() other objects; None or a string for NaN and infinity)."
        ) from None
    if kind not in ROOT_TYPES:
        root = {"type": "Basic", "children": [root]}
    check_components(root)
    return root


TABLE_TYPES = ("Table", "Table.Row", "Table.Cell")
"""Components in ``@openai/chatkit``'s types (and our renderer) that ``chatkit.widgets`` lacks."""


@functools.cache
def component_types() -> frozenset[str]:
    """Every component type the renderer draws: ``chatkit.widgets``' own, roots, tables."""
    from typing import get_args

    from chatkit import widgets

    union = get_args(widgets.StrictWidgetComponent)[0]
    names = {cls.model_fields["type"].default for cls in get_args(union)}
    return frozenset(names | set(ROOT_TYPES) | set(TABLE_TYPES))


def check_components(root: Mapping[str, Any]) -> None:
    """Refuse a tree the renderer would draw as placeholders: a child that is not a component,
    has no ``type`` or an unknown one, or ``children`` that are not a list. The error names the
    place (``children[0].children[2]``)."""
    known = component_types()

    def visit(node: Any, path: str) -> None:
        where = path or "The root"
        if not isinstance(node, Mapping):
            raise WidgetError(
                f"{where} is a {type(node).__name__}, not a component; a component is a dict "
                "with a 'type', e.g. {'type': 'Text', 'value': 'Hi'}."
            )
        kind = node.get("type")
        if not isinstance(kind, str) or not kind:
            raise WidgetError(
                f"{where} has no 'type' (its keys: {sorted(map(str, node))[:8]}); every "
                "component needs one, e.g. {'type': 'Text', 'value': 'Hi'}."
            )
        if kind not in known:
            close = difflib.get_close_matches(kind, known, n=1) or [
                k for k in known if k.lower() == kind.lower()
            ]
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise WidgetError(
                f"{where}: {kind!r} is not a ChatKit widget component; {hint}"
                f"The components are {', '.join(sorted(known))}."
            )
        children = node.get("children")
        if children is None:
            return
        if isinstance(children, Mapping):  # Transition (and dynamic nodes) take one child
            visit(children, f"{path}.children" if path else "children")
        elif isinstance(children, list):
            for i, child in enumerate(children):
                if child is not None:  # chatkit.widgets drops None children too
                    visit(child, f"{path}.children[{i}]" if path else f"children[{i}]")
        else:
            raise WidgetError(
                f"{path + '.' if path else ''}children of a {kind} must be a list of components, "
                f"not a {type(children).__name__} ({_short(children)})."
            )

    visit(root, "")


def _dates_as_text(value: Any) -> Any:
    """``value`` with dates and times as ISO text, as a ``chatkit.widgets`` model dumps them (a
    ``DatePicker``'s ``defaultValue``, ``min`` and ``max`` are datetimes there)."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_dates_as_text(v) for v in value]
    return value


def _not_json(value: Any, path: str) -> tuple[str, str] | None:
    """Where in ``value`` the first thing JSON cannot hold is (``children[0].data[2].v``), and
    what it is."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, repr(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return None
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                return path, f"a dict with a {type(k).__name__} key ({k!r})"
            found = _not_json(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _not_json(v, f"{path}[{i}]")
            if found:
                return found
        return None
    return path, f"a {type(value).__name__} ({_short(value)})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _data_dict(data: Mapping[str, Any] | BaseModel | None) -> dict[str, Any]:
    if data is None:
        return {}
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, Mapping):
        return dict(data)
    raise WidgetError(
        f"Template data must be a dict or a pydantic model, not {type(data).__name__}."
    )


def validate_data(data: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Check ``data`` against a ``jsonSchema``; the error names the field that is wrong."""
    if not schema or (schema.get("type") == "object" and not _constraining(schema)):
        return
    try:
        import jsonschema
    except ImportError:  # a dependency of openai-agents (through mcp), so normally present
        raise WidgetError(
            "Checking template data against its jsonSchema needs the `jsonschema` package: "
            "`pip install jsonschema`."
        ) from None
    validator_cls = jsonschema.validators.validator_for(schema, jsonschema.Draft202012Validator)
    try:
        validator_cls.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise WidgetError(
            f"The template's jsonSchema is not a valid JSON Schema: {e.message}"
        ) from None
    error = jsonschema.exceptions.best_match(validator_cls(schema).iter_errors(data))
    if error is None:
        return
    field = _field_path(error.absolute_path)
    where = f"field {field!r}" if field else "the data"
    raise WidgetError(f"Template data does not match the jsonSchema: {where}: {error.message}.")


def _constraining(schema: Mapping[str, Any]) -> bool:
    return (
        any(
            schema.get(k)
            for k in ("properties", "required", "additionalProperties", "allOf", "anyOf", "oneOf")
        )
        or schema.get("additionalProperties") is False
    )


def _field_path(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def render_source(template: Any, source: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Render a Jinja template into a widget root, with errors that point at the line."""
    try:
        rendered = template.render(**data)
    except Exception as e:
        missing = _missing_names(source, data) if _is_undefined(e) else []
        if missing:
            names = ", ".join(map(repr, missing))
            raise WidgetError(
                f"The template uses {names}, which the data does not have; pass "
                f"{{{', '.join(f'{n!r}: ...' for n in missing)}}}.{_where(e, source)}"
            ) from None
        raise _template_error(e, source) from None
    try:
        root = json.loads(rendered)
    except json.JSONDecodeError as e:
        raise WidgetError(
            f"The template rendered invalid JSON: {_json_error(e, rendered)}"
            f"{_comma_hint(e) or _tojson_hint(source)}"
        ) from None
    if not isinstance(root, dict):
        raise WidgetError(
            f"The template rendered a JSON {type(root).__name__}; it must render one widget "
            "root object ({'type': 'Card', ...})."
        )
    return to_root(root)


def _quote(text: str, lineno: int, col: int | None = None) -> str:
    lines = text.splitlines()
    if not 1 <= lineno <= len(lines):
        return ""
    line = lines[lineno - 1]
    shown = line if len(line) <= 160 else line[:160] + " ..."
    out = f"\n  {lineno} | {shown}"
    if col is not None and col - 1 <= 160:
        out += "\n  " + " " * (len(str(lineno)) + 3 + col - 1) + "^"
    return out


def _json_error(e: json.JSONDecodeError, text: str) -> str:
    return f"{e.msg} at line {e.lineno}, column {e.colno}:{_quote(text, e.lineno, e.colno)}"


def _comma_hint(e: json.JSONDecodeError) -> str:
    """A hint for a comma before ``]`` or ``}``: what a loop writing one after every item leaves."""
    before = e.doc[: e.pos].rstrip()
    if before.endswith(",") and e.doc[e.pos : e.pos + 1] in ("]", "}"):
        return (
            "\nJSON allows no comma after the last item; in a loop write the comma as "
            "{% if not loop.last %},{% endif %}."
        )
    return ""


def _tojson_hint(source: str) -> str:
    """A hint for templates that put values in without ``tojson`` (a quote or newline in the
    value then breaks the JSON), naming the first such placeholder."""
    for match in re.finditer(r"\{\{(.*?)\}\}", source, re.DOTALL):
        expr = match.group(1).strip()
        if "tojson" not in expr:
            return (
                f"\nA value put in without `| tojson` (as {{{{ {expr} }}}} is) breaks the JSON if "
                f"it holds a quote, a backslash or a newline: write {{{{ {expr} | tojson }}}} "
                "in place of the quoted placeholder (tojson adds the quotes)."
            )
    return ""


def _missing_names(source: str, data: Mapping[str, Any]) -> list[str]:
    """Top-level names the template reads that ``data`` lacks (Jinja cannot name them when a
    filter such as ``tojson`` meets the undefined value)."""
    if not source:
        return []
    from jinja2 import Environment, meta, nodes

    try:
        ast = Environment().parse(source)
    except Exception:
        return []
    used = meta.find_undeclared_variables(ast)
    # `x | default(...)` and `x is defined` are fine without x: they did not raise.
    guarded = {
        f.node.name
        for f in [*ast.find_all(nodes.Filter), *ast.find_all(nodes.Test)]
        if f.name in ("default", "d", "defined", "undefined") and isinstance(f.node, nodes.Name)
    }
    return sorted(n for n in used if n not in data and n not in guarded)


def _is_undefined(e: Exception) -> bool:
    """Whether ``e`` comes from a missing value (StrictUndefined raises, or `tojson` refuses it)."""
    from jinja2 import UndefinedError

    return isinstance(e, UndefinedError) or "Undefined" in str(e)


def _where(e: Exception, source: str) -> str:
    lineno = _error_line(e)
    return f" (line {lineno}){_quote(source, lineno)}" if lineno else ""


def _error_line(e: Exception) -> int | None:
    from jinja2 import TemplateSyntaxError

    if isinstance(e, TemplateSyntaxError):
        return e.lineno
    lineno = None
    # Jinja rewrites runtime tracebacks so that template frames carry template lines.
    for frame, line in traceback.walk_tb(e.__traceback__):
        if frame.f_code.co_filename == "<template>":
            lineno = line
    return lineno


def _template_error(e: Exception, source: str) -> WidgetError:
    """A Jinja error (syntax or runtime) with the template line it is on."""
    from jinja2 import TemplateSyntaxError, UndefinedError

    lineno = _error_line(e)
    message = getattr(e, "message", None) or str(e) or type(e).__name__  # e.g. MemoryError
    hint = ""
    if isinstance(e, UndefinedError) or "StrictUndefined" in message:
        hint = " (a value the template uses is missing from the data)"
    where = f" on line {lineno}" if lineno else ""
    kind = "syntax error" if isinstance(e, TemplateSyntaxError) else "error"
    return WidgetError(
        f"Template {kind}{where}: {message}{hint}{_quote(source, lineno) if lineno else ''}"
    )


def infer_schema(data: Any) -> dict[str, Any]:
    """A JSON Schema describing sample data, for a ``.widget`` file saved from a notebook."""

    def of(value: Any) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"type": "boolean"}
        if isinstance(value, int):
            return {"type": "integer"}
        if isinstance(value, float):
            return {"type": "number"}
        if isinstance(value, str):
            return {"type": "string"}
        if value is None:
            return {"type": "null"}
        if isinstance(value, Mapping):
            return {"type": "object", "properties": {str(k): of(v) for k, v in value.items()}}
        if isinstance(value, (list, tuple)):
            return {"type": "array", "items": of(value[0])} if value else {"type": "array"}
        return {}

    schema = of(data if isinstance(data, Mapping) else {})
    return {"$schema": JSON_SCHEMA_DIALECT, **schema}
