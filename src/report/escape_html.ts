/**
 * Escaping for text put into the report's HTML and SVG. Class names, column names and config values
 * come from user data, so every one of them goes through here before it meets markup.
 */

const ENTITIES = Object.freeze(
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" } as const satisfies Record<
    string,
    string
  >,
);

/** Text safe inside an element or a double- or single-quoted attribute. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c as keyof typeof ENTITIES]);
}
