import assert from "node:assert/strict";
import { redactDeep, redactSecrets, redactUrl } from "./redact.ts";

Deno.test("URL passwords and credential parameters are masked wherever they sit in text", () => {
  assert.equal(redactUrl("postgres://mmml:s3cret@db:5432/reg"), "postgres://mmml:***@db:5432/reg");
  assert.equal(
    redactUrl("postgresql://u:p%40ss@h/db?sslmode=require"),
    "postgresql://u:***@h/db?sslmode=require",
  );
  assert.equal(
    redactSecrets('Cannot reach the PostgreSQL registry "postgres://a:b@h/d": ECONNREFUSED'),
    'Cannot reach the PostgreSQL registry "postgres://a:***@h/d": ECONNREFUSED',
  );
  assert.equal(
    redactSecrets("postgres://h/db?user=a&password=hunter2&x=1"),
    "postgres://h/db?user=a&password=***&x=1",
  );
  assert.equal(redactSecrets("https://x/?api_key=k1;token=t"), "https://x/?api_key=***;token=***");
  // No password, nothing to mask: user names, paths and ports stay.
  assert.equal(redactUrl("postgres://mmml@db:5432/reg"), "postgres://mmml@db:5432/reg");
  assert.equal(redactSecrets("/srv/models and http://host:8080/v2"), "/srv/models and http://host:8080/v2");
});

Deno.test("redactDeep masks every string of a report, keys and other values untouched", () => {
  const report = {
    registry: { location: "postgres://u:pw@h/d", models: 2 },
    list: ["postgres://u:pw@h/e", 3],
  };
  assert.deepEqual(redactDeep(report), {
    registry: { location: "postgres://u:***@h/d", models: 2 },
    list: ["postgres://u:***@h/e", 3],
  });
});
