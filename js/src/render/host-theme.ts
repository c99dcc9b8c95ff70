// The page's light/dark scheme, for views that follow it.

/** The host's current colour scheme: JupyterLab's or Notebook 7's, VS Code's, marimo's. */
export function hostColorScheme(): "light" | "dark" {
  const body = document.body;
  const lab = body.dataset.jpThemeLight;
  if (lab === "false") return "dark";
  if (lab === "true") return "light";
  // VS Code's high contrast light theme keeps the plain `vscode-high-contrast` class too.
  if (body.classList.contains("vscode-high-contrast-light")) return "light";
  if (body.classList.contains("vscode-dark") || body.classList.contains("vscode-high-contrast")) return "dark";
  if (body.classList.contains("vscode-light")) return "light";
  // marimo marks the theme it resolved (its own setting, or the system's) on <body>.
  const marimo = body.dataset.theme;
  if (marimo === "dark" || marimo === "light") return marimo;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}
