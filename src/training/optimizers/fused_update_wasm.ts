/**
 * Adam's and momentum's per-weight update as a tiny WebAssembly SIMD module that imports the tfjs wasm
 * backend's own memory, so it reads the gradient and the slots and writes the new values where the
 * tensors already live: one pass over the weights, no copies, no allocation.
 *
 * Why wasm and not a JS loop over Float32Array views: tfjs rounds every intermediate to float32, so a
 * JS loop needs Math.fround after each operation and double-precision divisions and square roots;
 * measured on 11.7M weights (ResNet-18) that loop took 120-200 ms, slower than tfjs's twelve kernel
 * passes (~100 ms). f32x4 arithmetic is IEEE float32 per lane, the same operations in the same order
 * as tfjs's kernels, so the results are the same bits.
 *
 * The module is assembled here from its opcodes (no build step, no binary blob); each function is
 * written out below as the instruction sequence it is.
 */
import { isShared } from "../../backend/wasm/kernels/wasm_memory.ts";
import type { AdamCoefficients } from "./fused_coefficients.ts";

/** Byte addresses (offsets into the memory) and the element count shared by both updates. */
export interface WasmUpdates {
  /**
   * m' = m*b1 + g*(1-b1); v' = v*b2 + g*g*(1-b2); w' = (m'/(1-b1^t)) / (sqrt(v'/(1-b2^t)) + eps) * -lr + w.
   * `count` is a multiple of 4; the outputs may be the inputs' own addresses.
   */
  adam(
    g: number,
    m: number,
    v: number,
    w: number,
    mOut: number,
    vOut: number,
    wOut: number,
    count: number,
    c: AdamCoefficients,
  ): void;
  /** a' = a*momentum + g; w' = a'*-lr + w. `count` is a multiple of 4. */
  momentum(
    g: number,
    a: number,
    w: number,
    aOut: number,
    wOut: number,
    count: number,
    momentum: number,
    negLr: number,
  ): void;
}

// Opcodes (WebAssembly core spec and its fixed-width SIMD proposal, now standard).
const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
const BLOCK = 0x02, LOOP = 0x03, VOID = 0x40, END = 0x0b, BR = 0x0c, BR_IF = 0x0d;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, I32_CONST = 0x41, I32_GE_U = 0x4f, I32_ADD = 0x6a;
const SIMD = 0xfd;
const V128_LOAD = 0x00, V128_STORE = 0x0b, F32X4_SPLAT = 0x13;
const F32X4_SQRT = 0xe3, F32X4_ADD = 0xe4, F32X4_MUL = 0xe6, F32X4_DIV = 0xe7;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const get = (i: number) => [LOCAL_GET, ...uleb(i)];
const set = (i: number) => [LOCAL_SET, ...uleb(i)];
const simd = (op: number) => [SIMD, ...uleb(op)];
// memarg: alignment hint 0 (tfjs buffers are 8-byte aligned, not always 16), offset 0.
const load = (base: number, i: number) => [...get(base), ...get(i), I32_ADD, ...simd(V128_LOAD), 0, 0];
const storeAt = (base: number, i: number) => [...get(base), ...get(i), I32_ADD];
const store = () => [...simd(V128_STORE), 0, 0];
const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** `for (i = 0; i < bytes; i += 16) { body }` with i in local `i` and the byte count in local `bytes`. */
function loop16(i: number, bytes: number, body: number[]): number[] {
  return [
    BLOCK,
    VOID,
    LOOP,
    VOID,
    ...[...get(i), ...get(bytes), I32_GE_U, BR_IF, 1],
    ...body,
    ...[...get(i), I32_CONST, 16, I32_ADD, ...set(i)],
    ...[BR, 0],
    END,
    END,
  ];
}

/** Splats the f32 params `from..from+n-1` into v128 locals `to..to+n-1`. */
function splats(from: number, to: number, n: number): number[] {
  return Array.from({ length: n }, (_, k) => [...get(from + k), ...simd(F32X4_SPLAT), ...set(to + k)]).flat();
}

function adamBody(): number[] {
  // params: 0 g, 1 m, 2 v, 3 w, 4 mOut, 5 vOut, 6 wOut, 7 bytes (i32); 8..15 the coefficients (f32)
  const [g, m, v, w, mOut, vOut, wOut, bytes] = [0, 1, 2, 3, 4, 5, 6, 7];
  // locals: 16 i; 17..24 the splatted coefficients; 25 G, 26 M, 27 V
  const i = 16, [B1, OMB1, B2, OMB2, OMA1, OMA2, EPS, NLR] = [17, 18, 19, 20, 21, 22, 23, 24];
  const [G, M, V] = [25, 26, 27];
  const code = [
    ...splats(8, B1, 8),
    ...loop16(i, bytes, [
      ...load(g, i),
      ...set(G),
      // M = m*b1 + g*(1-b1)
      ...[...load(m, i), ...get(B1), ...simd(F32X4_MUL), ...get(G), ...get(OMB1), ...simd(F32X4_MUL)],
      ...[...simd(F32X4_ADD), ...set(M)],
      ...[...storeAt(mOut, i), ...get(M), ...store()],
      // V = v*b2 + (g*g)*(1-b2)
      ...[...load(v, i), ...get(B2), ...simd(F32X4_MUL), ...get(G), ...get(G), ...simd(F32X4_MUL)],
      ...[...get(OMB2), ...simd(F32X4_MUL), ...simd(F32X4_ADD), ...set(V)],
      ...[...storeAt(vOut, i), ...get(V), ...store()],
      // w' = ((M/(1-b1^t)) / (sqrt(V/(1-b2^t)) + eps)) * -lr + w
      ...storeAt(wOut, i),
      ...[...get(M), ...get(OMA1), ...simd(F32X4_DIV)],
      ...[...get(V), ...get(OMA2), ...simd(F32X4_DIV), ...simd(F32X4_SQRT), ...get(EPS), ...simd(F32X4_ADD)],
      ...[...simd(F32X4_DIV), ...get(NLR), ...simd(F32X4_MUL), ...load(w, i), ...simd(F32X4_ADD)],
      ...store(),
    ]),
    END,
  ];
  return [...vec([[1, I32], [8, V128], [3, V128]].map(([n, t]) => [...uleb(n), t])), ...code];
}

function momentumBody(): number[] {
  // params: 0 g, 1 a, 2 w, 3 aOut, 4 wOut, 5 bytes (i32); 6 momentum, 7 -lr (f32)
  const [g, a, w, aOut, wOut, bytes] = [0, 1, 2, 3, 4, 5];
  // locals: 8 i; 9 MOM, 10 NLR; 11 A
  const i = 8, MOM = 9, NLR = 10, A = 11;
  const code = [
    ...splats(6, MOM, 2),
    ...loop16(i, bytes, [
      // A = a*momentum + g
      ...[...load(a, i), ...get(MOM), ...simd(F32X4_MUL), ...load(g, i), ...simd(F32X4_ADD), ...set(A)],
      ...[...storeAt(aOut, i), ...get(A), ...store()],
      // w' = A*-lr + w
      ...[...storeAt(wOut, i), ...get(A), ...get(NLR), ...simd(F32X4_MUL), ...load(w, i), ...simd(F32X4_ADD)],
      ...store(),
    ]),
    END,
  ];
  return [...vec([[1, I32], [3, V128]].map(([n, t]) => [...uleb(n), t])), ...code];
}

/** The module's bytes; its memory import is declared shared when the backend's memory is (threads). */
export function updateModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const funcType = (i32s: number, f32s: number) => [
    0x60,
    ...vec([...Array(i32s).fill([I32]), ...Array(f32s).fill([F32])]),
    0,
  ];
  // Limits: min 0 pages; a shared memory must declare a maximum (65536 pages = 4 GiB, any will do).
  const limits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const bodies = [adamBody(), momentumBody()].map((b) => [...uleb(b.length), ...b]);
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([funcType(8, 8), funcType(6, 2)])),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, ...limits]])),
    ...section(3, vec([[0], [1]])),
    ...section(7, vec([[...name("adam"), 0x00, 0], [...name("momentum"), 0x00, 1]])),
    ...section(10, vec(bodies)),
  ]);
}

const instances = new WeakMap<WebAssembly.Memory, WasmUpdates | null>();

/**
 * The update functions working on `memory`, or null where this engine has no wasm SIMD. Compiled once
 * per memory (a second backend instance gets its own).
 */
export function wasmUpdates(memory: WebAssembly.Memory): WasmUpdates | null {
  const cached = instances.get(memory);
  if (cached !== undefined) return cached;
  const shared = isShared(memory);
  const bytes = updateModuleBytes(shared);
  let updates: WasmUpdates | null = null;
  if (WebAssembly.validate(bytes)) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const raw = instance.exports as Record<string, (...args: number[]) => void>;
    updates = {
      adam: (g, m, v, w, mOut, vOut, wOut, count, c) =>
        raw.adam(
          g,
          m,
          v,
          w,
          mOut,
          vOut,
          wOut,
          count * 4,
          c.beta1,
          c.oneMinusBeta1,
          c.beta2,
          c.oneMinusBeta2,
          c.oneMinusAccBeta1,
          c.oneMinusAccBeta2,
          c.epsilon,
          c.negLr,
        ),
      momentum: (g, a, w, aOut, wOut, count, momentum, negLr) =>
        raw.momentum(g, a, w, aOut, wOut, count * 4, momentum, negLr),
    };
  }
  instances.set(memory, updates);
  return updates;
}
