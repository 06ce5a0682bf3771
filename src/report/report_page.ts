/**
 * The page around a report's sections: the document head with the inlined stylesheet, the body, and the
 * footer that stamps when it was rendered. Shared by the run report and the sweep report.
 */
import { escapeHtml } from "./escape_html.ts";
import { REPORT_CSS } from "./report_style.ts";

/** A self-contained HTML page; `css` adds rules after the shared stylesheet. */
export function reportPage({ title, body, generatedAt, css = "" }: {
  title: string;
  body: string;
  generatedAt: string;
  css?: string;
}): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mmml">
<title>${escapeHtml(title)} · mmml report</title>
<style>${REPORT_CSS}${css}</style>
</head>
<body>
<main>
${body}
<footer>Rendered ${escapeHtml(generatedAt)} by mmml. This file is self-contained: no scripts and ` +
    `no external resources.</footer>
</main>
</body>
</html>
`;
}
