/**
 * Secrets never leave the process: the one place that knows what a credential looks like in text. It
 * masks the password of any URL (`postgres://user:pw@host` -> `postgres://user:***@host`, wherever the URL
 * sits in a message) and the value of credential query parameters (`?password=`, `sslpassword`, `token`,
 * `api_key`, `secret`). The logger, the CLI's error printer, the server's error bodies and the host report
 * pass their text through here.
 */

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@?#]*):[^\s@/?#]*@/gi;
const SECRET_PARAM = /([?&;](?:ssl)?(?:password|passwd|pwd|token|api[_-]?key|secret)=)[^&;\s#"']*/gi;

/** `text` with every URL password and credential parameter replaced by `***`. */
export function redactSecrets(text: string): string {
  return text.replace(URL_PASSWORD, "$1:***@").replace(SECRET_PARAM, "$1***");
}

/** The URL (or path) without its password, for messages and `location`. */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}

/** A JSON-like value with every string inside it redacted (for reports and log fields). */
export function redactDeep<T>(value: T): T {
  if (typeof value === "string") return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  }
  return value;
}
