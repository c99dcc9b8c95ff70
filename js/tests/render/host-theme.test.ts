// The host page's light/dark scheme, as each host marks it on <body>: JupyterLab and Notebook 7
// (data-jp-theme-light), VS Code (classes and data-vscode-theme-kind) and marimo (data-theme).
import { afterEach, describe, expect, it } from "vitest";
import { hostColorScheme } from "../../src/render/host-theme";

function body(classes: string, data: Record<string, string> = {}): void {
  document.body.className = classes;
  for (const key of Object.keys(document.body.dataset)) delete document.body.dataset[key];
  Object.assign(document.body.dataset, data);
}

afterEach(() => body(""));

describe("hostColorScheme", () => {
  it("reads JupyterLab's theme", () => {
    body("", { jpThemeLight: "false" });
    expect(hostColorScheme()).toBe("dark");
    body("", { jpThemeLight: "true" });
    expect(hostColorScheme()).toBe("light");
  });

  it("reads VS Code's themes, high contrast light included", () => {
    body("vscode-dark", { vscodeThemeKind: "vscode-dark" });
    expect(hostColorScheme()).toBe("dark");
    body("vscode-high-contrast", { vscodeThemeKind: "vscode-high-contrast" });
    expect(hostColorScheme()).toBe("dark");
    // VS Code keeps the plain high-contrast class on its light variant.
    body("vscode-high-contrast-light vscode-high-contrast", { vscodeThemeKind: "vscode-high-contrast-light" });
    expect(hostColorScheme()).toBe("light");
    body("vscode-light", { vscodeThemeKind: "vscode-light" });
    expect(hostColorScheme()).toBe("light");
  });

  it("reads marimo's theme, whatever the system prefers", () => {
    body("dark dark-theme", { theme: "dark" });
    expect(hostColorScheme()).toBe("dark");
    body("light light-theme", { theme: "light" });
    expect(hostColorScheme()).toBe("light");
  });
});
