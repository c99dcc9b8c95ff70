// Vitest for Stryker's mutation run (bench/mutation.sh): only the fast tests that exercise the
// sanitizer and the markdown pipeline, so each mutant costs a second, not the whole suite.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "happy-dom",
    setupFiles: ["tests/setup.ts"],
    include: [
      "tests/render/safe.test.ts",
      "tests/render/safe-layers.test.ts",
      "tests/render/markdown-layers.test.ts",
      "tests/lite/markdown.test.ts",
      "tests/widgets/widgets.test.ts",
    ],
  },
});
