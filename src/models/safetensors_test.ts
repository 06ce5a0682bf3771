import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../backend/choose.ts";
import { ModelConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import { buildModel } from "./architectures.ts";
import type { MmmlModel } from "./model.ts";
import { loadPretrained } from "./pretrained.ts";
import { transpose } from "./pretrained_sources.ts";
import { parseSafetensors } from "./safetensors.ts";
import { rawSafetensors, safetensorsBytes } from "../../testing/safetensors_file.ts";
import { stateDictOf } from "../../testing/torch_state_dict.ts";

await useBackend("cpu");

/** Every weight of `model` moved off its initialisation, seeded (moving variances kept positive). */
function moveOffInit(model: MmmlModel, seed: number): void {
  model.net.weights.forEach((w, i) =>
    tf.tidy(() => {
      const moving = w.originalName.endsWith("moving_variance");
      w.write(
        tf.randomUniform(w.shape as number[], moving ? 0.5 : -0.3, moving ? 1.5 : 0.3, "float32", seed + i),
      );
    })
  );
}

const invalid = (pattern: RegExp) => (e: unknown) =>
  e instanceof MmmlError && e.code === "invalid_input" && pattern.test(e.message);

Deno.test("safetensors: F32, F16, BF16 and F64 tensors read as float32; integers are kept apart", () => {
  const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer); // 1, -2, ~1/3
  const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer); // 1, -3
  const f64 = new Uint8Array(new Float64Array([0.1, 1e-8]).buffer);
  const bytes = rawSafetensors({
    a: { dtype: "F16", shape: [3], data_offsets: [0, 6] },
    b: { dtype: "BF16", shape: [2], data_offsets: [6, 10] },
    c: { dtype: "F64", shape: [2], data_offsets: [10, 26] },
  }, [f16, bf16, f64]);
  const { tensors } = parseSafetensors(bytes, "mixed.safetensors");
  assert.deepEqual(Array.from(tensors.get("a")!.floats()).map((v) => Number(v.toFixed(4))), [1, -2, 0.3333]);
  assert.deepEqual(Array.from(tensors.get("b")!.floats()), [1, -3]);
  assert.deepEqual(Array.from(tensors.get("c")!.floats()), [Math.fround(0.1), Math.fround(1e-8)]);
  const ints = parseSafetensors(safetensorsBytes({ n: { shape: [], values: [7], dtype: "I64" } }), "n");
  assert.equal(ints.tensors.get("n")!.isFloat, false);
});

Deno.test("safetensors: unknown dtypes, truncation and headers that lie about offsets are refused by name", () => {
  const w = new Uint8Array(16);
  const cases: [unknown, Uint8Array[], RegExp][] = [
    [
      { w: { dtype: "F8_E4M3", shape: [16], data_offsets: [0, 16] } },
      [w],
      /tensor w: dtype "F8_E4M3" is not one/,
    ],
    [
      { w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } },
      [w.subarray(0, 8)],
      /tensor w ends at data byte 16, but the data holds 8 bytes \(truncated\?\)/,
    ],
    [
      { w: { dtype: "F32", shape: [2, 2], data_offsets: [0, 12] } },
      [w],
      /data_offsets \[0, 12\] span 12 bytes, but shape \[2,2\] of F32 needs 16/,
    ],
    [
      {
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
      },
      [w],
      /tensor b overlaps the one before it/,
    ],
    [{ a: { dtype: "F32", shape: [2], data_offsets: [8, 16] } }, [w], /a hole of 8 bytes before tensor a/],
    [
      { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } },
      [w],
      /the data holds 16 bytes, but its tensors end at 8/,
    ],
  ];
  for (const [header, blobs, pattern] of cases) {
    assert.throws(() => parseSafetensors(rawSafetensors(header, blobs), "bad.safetensors"), invalid(pattern));
  }
  const lying = rawSafetensors({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, [
    new Uint8Array(4),
  ]);
  new DataView(lying.buffer).setBigUint64(0, 1_000_000n, true);
  assert.throws(() => parseSafetensors(lying, "big.safetensors"), invalid(/the header claims 1000000 bytes/));
});

Deno.test("a model's torch-layout state dict loads back exactly; a wrong shape names the tensor and both shapes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_safetensors_" });
  const config = ModelConfig.parse({ arch: "efficientnet_b0" });
  const source = buildModel(config, { inputShape: [32, 32, 3], numClasses: 3, seed: 1 });
  const fresh = buildModel(config, { inputShape: [32, 32, 3], numClasses: 3, seed: 2 });
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 5);
  const out = (m: typeof source) => tf.tidy(() => Array.from(m.predict(x).dataSync()));
  try {
    moveOffInit(source, 100);
    const dict = stateDictOf(source);
    assert.ok("classifier.1.weight" in dict && "features.1.0.block.0.0.weight" in dict);
    const path = join(dir, "b0.safetensors");
    await Deno.writeFile(path, safetensorsBytes(dict));
    assert.notDeepEqual(out(fresh), out(source));
    await loadPretrained(fresh, path, { skipHead: false });
    assert.deepEqual(out(fresh), out(source));

    const key = "features.1.0.block.0.0.weight"; // depthwise [32, 1, 3, 3]
    const wrong = join(dir, "wrong.safetensors");
    await Deno.writeFile(
      wrong,
      safetensorsBytes({ ...dict, [key]: { shape: [32, 1, 5, 5], values: new Float32Array(32 * 25) } }),
    );
    await assert.rejects(
      loadPretrained(fresh, wrong),
      invalid(
        /shapes differ for features\.1\.0\.block\.0\.0\.weight \(features\.1\.0\.block\.0\.0\/depthwise_kernel\) \(expected \[3,3,32,1\], received \[5,5,32,1\]\)/,
      ),
    );
    const pth = join(dir, "resnet18.pth");
    await Deno.writeFile(pth, new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0]));
    await assert.rejects(loadPretrained(fresh, pth), invalid(/pickled PyTorch file .* unpickling runs code/));
  } finally {
    x.dispose();
    source.net.dispose();
    fresh.net.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("transpose reorders axes as torch's permute does", () => {
  // [2, 3] -> [3, 2]
  assert.deepEqual(Array.from(transpose(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0])), [
    1,
    4,
    2,
    5,
    3,
    6,
  ]);
  const x = tf.tidy(() => tf.range(0, 2 * 3 * 4 * 5).reshape([2, 3, 4, 5]));
  const expected = tf.tidy(() => Array.from(x.transpose([2, 3, 1, 0]).dataSync()));
  assert.deepEqual(Array.from(transpose(x.dataSync() as Float32Array, [2, 3, 4, 5], [2, 3, 1, 0])), expected);
  x.dispose();
});

/** torchvision EfficientNet module paths written the way timm names them (the inverse of the name map). */
function asTimm(dict: Record<string, { shape: number[]; values: Float32Array }>) {
  const ds: Record<string, string> = {
    "block.0.0": "conv_dw",
    "block.0.1": "bn1",
    "block.1.fc1": "se.conv_reduce",
    "block.1.fc2": "se.conv_expand",
    "block.2.0": "conv_pw",
    "block.2.1": "bn2",
  };
  const ir: Record<string, string> = {
    "block.0.0": "conv_pw",
    "block.0.1": "bn1",
    "block.1.0": "conv_dw",
    "block.1.1": "bn2",
    "block.2.fc1": "se.conv_reduce",
    "block.2.fc2": "se.conv_expand",
    "block.3.0": "conv_pwl",
    "block.3.1": "bn3",
  };
  const top: Record<string, string> = {
    "features.0.0": "conv_stem",
    "features.0.1": "bn1",
    "features.8.0": "conv_head",
    "features.8.1": "bn2",
    "classifier.1": "classifier",
  };
  return Object.fromEntries(
    Object.entries(dict).map(([key, t]) => {
      const dot = key.lastIndexOf(".");
      const [module, param] = [key.slice(0, dot), key.slice(dot + 1)];
      const m = /^features\.(\d+)\.(\d+)\.(block\..+)$/.exec(module);
      const renamed = m
        ? `blocks.${Number(m[1]) - 1}.${m[2]}.${(m[1] === "1" ? ds : ir)[m[3]]}`
        : top[module];
      return [`${renamed}.${param}`, t];
    }),
  );
}

Deno.test("timm's EfficientNet state dict (conv_stem, blocks.S.B.conv_pwl, classifier) loads by the name map", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_timm_" });
  const config = ModelConfig.parse({ arch: "efficientnet_b0" });
  const source = buildModel(config, { inputShape: [32, 32, 3], numClasses: 4, seed: 1 });
  const fresh = buildModel(config, { inputShape: [32, 32, 3], numClasses: 4, seed: 2 });
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 6);
  const out = (m: typeof source) => tf.tidy(() => Array.from(m.predict(x).dataSync()));
  try {
    moveOffInit(source, 7);
    const timm = asTimm(stateDictOf(source));
    assert.ok(
      "blocks.0.0.conv_dw.weight" in timm && "blocks.1.0.conv_pwl.weight" in timm &&
        "conv_head.weight" in timm,
    );
    const path = join(dir, "efficientnet_b0.safetensors");
    await Deno.writeFile(path, safetensorsBytes(timm));
    await loadPretrained(fresh, path, { skipHead: false });
    assert.deepEqual(out(fresh), out(source));
  } finally {
    x.dispose();
    source.net.dispose();
    fresh.net.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
