"""Everything ``show`` accepts, normalised to one widget root; ``.widget`` files in and out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chatkit.widgets import WidgetTemplate as ChatKitWidgetTemplate

from chatkit_jupyter import WidgetError, WidgetTemplate

FIXTURES = Path(__file__).parent / "fixtures" / "widgets"

# The data chatkit-python's own tests render these fixtures with (giving NAME.json).
FIXTURE_DATA: dict[str, dict[str, Any]] = {
    "basic_root": {"name": "Harry Potter", "bio": "The boy who lived"},
    "card_no_data": {},
    "card_with_data": {
        "channel": "#proj-chatkit",
        "time": "4:48 PM",
        "user": {"name": "Pam Beesly", "image": "/pam.png"},
    },
    "list_view_no_data": {},
    "list_view_with_data": {
        "items": [
            {"id": "blue", "label": "Blue line", "color": "blue-500"},
            {"id": "orange", "label": "Orange line", "color": "orange-500"},
            {"id": "purple", "label": "Purple line", "color": "purple-500"},
        ]
    },
}


def fixture(name: str) -> Path:
    return FIXTURES / f"{name}.widget"


@pytest.mark.parametrize("name", sorted(FIXTURE_DATA))
def test_fixtures_render_as_chatkit_renders_them(name: str) -> None:
    template = WidgetTemplate.from_file(fixture(name))
    expected = json.loads((FIXTURES / f"{name}.json").read_text())
    assert template.render(FIXTURE_DATA[name]) == expected
    # The same as chatkit-python's own WidgetTemplate.build, serialised as ChatKit does.
    theirs = ChatKitWidgetTemplate(json.loads(fixture(name).read_text())).build(FIXTURE_DATA[name])
    assert theirs.model_dump(mode="json", by_alias=True, exclude_none=True) == expected


@pytest.mark.parametrize("name", sorted(FIXTURE_DATA))
def test_no_data_shows_the_preview(name: str) -> None:
    definition = json.loads(fixture(name).read_text())
    template = WidgetTemplate.from_file(str(fixture(name)))
    assert template.render() == definition["outputJsonPreview"]
    assert template.name == definition["name"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"channel": 1, "time": "x", "user": {"name": "a", "image": "b"}},
            "field 'channel': 1 is not of type 'string'",
        ),
        (
            {"channel": "c", "time": "x", "user": {"name": 7, "image": "b"}},
            "field 'user.name': 7 is not of type 'string'",
        ),
        ({"channel": "c", "time": "x", "user": {"image": "b"}}, "'name' is a required property"),
        ({"channel": "c", "time": "x"}, "'user' is a required property"),
    ],
)
def test_data_is_checked_against_the_schema_naming_the_field(data: Any, message: str) -> None:
    template = WidgetTemplate.from_file(fixture("card_with_data"))
    with pytest.raises(WidgetError, match="does not match the jsonSchema") as info:
        template.render(data)
    assert message in str(info.value)


def test_list_items_are_named_by_index() -> None:
    template = WidgetTemplate.from_file(fixture("list_view_with_data"))
    bad = {
        "items": [
            {"id": "a", "label": "A", "color": "blue-500"},
            {"id": "b", "label": "B", "color": "pink"},
        ]
    }
    with pytest.raises(WidgetError, match=r"field 'items\[1\]\.color': 'pink' is not one of"):
        template.render(bad)


def test_template_syntax_error_points_at_the_line() -> None:
    source = '{"type": "Card",\n "children": [\n  {"type": "Text", "value": {{ title | }}}\n]}'
    with pytest.raises(WidgetError) as info:
        WidgetTemplate({"version": "1.0", "name": "x", "template": source})
    message = str(info.value)
    assert message.startswith("Template syntax error on line 3:")
    assert '3 |   {"type": "Text", "value": {{ title | }}}' in message


def test_undefined_variable_points_at_the_line() -> None:
    source = '{"type": "Card",\n "children": [{"type": "Text", "value": {{ title | tojson }}}]}'
    template = WidgetTemplate({"version": "1.0", "name": "x", "template": source})
    with pytest.raises(WidgetError) as info:
        template.render({})
    assert str(info.value).startswith(
        "The template uses 'title', which the data does not have; pass {'title': ...}. (line 2)"
    )
    template = WidgetTemplate.from_file(fixture("card_with_data"))
    template.data_schema = {}  # let the bad data reach Jinja
    with pytest.raises(WidgetError, match=r"Template error on line 1: .*missing from the data"):
        template.render({"channel": "c", "time": "t", "user": {}})


def test_an_error_without_a_message_is_named_by_its_class() -> None:
    # Before: "Template error on line 2: " and nothing after it (e.g. a MemoryError).
    class Row:
        @property
        def total(self) -> int:
            raise ValueError

    source = '{"type": "Card",\n "children": [{"type": "Text", "value": "{{ row.total }}"}]}'
    template = WidgetTemplate({"version": "1.0", "name": "x", "template": source})
    with pytest.raises(WidgetError) as info:
        template.render({"row": Row()})
    assert str(info.value).startswith("Template error on line 2: ValueError\n")


def test_invalid_rendered_json_quotes_the_line_and_column() -> None:
    source = '{"type": "Card",\n "children": [{"type": "Text" "value": {{ t | tojson }}}]}'
    template = WidgetTemplate({"version": "1.0", "name": "x", "template": source})
    with pytest.raises(WidgetError) as info:
        template.render({"t": "hi"})
    message = str(info.value)
    assert "Expecting ',' delimiter at line 2, column 31" in message
    lines = message.splitlines()
    quoted = lines.index('  2 |  "children": [{"type": "Text" "value": "hi"}]}')
    assert lines[quoted + 1].index("^") == lines[quoted].index('"value"')


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"version": "1.0", "name": "x"}, "lacks 'template'"),
        ({"version": "2.0", "name": "x", "template": "{}"}, "Unsupported .widget version '2.0'"),
        (
            {"version": "1.0", "name": "x", "template": {"type": "Card"}},
            "must be the template text",
        ),
    ],
)
def test_bad_definitions_say_what_is_wrong(definition: Any, message: str) -> None:
    with pytest.raises(WidgetError, match=message):
        WidgetTemplate(definition)


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(WidgetError, match=r"No \.widget file at .*nope\.widget"):
        WidgetTemplate.from_file(tmp_path / "nope.widget")
    broken = tmp_path / "broken.widget"
    broken.write_text('{"version": "1.0",\n "name": }')
    with pytest.raises(WidgetError, match=r"broken.widget is not JSON: Expecting value at line 2"):
        WidgetTemplate.from_file(broken)


def test_save_writes_a_file_chatkit_loads(tmp_path: Path) -> None:
    source = '{"type": "Card", "children": [{"type": "Text", "value": {{ title | tojson }}}]}'
    template = WidgetTemplate({"version": "1.0", "name": "Title card", "template": source})
    path = template.save(tmp_path / "title.widget", {"title": "Hello", "n": 2, "tags": ["a"]})
    saved = json.loads(path.read_text())
    assert saved["outputJsonPreview"] == {
        "type": "Card",
        "children": [{"type": "Text", "value": "Hello"}],
    }
    assert saved["jsonSchema"]["properties"] == {
        "title": {"type": "string"},
        "n": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
    }
    theirs = ChatKitWidgetTemplate.from_file(str(path))
    assert theirs.name == "Title card"
    assert (
        theirs.build({"title": "Again"}).model_dump(exclude_none=True)["children"][0]["value"]
        == "Again"
    )
    ours = WidgetTemplate.from_file(path)
    assert ours.render() == saved["outputJsonPreview"]


def _template(source: str) -> WidgetTemplate:
    return WidgetTemplate({"version": "1.0", "name": "x", "template": source})


def test_an_error_is_not_blamed_on_a_name_that_has_a_default() -> None:
    # Before: "The template uses 'x', which the data does not have" for a division by zero.
    source = '{"type": "Card", "children": [{"type": "Text", "value": "{{ x | default(1) }}{{ 1 / n }}"}]}'
    with pytest.raises(WidgetError) as info:
        _template(source).render({"n": 0})
    assert str(info.value).startswith("Template error on line 1: division by zero")
    # A missing name next to a guarded one is named alone.
    source = '{"type": "Card", "children": [{"type": "Text", "value": {{ (x | default("")) ~ t | tojson }}}]}'
    with pytest.raises(WidgetError, match=r"^The template uses 't', which the data does not have"):
        _template(source).render({})


def test_invalid_json_from_an_unescaped_value_suggests_tojson() -> None:
    source = '{"type": "Card", "children": [{"type": "Text", "value": "{{ name }}"}]}'
    with pytest.raises(WidgetError) as info:
        _template(source).render({"name": 'say "hi"'})
    message = str(info.value)
    assert "Expecting ',' delimiter" in message
    assert "write {{ name | tojson }}" in message


def test_invalid_json_from_a_trailing_comma_shows_the_loop_idiom() -> None:
    source = (
        '{"type": "ListView", "children": [{% for i in items %}'
        '{"type": "ListViewItem", "children": [{"type": "Text", "value": {{ i | tojson }}}]},'
        "{% endfor %}]}"
    )
    with pytest.raises(WidgetError) as info:
        _template(source).render({"items": ["a", "b"]})
    message = str(info.value)
    assert "{% if not loop.last %},{% endif %}" in message
    assert "tojson" not in message.split("^")[-1]  # the comma, not the tojson hint
