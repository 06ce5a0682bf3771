/**
 * Reuses the float32 buffers of disposed native-kernel outputs. A training step allocates the same
 * activation-sized buffers every time; fresh ones cost page faults that, on these hosts, took more
 * system time than the kernels took user time. Only buffers this pool handed out come back to it, and
 * only when no tensor refers to them any more: every tensor the backend stores counts a reference to
 * its array's buffer (a cpu kernel may store a view of another tensor's values), and reads return
 * copies, so no caller holds a pooled buffer once its tensor is gone.
 */

/** Outputs under this many elements are plain allocations (small ones do not fault). */
export const MIN_POOLED = 16384;
/**
 * The pool keeps at most this many bytes of idle buffers; beyond, they are left to the GC. A training
 * step at 224 px frees and reallocates its whole working set (ResNet-50, batch 32: ~9 GiB), so the cap is
 * half the machine's memory rather than a fixed figure.
 */
export function defaultMaxIdleBytes(): number {
  try {
    return Deno.systemMemoryInfo().total / 2;
  } catch {
    return 4 * 1024 ** 3;
  }
}

export class BufferPool {
  private readonly idle = new Map<number, Float32Array[]>();
  private idleBytes = 0;
  /** Live references to each buffer this pool handed out. */
  private readonly refs = new WeakMap<ArrayBufferLike, number>();

  constructor(private readonly maxIdleBytes = defaultMaxIdleBytes()) {}

  /** A buffer of `length` floats; its contents are undefined (a reused one is not cleared). */
  take(length: number): Float32Array {
    if (length < MIN_POOLED) return new Float32Array(length);
    const reused = this.idle.get(length)?.pop();
    if (reused !== undefined) this.idleBytes -= reused.byteLength;
    const out = reused ?? new Float32Array(length);
    this.refs.set(out.buffer, 0);
    return out;
  }

  addReference(values: unknown): void {
    const buffer = (values as Float32Array | undefined)?.buffer;
    const n = buffer === undefined ? undefined : this.refs.get(buffer);
    if (n !== undefined) this.refs.set(buffer!, n + 1);
  }

  /** One tensor less refers to `values`; the last one returns a whole pooled buffer to the pool. */
  dropReference(values: unknown): void {
    const array = values as Float32Array | undefined;
    const n = array?.buffer === undefined ? undefined : this.refs.get(array.buffer);
    if (n === undefined) return;
    if (n > 1) return void this.refs.set(array!.buffer, n - 1);
    this.refs.delete(array!.buffer);
    if (
      !(array instanceof Float32Array) || array.byteOffset !== 0 ||
      array.byteLength !== array.buffer.byteLength
    ) {
      return;
    }
    if (this.idleBytes + array.byteLength > this.maxIdleBytes) return;
    const list = this.idle.get(array.length) ?? [];
    list.push(array);
    this.idle.set(array.length, list);
    this.idleBytes += array.byteLength;
  }

  /** `values` itself, or a copy when it is a pooled buffer. */
  detached<T>(values: T): T {
    const buffer = (values as Float32Array | undefined)?.buffer;
    return buffer !== undefined && this.refs.has(buffer) ? (values as Float32Array).slice() as T : values;
  }
}
