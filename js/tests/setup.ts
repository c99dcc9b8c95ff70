// The page loads markdown on demand (src/render/md.ts); tests have it at hand from the start,
// as the page does once markdown.js is in. tests/render/md.test.ts covers the loading itself.
import * as markdown from "../src/render/markdown";
import { provideMarkdown } from "../src/render/md";

provideMarkdown(markdown);
