"""A small marimo app for tests/browser/test_marimo.py: a chat and a few variables."""

import marimo

app = marimo.App()


@app.cell
def _():
    import chatkit_jupyter

    sales = [120.5, 98.0, 143.25]
    threshold = 0.75
    region_names = {"n": "north", "s": "south"}
    chat = chatkit_jupyter.ChatKitWidget(height=500)
    chat  # noqa: B018 (marimo shows the last expression of a cell)
    return chat, region_names, sales, threshold


if __name__ == "__main__":
    app.run()
