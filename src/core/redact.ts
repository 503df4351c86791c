// Secret redaction, applied where text leaves the process: the event log (and through it the panel,
// the CLI's progress and the report), the report files, the CLI's output, recorded cassettes and the
// editor's error messages. Providers echo the key they were sent in some error bodies (OpenAI
// "Incorrect API key provided: sk-…", Gemini "API key not valid … key=AIza…"), so any text that came
// from outside may carry one. Known values (the keys and credential headers a session was given) are
// replaced exactly; the usual key shapes are replaced whatever their source.

export const REDACTED = '[redacted]';

/**
 * Known values shorter than this are not redacted as substrings: a key like "k" or "test" (local
 * endpoints, fixtures) would otherwise mangle every line that contains those letters, and a value
 * that short protects nothing anyway.
 */
export const MIN_SECRET_LENGTH = 8;

// Each shape needs a random-looking tail (a digit and a length) so that ordinary words such as
// "sk-learn", "Bearer tokens" or "key=value" are left alone.
const SHAPES: [RegExp, string][] = [
  // OpenAI (sk-…, sk-proj-…), Anthropic (sk-ant-…), OpenRouter (sk-or-…)
  [/\bsk-(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{16,}/g, REDACTED],
  // Google API keys
  [/\bAIza[0-9A-Za-z_-]{30,}/g, REDACTED],
  [/\b(Bearer\s+)(?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{12,}=*/gi, `$1${REDACTED}`],
  // a credential in a query string or a header written out: key=…, api_key=…, x-api-key: …
  [/(?<![A-Za-z0-9_])((?:x-goog-|x-)?api[_-]?key|key|access_token|token)(["']?\s*[=:]\s*["']?)(?=[A-Za-z0-9_~+/.%-]*\d)[A-Za-z0-9_~+/.%-]{16,}=*/gi, `$1$2${REDACTED}`],
];

/**
 * Every shape above needs one of these words, and JSON never escapes a letter or `-`: text (or a
 * JSON line) without any of them and without a known value holds nothing to redact.
 */
const SHAPE_WORDS = /sk-|AIza|bearer|key|token/i;

/** Names of environment variables whose values are secrets (keys, tokens, passwords). */
export const SECRET_ENV_NAME = /(API_?KEY|(^|_)KEY($|_)|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|PRIVATE_?KEY|ACCESS_?KEY)/i;

/** The values of the environment variables whose names say they hold a secret. */
export function secretsInEnv(env: Record<string, string | undefined>): string[] {
  return Object.entries(env).filter(([name, v]) => v && SECRET_ENV_NAME.test(name)).map(([, v]) => v!.trim());
}

export class Redactor {
  private readonly known: RegExp | undefined;
  /** `known` without the global flag, for tests that keep no state between calls. */
  private readonly knownTest: RegExp | undefined;

  constructor(secrets: Iterable<string | undefined | null> = []) {
    const forms = new Set<string>();
    for (const raw of secrets) {
      const s = raw?.trim();
      if (!s || s.length < MIN_SECRET_LENGTH) continue;
      // as written, inside a JSON string, and inside a URL
      for (const form of [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)]) forms.add(form);
    }
    // Longest first, so that a key containing another is replaced whole.
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.known = sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : undefined;
    this.knownTest = sorted.length ? new RegExp(this.known!.source) : undefined;
  }

  /** Whether `text` (e.g. an event's JSON line) may hold a known secret or a key shape; false means surely not. */
  mayHold(text: string): boolean {
    return SHAPE_WORDS.test(text) || !!this.knownTest?.test(text);
  }

  /** `text` with every known secret and every key shape replaced by [redacted]. */
  text(text: string): string {
    if (!this.mayHold(text)) return text;
    let out = this.known ? text.replace(this.known, REDACTED) : text;
    for (const [re, by] of SHAPES) out = out.replace(re, by);
    return out;
  }

  /** A copy of JSON-like data with every string in it redacted (object keys are kept). */
  value<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(v: unknown): unknown {
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.walk(x);
      return out;
    }
    return v;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
