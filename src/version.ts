/** The program's version, as deno.json states it. */
import denoJson from "../deno.json" with { type: "json" };

/** The version in deno.json. */
export const VERSION: string = denoJson.version;
