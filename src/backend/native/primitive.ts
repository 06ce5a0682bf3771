/**
 * A oneDNN primitive built once per shape and run many times on tensors' own memory. Each argument is
 * bound to a memory object in the layout mmml's tensors use (NHWC activations, HWIO filters); where the
 * primitive prefers another layout (weights in a blocked layout are faster than plain HWIO) it gets an
 * internal buffer and a reorder before or after the call. Activations are always asked for in NHWC, so
 * no reorder runs on them. All primitives share one scratchpad (they run one at a time).
 */
import { check, DNNL, type Dnnl, MD_BYTES, OP_DESC_BYTES, outPointer } from "./dnnl_lib.ts";

/** A dnnl_memory_desc_t, owned by JS. */
export type Md = Uint8Array;

/** A dnnl_dims_t (12 int64). */
export function dims(values: readonly number[]): BigInt64Array {
  const out = new BigInt64Array(12);
  values.forEach((v, i) => (out[i] = BigInt(v)));
  return out;
}

/** A float32 memory descriptor with a format tag (DNNL.nhwc, DNNL.tagAny, ...). */
export function mdTag(dnnl: Dnnl, shape: readonly number[], tag: number): Md {
  const md = new Uint8Array(MD_BYTES);
  check(
    dnnl.symbols.dnnl_memory_desc_init_by_tag(md, shape.length, dims(shape), DNNL.f32, tag),
    "memory_desc_init_by_tag",
  );
  return md;
}

/** A float32 memory descriptor with explicit strides (in elements). */
export function mdStrides(dnnl: Dnnl, shape: readonly number[], strides: readonly number[]): Md {
  const md = new Uint8Array(MD_BYTES);
  check(
    dnnl.symbols.dnnl_memory_desc_init_by_strides(md, shape.length, dims(shape), DNNL.f32, dims(strides)),
    "memory_desc_init_by_strides",
  );
  return md;
}

/** Element strides of a row-major (dense, last axis fastest) shape: tfjs's own layout. */
export function denseStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) (strides[i] = s), (s *= shape[i]);
  return strides;
}

/** Row-major descriptor of a shape. */
export function mdDense(dnnl: Dnnl, shape: readonly number[]): Md {
  return mdStrides(dnnl, shape, denseStrides(shape));
}

/** An empty op descriptor for the *_desc_init functions to fill. */
export function opDesc(): Uint8Array {
  return new Uint8Array(OP_DESC_BYTES);
}

function copyMd(ptr: Deno.PointerObject | null): Md {
  if (ptr === null) return new Uint8Array(MD_BYTES);
  return new Uint8Array(new Deno.UnsafePointerView(ptr).getArrayBuffer(MD_BYTES).slice(0));
}

export function mdBytes(dnnl: Dnnl, md: Md): number {
  return Number(dnnl.symbols.dnnl_memory_desc_get_size(md));
}

/** Creates a primitive descriptor; `hint` is the forward one for a backward primitive. */
export function primitiveDesc(
  dnnl: Dnnl,
  desc: Uint8Array,
  hint: Deno.PointerObject | null = null,
  attr: Deno.PointerObject = dnnl.attr,
): Deno.PointerObject {
  return outPointer(
    (o) => dnnl.symbols.dnnl_primitive_desc_create(o, desc, attr, dnnl.engine, hint),
    "primitive_desc_create",
  );
}

export function queryMd(dnnl: Dnnl, pd: Deno.PointerObject, query: number, index = 0): Md {
  return copyMd(dnnl.symbols.dnnl_primitive_desc_query_md(pd, query, index));
}

/** The implementation oneDNN picked (e.g. "brgconv:avx512_core"). */
export function implName(dnnl: Dnnl, pd: Deno.PointerObject): string {
  const out = new BigUint64Array(1);
  check(dnnl.symbols.dnnl_primitive_desc_query(pd, DNNL.qImplInfo, 0, out), "query impl_info_str");
  return new Deno.UnsafePointerView(Deno.UnsafePointer.create(out[0])!).getCString();
}

/** One argument: its oneDNN arg id, the query giving the primitive's layout, and mmml's layout. */
export interface ArgBinding {
  arg: number;
  /** null: bound as given, without asking (plain 1-D statistics and scales). */
  query: number | null;
  /** The query's index (1 for a bias, which oneDNN reports as the second weights). */
  index?: number;
  md: Md;
  /** An output (reordered back after the call) rather than an input. */
  out?: boolean;
}

interface Step {
  prim: Deno.PointerObject;
  args: Uint8Array;
  count: number;
}

/** The shared scratchpad: one buffer, grown to the largest request. */
let scratch = new Uint8Array(64);

function pointerOf(view: ArrayBufferView): Deno.PointerObject {
  const ptr = Deno.UnsafePointer.of(view as Uint8Array);
  if (ptr === null) throw new Error("native backend: a zero-length buffer cannot be bound");
  return ptr;
}

function packArgs(pairs: [number, Deno.PointerObject][]): Uint8Array {
  const out = new Uint8Array(16 * pairs.length);
  const view = new DataView(out.buffer);
  pairs.forEach(([arg, mem], i) => {
    view.setInt32(i * 16, arg, true);
    view.setBigUint64(i * 16 + 8, BigInt(Deno.UnsafePointer.value(mem)), true);
  });
  return out;
}

/** A primitive with its arguments bound; `run` takes the user buffers in the order of the bindings. */
export class Primitive {
  readonly impl: string;
  private readonly userMems: Deno.PointerObject[] = [];
  private readonly before: Step[] = [];
  private readonly after: Step[] = [];
  private readonly main: Step;
  private readonly scratchMem: Deno.PointerObject | null = null;
  private readonly scratchBytes: number;
  /** Internal buffers (blocked weights, workspaces), kept alive with the primitive. */
  private readonly owned: Uint8Array[] = [];

  constructor(
    private readonly dnnl: Dnnl,
    pd: Deno.PointerObject,
    bindings: ArgBinding[],
    /** Arguments with buffers that live as long as the primitive (a pooling workspace). */
    fixed: { arg: number; md: Md; buffer: Uint8Array }[] = [],
  ) {
    const pairs: [number, Deno.PointerObject][] = [];
    for (const b of bindings) {
      const user = this.memory(b.md, null);
      this.userMems.push(user);
      const wanted = b.query === null ? b.md : queryMd(dnnl, pd, b.query, b.index);
      if (b.query === null || dnnl.symbols.dnnl_memory_desc_equal(wanted, b.md) === 1) {
        pairs.push([b.arg, user]);
        continue;
      }
      const buffer = new Uint8Array(Math.max(64, mdBytes(dnnl, wanted)));
      this.owned.push(buffer);
      const internal = this.memory(wanted, pointerOf(buffer));
      const step = b.out
        ? this.reorder(wanted, internal, b.md, user)
        : this.reorder(b.md, user, wanted, internal);
      (b.out ? this.after : this.before).push(step);
      pairs.push([b.arg, internal]);
    }
    for (const f of fixed) {
      this.owned.push(f.buffer);
      pairs.push([f.arg, this.memory(f.md, pointerOf(f.buffer))]);
    }
    const scratchMd = queryMd(dnnl, pd, DNNL.qScratchpadMd);
    this.scratchBytes = mdBytes(dnnl, scratchMd);
    if (this.scratchBytes > 0) {
      this.scratchMem = this.memory(scratchMd, null);
      pairs.push([DNNL.argScratchpad, this.scratchMem]);
    }
    this.impl = implName(dnnl, pd);
    const prim = outPointer((o) => dnnl.symbols.dnnl_primitive_create(o, pd), "primitive_create");
    this.main = { prim, args: packArgs(pairs), count: pairs.length };
  }

  private memory(md: Md, handle: Deno.PointerObject | null): Deno.PointerObject {
    return outPointer(
      (o) => this.dnnl.symbols.dnnl_memory_create(o, md, this.dnnl.engine, handle),
      "memory_create",
    );
  }

  private reorder(fromMd: Md, from: Deno.PointerObject, toMd: Md, to: Deno.PointerObject): Step {
    const s = this.dnnl.symbols;
    const pd = outPointer(
      (o) =>
        s.dnnl_reorder_primitive_desc_create(
          o,
          fromMd,
          this.dnnl.engine,
          toMd,
          this.dnnl.engine,
          this.dnnl.attr,
        ),
      "reorder_primitive_desc_create",
    );
    const pairs: [number, Deno.PointerObject][] = [[DNNL.argSrc, from], [DNNL.argDst, to]];
    const scratchMd = queryMd(this.dnnl, pd, DNNL.qScratchpadMd);
    if (mdBytes(this.dnnl, scratchMd) > 0) {
      throw new Error(
        "native backend: a reorder asked for a scratchpad, which this binding does not give it",
      );
    }
    const prim = outPointer((o) => s.dnnl_primitive_create(o, pd), "reorder primitive_create");
    return { prim, args: packArgs(pairs), count: pairs.length };
  }

  /** Runs the primitive on `buffers` (one per binding, in order), reorders included. */
  run(buffers: readonly ArrayBufferView[]): void {
    const s = this.dnnl.symbols;
    for (let i = 0; i < this.userMems.length; i++) {
      check(s.dnnl_memory_set_data_handle(this.userMems[i], pointerOf(buffers[i])), "memory_set_data_handle");
    }
    if (this.scratchMem !== null) {
      if (scratch.byteLength < this.scratchBytes) scratch = new Uint8Array(this.scratchBytes);
      check(s.dnnl_memory_set_data_handle(this.scratchMem, pointerOf(scratch)), "memory_set_data_handle");
    }
    for (const step of this.before) this.exec(step);
    this.exec(this.main);
    for (const step of this.after) this.exec(step);
    check(s.dnnl_stream_wait(this.dnnl.stream), "stream_wait");
  }

  private exec(step: Step): void {
    check(
      this.dnnl.symbols.dnnl_primitive_execute(step.prim, this.dnnl.stream, step.count, step.args),
      "primitive_execute",
    );
  }
}

/** Primitives (or groups of them) by a key describing op and shapes; built on first use. */
export class PrimitiveCache {
  private readonly entries = new Map<string, unknown>();
  get size(): number {
    return this.entries.size;
  }
  get<T = Primitive>(key: string, build: () => T): T {
    let p = this.entries.get(key) as T | undefined;
    if (p === undefined) {
      p = build();
      this.entries.set(key, p);
    }
    return p;
  }
}
