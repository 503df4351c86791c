// Secret redaction, applied where text leaves the process: the event log (and through it the panel,
// the CLI's progress and the report), the report files, the CLI's output, recorded cassettes, the
// editor's error messages, and everything sent to a model (the caller redacts each request: tool
// results, prompts, project rules). Providers echo the key they were sent in some error bodies
// (OpenAI "Incorrect API key provided: sk-…", Gemini "API key not valid … key=AIza…"), a command can
// print a credentials file, and a file an agent reads may hold a key, so any text that came from
// outside may carry one. Known values (the keys and credential headers a session was given, the
// environment's secrets) are replaced exactly; the usual credential shapes are replaced whatever their
// source. The shapes follow gitleaks' rules (github.com/gitleaks/gitleaks, config/gitleaks.toml) for
// the credentials a developer's machine usually holds; each needs a random-looking tail, so that code,
// content hashes (sha256, git commit ids) and UUIDs are left alone.

export const REDACTED = '[redacted]';

/**
 * Known values shorter than this are not redacted as substrings: a key like "k" or "test" (local
 * endpoints, fixtures) would otherwise mangle every line that contains those letters, and a value
 * that short protects nothing anyway.
 */
export const MIN_SECRET_LENGTH = 8;

type Replacer = string | ((match: string, ...groups: string[]) => string);

interface Rule {
  /** What it finds (tests and the README name the rules by it). */
  name: string;
  /** Text without this (exactly) cannot match: the rule is not run on it. */
  needs?: string;
  re: RegExp;
  by: Replacer;
}

export interface Shape {
  name: string;
  needs?: string;
  /** `text` with what this rule finds replaced. */
  apply(text: string): string;
}

/** Bits of Shannon entropy per character of `s`. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Words of a name that say its value is a secret (`_authToken`, `aws_secret_access_key`, `DB_PASSWORD`, `x-api-key`). */
const SECRET_WORDS = new Set([
  'key',
  'keys',
  'token',
  'tokens',
  'secret',
  'secrets',
  'password',
  'passwd',
  'passphrase',
  'pwd',
  'credential',
  'credentials',
  'creds',
  'auth',
  'oauth',
  'authorization',
  'apikey',
  'authtoken',
  'accesstoken',
  'sessiontoken',
  'refreshtoken',
  'idtoken',
  'accesskey',
  'secretkey',
  'privatekey',
  'clientsecret',
]);
/** Names whose value is a password: short ones count too. */
const PASSWORD_WORDS = /passw(?:or)?d|passphrase|pwd|secret/i;

/** The kind of secret a name says its value is: 'password', 'key' (any other credential), or undefined (not one). */
function secretName(name: string): 'password' | 'key' | undefined {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const squashed = words.join('');
  // A word of the name (`aws_secret_access_key`, `clientSecret`), or a compound written as one
  // (`apikey`, `dbpassword`); not a word that only begins like one (`secretlint`, `keyboard`).
  if (!words.some((w) => SECRET_WORDS.has(w)) && !/apikey|secretkey|privatekey|accesskey|authtoken|accesstoken|password|passwd/.test(squashed))
    return undefined;
  return words.some((w) => PASSWORD_WORDS.test(w)) || /password|passwd/.test(squashed) ? 'password' : 'key';
}

/**
 * Whether `v` reads as a name rather than random characters: words (`JsonSchema7RecordType`,
 * `SIGN_IN_V2_SUBMIT`, `task/backend-api`, `openai/gpt-4.1-nano`, `welcome_message_2024`) make long
 * runs of letters of one case, with vowels in them, and few groups of digits; a random token has
 * short runs, few vowels, or many digits.
 */
function wordy(v: string): boolean {
  if ((v.match(/\d+/g)?.length ?? 0) > 2 && !/^[A-Za-z]+\d*[A-Za-z]?(?:[_./-](?:[A-Za-z]+\d*|\d+[A-Za-z]{0,2}))+$/.test(v)) return false;
  const letters = v.replace(/[^A-Za-z]/g, '').length;
  if (letters < 6 || letters < v.length / 2) return false;
  const runs = v.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])/g) ?? [];
  const inWords = runs.filter((r) => r.length >= 3).reduce((n, r) => n + r.length, 0);
  const lower = v.toLowerCase().replace(/[^a-z]/g, '');
  const vowels = lower.replace(/[^aeiouy]/g, '').length;
  return inWords / letters >= 0.7 && vowels / Math.max(1, lower.length) >= 0.25;
}

/** `/home/me/app2`, `~/.ssh/id_rsa`, `./bin/run.js`: folders of short or wordy names (base64 also holds `/`, in long random runs). */
function isPath(v: string): boolean {
  if (!/^(?:~|\.{1,2})?(?:\/[\w.-]+)+\/?$/.test(v)) return false;
  return v.split('/').every((seg) => seg.length <= 8 || wordy(seg) || /^[\w-]{1,40}\.\w{1,5}$/.test(seg));
}

/**
 * Whether the value given to a secret-sounding name (`token=…`, `"password": "…"`) looks like a
 * credential rather than code or prose: long enough (8 characters for a password, 16 for a key or a
 * token), random enough (Shannon entropy: 3 bits a character; gitleaks' generic rule asks 3.5, which
 * one random 32-digit hex key in five misses), and
 * not a word, a number, a path, a URL, a variable, code or a name made of words.
 */
function looksSecret(kind: 'password' | 'key', value: string, quoted = true): boolean {
  const v = value.replace(/\.+$/, ''); // a sentence's full stop is not part of it
  if (v.length < (kind === 'password' ? 8 : 16)) return false;
  if (/^[A-Za-z_.-]+$/.test(v) || /^[\d.:+-]+$/.test(v)) return false; // a word, an identifier, an expression; a number, a date, a time
  if (v.includes('://') || isPath(v)) return false; // a URL, a path
  if (/^\$\{?\w+\}?$|^%\w+%$|^<[^>]*>$|^\{\{.*\}\}$/.test(v)) return false; // a variable, a placeholder
  // code: a member access, maybe in an expression (`opts?.workSecret`, `this.config.apiKey2`, `t.tokens.length-1`)
  if (/^!*[A-Za-z_$][\w$]{0,60}(?:\??\.[A-Za-z_$][\w$]{0,60}|\[\d+\])+(?:[-+*/%|&=!<>?:].*)?$/.test(v)) return false;
  // a word and numbers: a version, a dated tag (`oauth-2025-04-20`, `v1.2.3`)
  if (/^[A-Za-z]+(?:[-_.]\d+)+$/.test(v)) return false;
  // A name (an identifier, a constant, a type, a model, a path of words), not a key. A password may be
  // made of words; but not one written like a type (`password: Uint8Array`) or, in quotes, like a long
  // constant's name (`"FlowPasswordRequiredResultV2"`).
  const named = /^[A-Za-z][A-Za-z0-9_]*$/.test(v) && /[a-z0-9][A-Z]|_/.test(v) && (!quoted || v.length >= 16);
  if ((kind === 'key' || named) && wordy(v)) return false;
  // A password only needs to be more than a repeated letter; a key or a token must look random.
  return entropy(v) >= (kind === 'password' ? 2.5 : 3);
}

/** What documentation writes where a password goes. */
const PLACEHOLDER = /^(?:password|passwd|pass|secret|changeme|x+|\*+|\.{3}|…|\$\{?\w+\}?|<[^>]*>|%\w+%|\{\{[^}]*\}\})$/i;

// The value of an assignment: up to a separator, a quote or a bracket.
const VALUE = String.raw`[^\s"'\x60,;<>(){}\[\]\\]`;

const RULES: Rule[] = [
  // -----BEGIN RSA PRIVATE KEY----- … -----END RSA PRIVATE KEY----- (OpenSSH, PKCS#8, EC, DSA, PGP);
  // also a block cut before its end (output cut at a length), and the end of one whose beginning was cut off.
  // (A key is a few KB: the bounds keep a text of many headers from costing a scan of the rest for each.)
  {
    name: 'private key block',
    needs: 'PRIVATE KEY',
    re: /-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{32,16384}?-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----/g,
    by: REDACTED,
  },
  {
    name: 'private key block (cut before its end)',
    needs: 'PRIVATE KEY',
    re: /-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=:,\s-]|\\[nr]){32,16384}$/g,
    by: REDACTED,
  },
  // The lines before an end whose beginning was cut off: found from each end backwards (a regex would try every line of a long base64 text).
  { name: 'private key block (its end)', needs: '-----END', re: /-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----/g, by: '' },
  // OpenAI (sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…), Anthropic (sk-ant-…), OpenRouter (sk-or-…), DeepSeek
  { name: 'OpenAI / Anthropic / OpenRouter key (sk-…)', re: /\bsk-(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{16,}/g, by: REDACTED },
  { name: 'Google API key (AIza…)', re: /\bAIza[0-9A-Za-z_-]{30,}/g, by: REDACTED },
  { name: 'Google OAuth token (ya29.…) and client secret (GOCSPX-…)', re: /\b(?:ya29\.[0-9A-Za-z_-]{20,}|GOCSPX-[0-9A-Za-z_-]{20,})/g, by: REDACTED },
  {
    name: 'Groq, xAI, Perplexity, Hugging Face, Replicate keys',
    re: /\b(?:gsk_[A-Za-z0-9]{32,}|xai-[A-Za-z0-9]{32,}|pplx-[A-Za-z0-9]{32,}|hf_[A-Za-z0-9]{30,}|r8_[A-Za-z0-9]{30,})/g,
    by: REDACTED,
  },
  { name: 'AWS access key id (AKIA…, ASIA…)', re: /\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}\b/g, by: REDACTED },
  {
    name: 'GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)',
    re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})/g,
    by: REDACTED,
  },
  { name: 'GitLab token (glpat-…)', re: /\bgl(?:pat|dt|rt|ptt|ft|oas|soat|cbt|imt|agent|ffct)-[A-Za-z0-9_-]{20,}/g, by: REDACTED },
  { name: 'npm token (npm_…)', re: /\bnpm_[A-Za-z0-9]{36,}/g, by: REDACTED },
  {
    name: 'Slack token (xoxb-, xoxp-, xoxa-, xoxo-, xoxs-, xoxr-, xoxe-, xapp-) and webhook',
    re: /\b(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})|(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9+/_-]{20,}/g,
    by: (m, hook?: string) => (hook ? `${hook}${REDACTED}` : REDACTED),
  },
  {
    name: 'Stripe key (sk_live_, rk_live_, sk_test_…) and webhook secret (whsec_)',
    re: /\b(?:[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9+/]{20,})/g,
    by: REDACTED,
  },
  {
    name: 'SendGrid, Twilio, Shopify, DigitalOcean, Vault, PyPI, Databricks tokens',
    re: /\b(?:SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|SK[0-9a-fA-F]{32}\b|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|do[opr]_v1_[a-f0-9]{64}|hv[sb]\.[A-Za-z0-9_-]{90,}|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}|dapi[a-f0-9]{32})/g,
    by: REDACTED,
  },
  // A JSON Web Token: header.payload.signature, the first two base64url JSON ("eyJ" is `{"`).
  { name: 'JSON Web Token (eyJ….eyJ….…)', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, by: REDACTED },
  { name: 'Authorization: Bearer …', re: /\b(Bearer\s+)(?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{12,}=*/gi, by: `$1${REDACTED}` },
  // Authorization: Basic dXNlcjpwYXNz (any base64 after Basic), Token …, Bot …, or a bare credential
  {
    name: 'Authorization: Basic … (and other schemes)',
    re: /\b(Authorization\\?["']?\s*[:=]\s*\\?["']?)(?:(Basic\s+)([A-Za-z0-9+/]{8,}={0,2})|((?:Token|Bot|Digest|ApiKey)\s+)?([A-Za-z0-9._~+/-]{8,}=*))/gi,
    // a credential after a scheme; bare, a long random one (`'Authorization': type1msg` is code)
    by: (m, head: string, basic?: string, b64?: string, scheme?: string, value?: string) =>
      basic ? `${head}${basic}${REDACTED}` : looksSecret(scheme ? 'password' : 'key', value ?? '') ? `${head}${scheme ?? ''}${REDACTED}` : m,
  },
  // .netrc: `machine api.example.com login me password …` (tokens apart by spaces or lines, no `=`)
  {
    name: 'password in a .netrc (machine … login … password …)',
    re: /(\b(?:machine[ \t\r\n]+\S+|default)[ \t\r\n]+(?:(?:login|account|port)[ \t\r\n]+\S+[ \t\r\n]+)*password[ \t\r\n]+)(\S+)/g,
    by: (m, head: string, value: string) => (PLACEHOLDER.test(value) ? m : `${head}${REDACTED}`),
  },
  // https://user:password@host (git remotes, database URLs)
  {
    name: 'password in a URL (scheme://user:password@host)',
    re: /\b([a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@'"]{1,100}:)([^\s@/'"]{3,200})@/gi,
    by: (m, head: string, pw: string) => (PLACEHOLDER.test(pw) ? m : `${head}${REDACTED}@`),
  },
  // key=…, api_key=…, x-api-key: …, _authToken=…, aws_secret_access_key = …, "password": "…",
  // DB_PASSWORD=…, client_secret: …, oauth_token: … (a name, then its value when it looks like a credential).
  {
    name: 'a random value (16+ characters; 8+ for a password) given to a name that says key, token, secret, password, credential or auth',
    re: new RegExp(
      String.raw`((?<![\w.-])((?=[\w.-]{0,60}?(?:key|token|secret|passw|passphrase|pwd|cred|auth))[A-Za-z_][\w.-]{0,60}?)(?:\\?["'])?\s{0,4}(?:=(?!=)|:=|:|=>)\s{0,4}(\\?["'\x60])?)(${VALUE}{8,})`,
      'gi',
    ),
    by: (m, head: string, name: string, quote: string | undefined, value: string) => {
      const kind = secretName(name);
      if (!kind) return m;
      // A key or a token ends where a query string's next parameter begins (`key=…&page=2`); a password may hold any sign.
      const secret = kind === 'key' ? (/^[\w+/=.~%-]+/.exec(value)?.[0] ?? '') : value;
      return looksSecret(kind, secret, !!quote) ? `${head}${REDACTED}${value.slice(secret.length)}` : m;
    },
  },
];

/** The base64 lines (a PEM body) that end right before `end` in `text`, at most a key's worth: where they begin. */
function pemBodyStart(text: string, end: number): number {
  let start = end;
  for (let lines = 0; lines < 200 && start > 0 && text[start - 1] === '\n'; lines++) {
    const from = text.lastIndexOf('\n', start - 2) + 1;
    if (!/^[A-Za-z0-9+/=]{16,100}\r?$/.test(text.slice(from, start - 1))) break;
    start = from;
  }
  return start;
}

/** Replaces each end of a private key whose beginning was cut off, with the base64 lines before it. */
function redactKeyEnds(text: string, re: RegExp): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(re)) {
    const start = Math.max(last, pemBodyStart(text, m.index));
    if (start === m.index) continue; // no body before it: a mention of the footer, not a key
    out += text.slice(last, start) + REDACTED;
    last = m.index + m[0].length;
  }
  return out + text.slice(last);
}

/** The rules, in the order they run. */
export const SHAPES: readonly Shape[] = RULES.map(({ name, needs, re, by }) => ({
  name,
  needs,
  apply: name === 'private key block (its end)' ? (text: string) => redactKeyEnds(text, re) : (text: string) => text.replace(re, by as string),
}));

/** What each rule finds, in order (README, tests). */
export const SHAPE_NAMES: readonly string[] = SHAPES.map((s) => s.name);

/**
 * Every shape above needs one of these (JSON never escapes a letter, a digit, `-`, `_` or `.`): text,
 * or an event's JSON line, with none of them and without a known value holds nothing to redact.
 */
const SHAPE_WORDS =
  /sk-|aiza|ya29\.|gocspx-|gsk_|xai-|pplx-|hf_|r8_|akia|asia|abia|acca|a3t|gh[pousr]_|github_pat_|gl[a-z]{1,5}-|npm_|xox|xapp-|hooks\.slack|k_(?:live|test|prod)_|whsec_|sg\.|sk[0-9a-f]{32}|shp|_v1_|hv[sb]\.|pypi-|dapi|eyj|bearer|authori[sz]ation|:\/\/[^\s/@]{1,100}@|key|token|secret|passw|pwd|cred|auth/i;

/** Names of environment variables whose values are secrets (keys, tokens, passwords). */
export const SECRET_ENV_NAME = /(API_?KEY|(^|_)KEY($|_)|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|PRIVATE_?KEY|ACCESS_?KEY)/i;

/** The values of the environment variables whose names say they hold a secret. */
export function secretsInEnv(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, v]) => v && SECRET_ENV_NAME.test(name))
    .map(([, v]) => v!.trim());
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
    for (const shape of SHAPES) if (!shape.needs || out.includes(shape.needs)) out = shape.apply(out);
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
