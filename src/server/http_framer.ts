/**
 * Follows the requests a client sends on one HTTP/1.1 connection, byte by byte as they arrive, far
 * enough to know where each request's header block ends and how long its body is (Content-Length or
 * chunked). The front door (front_door.ts) forwards the bytes untouched and uses this to time the
 * header phase of each request, which Deno.serve does not (denoland/deno#3515).
 */

/** What the framer saw in a chunk. */
export interface FrameEvents {
  /** The first byte of a request's headers arrived. */
  onHeadStart(): void;
  /** A request's header block is complete. */
  onHeadEnd(): void;
  /** The header block passed the size limit. */
  onHeadTooLarge(): void;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE = 1024;

type State = "head" | "body" | "chunk-size" | "chunk-data" | "chunk-crlf" | "trailers";

export class HttpFramer {
  private state: State = "head";
  /** Header bytes of the current request held from earlier chunks (rare: headers fit one chunk). */
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private line: number[] = [];
  private remaining = 0;
  private headBytes = 0;
  constructor(private readonly events: FrameEvents) {}

  /** Whether the framer is between requests (no byte of the next one yet). */
  get idle(): boolean {
    return this.state === "head" && this.headBytes === 0;
  }

  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      switch (this.state) {
        case "head": {
          // Skip the blank lines a client may send between requests.
          if (this.headBytes === 0) {
            while (i < bytes.length && (bytes[i] === 13 || bytes[i] === 10)) i++;
            if (i === bytes.length) return;
            this.events.onHeadStart();
          }
          const end = this.findHeadEnd(bytes, i);
          if (end < 0) {
            const part = bytes.subarray(i);
            this.headBytes += part.length;
            if (this.headBytes > MAX_HEAD_BYTES) {
              this.events.onHeadTooLarge();
              this.held = [];
              return;
            }
            this.held.push(part.slice());
            this.heldBytes += part.length;
            return;
          }
          const head = this.held.length ? this.joinHeld(bytes.subarray(i, end)) : bytes.subarray(i, end);
          this.held = [];
          this.heldBytes = 0;
          i = end;
          this.endHead(head);
          break;
        }
        case "body": {
          const take = Math.min(this.remaining, bytes.length - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = "head";
          break;
        }
        case "chunk-size":
        case "trailers": {
          const b = bytes[i++];
          this.line.push(b);
          if (this.line.length > MAX_CHUNK_LINE && this.state === "chunk-size") {
            this.events.onHeadTooLarge();
            return;
          }
          const n = this.line.length;
          if (b !== 10 || this.line[n - 2] !== 13) break;
          if (this.state === "chunk-size") {
            const text = new TextDecoder().decode(new Uint8Array(this.line.slice(0, -2)));
            const size = parseInt(text.split(";")[0].trim(), 16);
            this.line = [];
            if (!Number.isFinite(size) || size <= 0) this.state = "trailers";
            else {
              this.remaining = size;
              this.state = "chunk-data";
            }
          } else {
            // Trailers end at an empty line.
            const empty = n === 2;
            this.line = [];
            if (empty) this.state = "head";
          }
          break;
        }
        case "chunk-data": {
          const take = Math.min(this.remaining, bytes.length - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            this.remaining = 2;
            this.state = "chunk-crlf";
          }
          break;
        }
        case "chunk-crlf": {
          const take = Math.min(this.remaining, bytes.length - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = "chunk-size";
          break;
        }
      }
    }
  }

  /** The index just past CR LF CR LF in `bytes` from `from` (counting held bytes before it), or -1. */
  private findHeadEnd(bytes: Uint8Array, from: number): number {
    // A terminator may begin in the held bytes: look back up to three of them.
    const tail: number[] = [];
    for (let k = this.held.length - 1; k >= 0 && tail.length < 3; k--) {
      const h = this.held[k];
      for (let j = h.length - 1; j >= 0 && tail.length < 3; j--) tail.unshift(h[j]);
    }
    const at = (j: number) => (j >= from ? bytes[j] : tail[tail.length - (from - j)]);
    for (let j = from; j < bytes.length; j++) {
      if (bytes[j] !== 10) continue;
      if (at(j - 1) === 13 && at(j - 2) === 10 && at(j - 3) === 13) return j + 1;
    }
    return -1;
  }

  private joinHeld(last: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.heldBytes + last.length);
    let o = 0;
    for (const h of this.held) (out.set(h, o), o += h.length);
    out.set(last, o);
    return out;
  }

  private endHead(head: Uint8Array): void {
    this.headBytes = 0;
    this.events.onHeadEnd();
    const text = new TextDecoder().decode(head).toLowerCase();
    const chunked = /\r\ntransfer-encoding:[^\r\n]*chunked/.test(text);
    const length = /\r\ncontent-length:\s*(\d+)/.exec(text);
    if (chunked) {
      this.state = "chunk-size";
      this.line = [];
    } else if (length && Number(length[1]) > 0) {
      this.state = "body";
      this.remaining = Number(length[1]);
    } else this.state = "head";
  }
}
