/**
 * Seeded generator of malformed HTTP requests for the server's fuzz test: bad JSON, wrong types, huge
 * numbers, deep nesting, missing and unknown fields, wrong tensor shapes, oversize bodies, wrong content
 * types, random bytes and broken HTTP framing. A few valid requests are mixed in so the test also sees
 * that the server keeps answering correctly while being abused.
 */
import type { Rng } from "../src/random.ts";
import { mutate, pick, randomBytes, randomValue } from "./fuzz_values.ts";

export type FuzzKind =
  | "valid"
  | "bad_json"
  | "wrong_type"
  | "huge_number"
  | "deep_nesting"
  | "missing_field"
  | "unknown_field"
  | "wrong_shape"
  | "oversize"
  | "content_type"
  | "random_bytes"
  | "multipart"
  | "method_path"
  | "raw_http";

export interface FuzzRequest {
  kind: FuzzKind;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** A stream is sent chunked, without Content-Length. */
  body?: string | Uint8Array<ArrayBuffer> | (() => ReadableStream<Uint8Array>);
  /** For `raw_http`: the exact bytes written to the socket. */
  raw?: Uint8Array;
}

const JSON_TYPE = { "content-type": "application/json" };
const COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

const validRow = (rng: Rng) => Object.fromEntries(COLUMNS.map((c) => [c, Math.round(rng.next() * 80) / 10]));
const validTabular = (rng: Rng) => ({
  model: "iris",
  instances: Array.from({ length: 1 + rng.int(3) }, () => validRow(rng)),
});
const validInfer = (rng: Rng) => {
  const n = 1 + rng.int(3);
  return {
    inputs: [{
      name: "features",
      shape: [n, 4],
      datatype: "FP32",
      data: Array.from({ length: n * 4 }, () => rng.next()),
    }],
  };
};

const nested = (depth: number) => "[".repeat(depth) + "1" + "]".repeat(depth);
const hugeNumbers = [
  "1e308",
  "1e999",
  "-1e999",
  "18446744073709551616",
  "9".repeat(5000),
  "0.0000000000000000000000001",
  "-0",
];

const JSON_TARGETS = [
  { path: "/predict/tabular", valid: validTabular },
  { path: "/v2/models/iris/infer", valid: validInfer },
  { path: "/v2/models/iris/versions/1/infer", valid: validInfer },
  { path: "/predict/image", valid: () => ({ model: "pets", images: [btoa("\x89PNG\r\n\x1a\n....")] }) },
] as const;

function jsonCase(kind: FuzzKind, path: string, tree: unknown): FuzzRequest {
  return {
    kind,
    method: "POST",
    path,
    headers: { ...JSON_TYPE },
    body: typeof tree === "string" ? tree : JSON.stringify(tree),
  };
}

function rawHttp(rng: Rng): FuzzRequest {
  const body = JSON.stringify(validTabular(rng));
  const enc = new TextEncoder();
  const variants = [
    // Content-Length shorter than the body: the server sees a truncated JSON document.
    `POST /predict/tabular HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${
      rng.int(body.length)
    }\r\nConnection: close\r\n\r\n${body}`,
    // Content-Length longer than the body, then the client hangs up.
    `POST /predict/tabular HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${
      body.length + 50
    }\r\n\r\n${body}`,
    `POST /predict/tabular HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n${body}`,
    `POST /predict/tabular HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`,
    `GARBAGE / HTTP/9.9\r\n\r\n`,
    `POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{"a":1}`,
  ];
  const text = pick(rng, variants);
  const raw = rng.next() < 0.2
    ? new Uint8Array([...enc.encode(text.slice(0, 20)), ...randomBytes(rng, 64)])
    : enc.encode(text);
  return { kind: "raw_http", method: "RAW", path: "", headers: {}, raw };
}

/** One random request; `maxBodyBytes` is the server's limit, so oversize bodies exceed it. */
export function malformedRequest(rng: Rng, { maxBodyBytes }: { maxBodyBytes: number }): FuzzRequest {
  const target = pick(rng, JSON_TARGETS);
  const kind = pick(
    rng,
    [
      "valid",
      "bad_json",
      "wrong_type",
      "wrong_type",
      "huge_number",
      "deep_nesting",
      "missing_field",
      "unknown_field",
      "wrong_shape",
      "wrong_shape",
      "oversize",
      "content_type",
      "random_bytes",
      "multipart",
      "method_path",
      "raw_http",
    ] as const,
  );
  const valid = target.valid(rng);
  switch (kind) {
    case "valid":
      return target.path === "/predict/image"
        ? jsonCase("valid", "/predict/tabular", validTabular(rng))
        : jsonCase(kind, target.path, valid);
    case "bad_json": {
      const text = JSON.stringify(valid);
      return jsonCase(
        kind,
        target.path,
        pick(rng, [
          text.slice(0, rng.int(text.length)),
          text + "}",
          text.replace(/"/g, "'"),
          text.replace(":", ""),
          "NaN",
          "",
          "{,}",
          "\u0000" + text,
          `{"model": "iris", "instances": [${"{},".repeat(3)}]}`,
        ]),
      );
    }
    case "wrong_type":
      return jsonCase(kind, target.path, mutate(rng, valid, () => randomValue(rng)));
    case "huge_number": {
      const marker = "__HUGE__";
      const text = JSON.stringify(mutate(rng, valid, marker)).replace(`"${marker}"`, pick(rng, hugeNumbers));
      return jsonCase(kind, target.path, text);
    }
    case "deep_nesting": {
      const marker = "__DEEP__";
      const text = JSON.stringify(mutate(rng, valid, marker)).replace(
        `"${marker}"`,
        nested(pick(rng, [50, 1000, 20_000])),
      );
      return jsonCase(kind, target.path, text);
    }
    case "missing_field":
      return jsonCase(kind, target.path, mutate(rng, valid, undefined));
    case "unknown_field":
      return jsonCase(kind, target.path, {
        ...(valid as object),
        [pick(rng, ["extra", "Model", "input", "__proto__"])]: randomValue(rng),
      });
    case "wrong_shape": {
      const n = 1 + rng.int(3);
      const shape = pick(rng, [
        [n, 3],
        [n, 4, 1],
        [-1, 4],
        [0, 4],
        [1e9, 1e9],
        [n + 1, 4],
        [2.5, 4],
        Array.from({ length: 20 }, () => 1),
        [],
      ]);
      const data = pick(rng, [
        Array.from({ length: n * 4 }, () => rng.next()),
        Array.from({ length: n }, () => Array.from({ length: 4 }, () => rng.next())),
        Array.from({ length: n }, () => [[rng.next()]]),
        [],
      ]);
      const datatype = pick(rng, ["FP32", "FP32", "INT64", "BOOL", "BYTES", "FP16"]);
      const name = pick(rng, ["features", "features", "x", ""]);
      const path = pick(rng, ["/v2/models/iris/infer", "/v2/models/iris/versions/1/infer"]);
      return jsonCase(kind, path, { inputs: [{ name, shape, datatype, data }] });
    }
    case "oversize": {
      const size = maxBodyBytes + 1 + rng.int(maxBodyBytes * 4);
      const filler = `{"model": "iris", "instances": [${"{},".repeat(Math.ceil(size / 3))}{}]}`;
      if (rng.next() < 0.5) return jsonCase(kind, target.path, filler);
      const bytes = new TextEncoder().encode(filler);
      const stream = () =>
        new ReadableStream<Uint8Array>({
          start(ctl) {
            for (let i = 0; i < bytes.length; i += 16 * 1024) ctl.enqueue(bytes.slice(i, i + 16 * 1024));
            ctl.close();
          },
        });
      return { kind, method: "POST", path: target.path, headers: { ...JSON_TYPE }, body: stream };
    }
    case "content_type": {
      const type = pick(rng, [
        "text/plain",
        "",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/json-patch",
        "image/png",
      ]);
      return {
        kind,
        method: "POST",
        path: target.path,
        headers: type ? { "content-type": type } : {},
        body: JSON.stringify(valid),
      };
    }
    case "random_bytes": {
      const type = pick(rng, [
        "application/json",
        "multipart/form-data; boundary=abc",
        "application/octet-stream",
      ]);
      return {
        kind,
        method: "POST",
        path: target.path,
        headers: { "content-type": type },
        body: randomBytes(rng, rng.int(2048)),
      };
    }
    case "multipart": {
      const boundary = "fuzz" + rng.int(1e6);
      const parts = [
        rng.next() < 0.7
          ? `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${
            pick(rng, ["pets", "iris", "", "nope"])
          }\r\n`
          : "",
        rng.next() < 0.5
          ? `--${boundary}\r\nContent-Disposition: form-data; name="version"\r\n\r\n${
            pick(rng, ["1", "0", "-1", "x", "99999999999"])
          }\r\n`
          : "",
        rng.next() < 0.8
          ? `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n${
            String.fromCharCode(...randomBytes(rng, rng.int(200)))
          }\r\n`
          : "",
        rng.next() < 0.8 ? `--${boundary}--\r\n` : "",
      ].join("");
      const header = pick(rng, [
        `multipart/form-data; boundary=${boundary}`,
        "multipart/form-data",
        `multipart/form-data; boundary=other`,
      ]);
      return {
        kind,
        method: "POST",
        path: pick(rng, ["/predict/image", "/predict/tabular"]),
        headers: { "content-type": header },
        body: parts,
      };
    }
    case "method_path": {
      const method = pick(rng, ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "POST"]);
      const path = pick(rng, [
        "/v2/models/%00/ready",
        `/v2/models/${"n".repeat(3000)}`,
        "/v2/models/iris/versions/0",
        "/v2/models/iris/versions/-1/infer",
        "/v2/models/iris/versions/99999999999999999999",
        "/predict",
        "/../../etc/passwd",
        "/metrics?x=%ff",
        "/health/",
        "/v2/models//infer",
        "/models/iris",
      ]);
      return {
        kind,
        method,
        path,
        headers: { ...JSON_TYPE },
        body: method === "GET" ? undefined : JSON.stringify(valid),
      };
    }
    default:
      return rawHttp(rng);
  }
}
