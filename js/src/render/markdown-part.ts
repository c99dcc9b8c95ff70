// The markdown bundle (markdown.js) the page's code loads on demand through md.ts.
export { setMarkdown } from "./markdown";
