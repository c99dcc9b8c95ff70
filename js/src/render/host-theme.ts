// The page's light/dark scheme, for views that follow it.

/** JupyterLab's (and VS Code's) current colour scheme. */
export function hostColorScheme(): "light" | "dark" {
  const body = document.body;
  const lab = body.dataset.jpThemeLight;
  if (lab === "false") return "dark";
  if (lab === "true") return "light";
  if (body.classList.contains("vscode-dark") || body.classList.contains("vscode-high-contrast")) return "dark";
  if (body.classList.contains("vscode-light")) return "light";
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}
