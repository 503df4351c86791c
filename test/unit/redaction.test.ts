// The redactor against a corpus: for each kind of credential a developer's machine holds (gitleaks'
// rules, github.com/gitleaks/gitleaks config/gitleaks.toml, are the reference), realistic text holding
// a made-up value of the right shape, which must not survive; and ordinary text that must come out
// unchanged: code that names keys and tokens, content hashes as the event log stores them (sha256
// `beforeSha`/`afterSha`), git commit ids, UUIDs, lock files, prose.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { entropy, REDACTED, Redactor, SHAPES } from '../../src/core/redact';
import { REDACTION_NOTE } from '../../src/core/session/caller';
import { startSession } from '../../src/core/session/session';
import type { ChatProvider } from '../../src/core/ports';
import { nodeWorkspace } from '../../src/node/workspace';
import { conv, planStep, ScriptedProvider, turn } from '../helpers/scripted';
import { tempWorkspace, testConfig } from '../helpers/session';

// Made-up values, random-looking but the same on every run (a seeded generator), so that no run can
// draw a value that happens to look tame.
let seed = 0x5eed;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const from = (chars: string, n: number) => Array.from({ length: n }, () => chars[Math.floor(rand() * chars.length)]).join('');
const alnum = (n: number) => from(ALNUM, n);
const b64 = (n: number) => from(`${ALNUM}+/`, n);
const b64url = (n: number) => from(`${ALNUM}-_`, n);
const hex = (n: number) => from('0123456789abcdef', n);
const upper32 = (n: number) => from('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', n);
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const pem = (lines: number) => Array.from({ length: lines }, () => b64(64)).join('\n');

/** Text that holds `secret`: after redaction no part of it longer than 6 characters may remain. */
interface Sample {
  rule: string;
  text: string;
  secret: string;
}

const S = (rule: string, secret: string, text: (s: string) => string): Sample => ({ rule, secret, text: text(secret) });

const SECRETS: Sample[] = [
  // npm (.npmrc)
  S('npm token in .npmrc', `npm_${alnum(36)}`, (s) => `registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${s}\nalways-auth=true\n`),
  S('_authToken of another registry', b64url(40), (s) => `@acme:registry=https://npm.acme.dev/\n//npm.acme.dev/:_authToken=${s}\n`),
  S('_auth (base64 user:password) in .npmrc', `${b64(30)}==`, (s) => `_auth=${s}\nemail=dev@example.com`),
  // AWS (~/.aws/credentials, the environment)
  S('AWS access key id', `AKIA${upper32(16)}`, (s) => `[default]\naws_access_key_id = ${s}\nregion = eu-west-1`),
  S('AWS secret access key', b64(40), (s) => `[default]\naws_access_key_id = AKIA${upper32(16)}\naws_secret_access_key = ${s}\n`),
  S('AWS session token', b64(180), (s) => `aws_session_token=${s}`),
  S('AWS secret in the environment', b64(40), (s) => `AWS_REGION=us-east-1\nAWS_SECRET_ACCESS_KEY=${s}\n`),
  S('AWS temporary key id', `ASIA${upper32(16)}`, (s) => `"AccessKeyId": "${s}",`),
  // GitHub (gh's hosts.yml, git remotes, the environment)
  S('gh hosts.yml oauth_token', `gho_${alnum(36)}`, (s) => `github.com:\n    users:\n        octocat:\n            oauth_token: ${s}\n    git_protocol: https\n    user: octocat\n`),
  S('GitHub personal access token', `ghp_${alnum(36)}`, (s) => `export GITHUB_TOKEN=${s}`),
  S('GitHub app token in a remote', `ghs_${alnum(36)}`, (s) => `origin\thttps://x-access-token:${s}@github.com/acme/app.git (fetch)`),
  S('GitHub user-to-server token', `ghu_${alnum(36)}`, (s) => `token ${s} expires in 8h`),
  S('GitHub refresh token', `ghr_${alnum(76)}`, (s) => `{"refresh_token":"${s}"}`),
  S('GitHub fine-grained token', `github_pat_${alnum(22)}_${alnum(59)}`, (s) => `GH_TOKEN=${s} gh pr list`),
  S('GitLab token', `glpat-${b64url(20)}`, (s) => `https://oauth2:${s}@gitlab.com/acme/app.git`),
  // Slack
  S('Slack bot token', `xoxb-${from('0123456789', 12)}-${from('0123456789', 13)}-${alnum(24)}`, (s) => `SLACK_BOT_TOKEN=${s}`),
  S('Slack user token', `xoxp-${from('0123456789', 11)}-${from('0123456789', 11)}-${from('0123456789', 12)}-${hex(32)}`, (s) => `slack.token: "${s}"`),
  S('Slack app token', `xapp-1-A${upper32(10)}-${from('0123456789', 13)}-${hex(64)}`, (s) => `app token ${s}`),
  S('Slack webhook', `T${upper32(8)}/B${upper32(8)}/${alnum(24)}`, (s) => `curl -X POST https://hooks.slack.com/services/${s} -d '{}'`),
  // Stripe
  S('Stripe live secret key', `sk_live_${alnum(24)}`, (s) => `const stripe = require('stripe')('${s}');`),
  S('Stripe restricted key', `rk_live_${alnum(24)}`, (s) => `STRIPE_KEY=${s}`),
  S('Stripe test key', `sk_test_${alnum(99)}`, (s) => `stripe.api_key = "${s}"`),
  S('Stripe webhook secret', `whsec_${alnum(32)}`, (s) => `endpoint secret ${s}`),
  // Model providers
  S('OpenAI project key', `sk-proj-${b64url(74)}T3BlbkFJ${b64url(74)}`, (s) => `OPENAI_API_KEY=${s}`),
  S('OpenAI legacy key', `sk-${alnum(20)}T3BlbkFJ${alnum(20)}`, (s) => `openai.api_key = '${s}'`),
  S('Anthropic key', `sk-ant-api03-${b64url(93)}AA`, (s) => `{"x-api-key": "${s}"}`),
  S('Google API key', `AIza${b64url(35)}`, (s) => `https://generativelanguage.googleapis.com/v1beta/models?key=${s}`),
  S('Google OAuth access token', `ya29.${b64url(120)}`, (s) => `access_token: ${s}`),
  S('Google OAuth client secret', `GOCSPX-${b64url(28)}`, (s) => `"client_secret":"${s}"`),
  S('Groq key', `gsk_${alnum(52)}`, (s) => `GROQ_API_KEY=${s}`),
  S('xAI key', `xai-${alnum(80)}`, (s) => `key is ${s}`),
  S('Hugging Face token', `hf_${alnum(34)}`, (s) => `huggingface-cli login --token ${s}`),
  // Other services
  S('SendGrid key', `SG.${b64url(22)}.${b64url(43)}`, (s) => `SENDGRID=${s}`),
  S('Twilio key', `SK${hex(32)}`, (s) => `twilio api sid ${s}`),
  S('DigitalOcean token', `dop_v1_${hex(64)}`, (s) => `doctl auth init -t ${s}`),
  // Private keys
  S('RSA private key', pem(10), (s) => `-----BEGIN RSA PRIVATE KEY-----\n${s}\n-----END RSA PRIVATE KEY-----\n`),
  S('OpenSSH private key', pem(6), (s) => `$ cat ~/.ssh/id_ed25519\n-----BEGIN OPENSSH PRIVATE KEY-----\n${s}\n-----END OPENSSH PRIVATE KEY-----\n$ `),
  S('PKCS#8 key in a service account (JSON-escaped newlines)', pem(4).replace(/\n/g, '\\n'), (s) => `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n${s}\\n-----END PRIVATE KEY-----\\n", "client_email": "x@y.iam.gserviceaccount.com"}`),
  S('encrypted private key', pem(5), (s) => `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${s}\n-----END ENCRYPTED PRIVATE KEY-----`),
  S('a private key cut before its end', pem(3), (s) => `exit 0\n-----BEGIN EC PRIVATE KEY-----\n${s}`),
  S('the end of a private key whose beginning was cut off', pem(3), (s) => `${s}\n-----END PRIVATE KEY-----\n`),
  // Tokens in headers, URLs and assignments
  S('JWT', `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${b64url(60)}.${b64url(43)}`, (s) => `cookie: session=${s}; Path=/`),
  S('Authorization: Bearer', b64url(40) + '9', (s) => `curl -H "Authorization: Bearer ${s}" https://api.example.com`),
  S('Authorization: Basic', 'dXNlcjpodW50ZXJodW50ZXJodW50ZXI=', (s) => `Authorization: Basic ${s}`),
  S('Docker config auth', `${b64(40)}=`, (s) => `{"auths": {"registry.example.com": {"auth": "${s}"}}}`),
  S('database URL password', `P${alnum(14)}7`, (s) => `DATABASE_URL=postgres://app:${s}@db.internal:5432/app`),
  S('password assignment', 'Tr0ub4dor&3-horse', (s) => `password=${s}`),
  S('password in JSON', 'hunter2hunter2', (s) => `{"username": "admin", "password": "${s}"}`),
  S('DB_PASSWORD in .env', 's3cr3t-P4ssw0rd!', (s) => `DB_HOST=localhost\nDB_PASSWORD=${s}\nDB_PORT=5432`),
  S('client secret in YAML', alnum(40), (s) => `oauth:\n  client_id: my-app\n  client_secret: ${s}\n`),
  S('Django secret key', `django-insecure-${from(`${ALNUM}!@#$%^&*(-_=+)`.replace(/[()]/g, ''), 50)}`, (s) => `SECRET_KEY = '${s}'`),
  S('JWT_SECRET in .env', hex(64), (s) => `JWT_SECRET=${s}`),
  S('api_key in Python', alnum(32), (s) => `client = Client(api_key="${s}")`),
  S('a token after key= in a query', hex(40), (s) => `GET /v1/data?format=json&key=${s}&page=2`),
  S('.netrc password', uuid(), (s) => `machine api.heroku.com\n  login me@example.com\n  password ${s}\n`),
  S('a credential in an escaped JSON string', alnum(32), (s) => JSON.stringify(JSON.stringify({ apiKey: s }))),
];

// Ordinary text, and every kind of hash and id Ensemble itself writes: none of it may change.
const sha = hex(64);
const commit = hex(40);
const id = uuid();
const ORDINARY: string[] = [
  // the event log: content hashes, ids, traces
  JSON.stringify({ type: 'file.written', agentId: 'backend-2', taskId: 'api', path: 'server.js', change: 'modified', beforeSha: sha, afterSha: hex(64), bytes: 1234, v: 1, seq: 42, ts: 1767225600000 }),
  JSON.stringify({ type: 'llm.request', callId: 'c12-lx3k2abc', agentId: 'qa-4', provider: 'openai', model: 'gpt-5-mini', trace: 'task/t1#2', attempt: 1, reservedUsd: 0.0123 }),
  JSON.stringify({ key: 'task/api#3', provider: 'openai', reply: { toolCalls: [{ name: 'read_file', arguments: { path: 'src/app.js' } }] } }),
  `blob ${sha} 1234`,
  `sha256 ${sha} of the file`,
  // git
  `commit ${commit}\nAuthor: Jane Doe <jane@example.com>\nDate:   Mon Jan 5 10:00:00 2026 +0000\n\n    Add the token refresh\n`,
  `HEAD is now at ${commit.slice(0, 7)} Add the key rotation`,
  `{"sha": "${commit}", "tree": {"sha": "${hex(40)}"}, "parents": [{"sha": "${hex(40)}"}]}`,
  // UUIDs
  `request ${id} done`,
  JSON.stringify({ sessionId: id, requestId: uuid(), traceId: uuid() }),
  // lock files and package metadata
  `"node_modules/express": {\n  "version": "4.21.2",\n  "resolved": "https://registry.npmjs.org/express/-/express-4.21.2.tgz",\n  "integrity": "sha512-${b64(86)}=="\n}`,
  `image: node@sha256:${sha}`,
  // code that names keys, tokens and passwords
  'const token = await getToken(req);\nheaders: { Authorization: `Bearer ${token}` }',
  'const apiKey = process.env.OPENAI_API_KEY;\nif (!apiKey) throw new Error("set OPENAI_API_KEY");',
  "if (!password || password.length < 8) return res.status(400).json({ error: 'password too short' });",
  'password: z.string().min(8).max(128),\nconfirmPassword: z.string(),',
  "const key = `${userId}:${sessionId}`;\ncache.set(key, value);\nlocalStorage.setItem('token', data.token);",
  "{ key: 'ArrowUp', code: 'ArrowUp', keyCode: 38 }",
  'maxTokens: 4096,\ntokensUsed: 123456789012,\ntokenizer: cl100k_base,',
  'secret_key = os.environ["SECRET_KEY"]\napi_key = settings.OPENAI_API_KEY_V2',
  'const { data: { session } } = await supabase.auth.getSession();',
  'welcome_key: welcome_message_2024_banner\nauth_title: sign_in_to_continue_v2',
  '"auth.login.title": "Sign in to continue",\n"auth.login.submit": "Sign in"',
  '--token-color-primary: #1a2b3c;\n.keyframes-fade-in { animation: fade 2s; }',
  'author: "Jane Doe <jane@example.com>"\nmonkey=banana1234567890abcdef',
  'PWD=/home/user/projects/app2\nOLDPWD=/home/user/projects/app1\nHOME=/home/user',
  'token_url = https://oauth2.googleapis.com/token\nauth_uri: https://accounts.google.com/o/oauth2/auth',
  'Set the API token in the settings; the key is rotated every 90 days. Bearer tokens expire after 1h.',
  'password reset link sent to the user; passwords must be 12 characters long',
  'arn:aws:iam::123456789012:role/deploy and arn:aws:s3:::my-bucket-2026',
  // what a scan of 3 million lines of packages' code turned up before the rules learnt better
  'const FLOW_PASSWORD_REQUIRED_V2 = "FlowPasswordRequiredResultV2";\nsubmitPassword: SIGN_IN_V2_SUBMIT_PASSWORD,',
  'const clientSecretNotEmpty = !!this.config.auth.clientSecret;\nconst workSecret = opts?.workSecret || readEnv("WORK_SECRET");',
  'const keyType: JsonSchema7RecordPropertyNamesType = Object.entries(schema);',
  '"message": "Submitting new password for password reset.",\n * Requests authentication challenge (OTP or password validation)',
  '"secretlint": "bin/secretlint.js",\n{ model: "openai/gpt-4.1-nano", origin: "override", priceKey: "openai/gpt-4.1-nano" }',
  '{ key: "task/backend-api#1", provider: "gemini", fault: { status: 429 } }, { priceKey: "groq/llama-3.3-70b-versatile" }',
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'ℹ tests 7 · ℹ pass 7 · ℹ all files | 84.21 | 50.00 | 100.00 |',
  'Task-force notes: the risk-assessment sk-learn pipeline, the task-1234 id, and a desk-lamp.',
  'const key = process.env.OPENAI_API_KEY; // key=value pairs, token=abc, api_key=${KEY}',
  'GET /api/todos?key=title&token=next 200 in 12 ms',
  'token=${NPM_TOKEN}\n//registry.npmjs.org/:_authToken=${NPM_TOKEN}',
  'AIza is how Google keys start; sk- is how OpenAI keys start; ghp_ is GitHub\'s prefix.',
  'src/server.js:12 app.get("/api/todos/:id", handler) — “quoted” text, émojis 🚀 and tabs\tstay.',
];

describe('redactor: the credential shapes of gitleaks\' rules', () => {
  const r = new Redactor();

  for (const s of SECRETS) {
    it(`redacts ${s.rule}`, () => {
      const out = r.text(s.text);
      assert.ok(out.includes(REDACTED), `nothing redacted in: ${out}`);
      // No 7-character piece of the secret survives (the prefixes kept by design, like "Bearer ", are shorter than the secret).
      for (let i = 0; i + 7 <= s.secret.length; i++) {
        const piece = s.secret.slice(i, i + 7);
        if (/^[A-Za-z]+$/.test(piece) && s.text.split(piece).length > 2) continue; // a word that also occurs around it
        assert.ok(!out.includes(piece), `"${piece}" of the secret survived: ${out}`);
      }
    });
  }

  it('leaves code, prose, content hashes, commit ids, UUIDs and lock files unchanged', () => {
    for (const text of ORDINARY) assert.equal(r.text(text), text);
    const event = JSON.parse(ORDINARY[0]!);
    assert.deepEqual(r.value(event), event);
  });

  it('every rule is exercised by the corpus', () => {
    const unused = SHAPES.filter((shape) => !SECRETS.some((s) => shape.apply(s.text) !== s.text));
    assert.deepEqual(unused.map((s) => s.name), []);
  });

  it('redacts nearly every random value given to a key\'s name, whatever its alphabet (the rules for code must not let keys through)', () => {
    const kinds: Record<string, () => string> = { base62: () => alnum(32), hex32: () => hex(32), hex40: () => hex(40), base64: () => b64(40), base64url: () => b64url(43), uuid, lower: () => from('abcdefghijklmnopqrstuvwxyz0123456789', 24) };
    for (const [kind, make] of Object.entries(kinds)) {
      const missed = Array.from({ length: 300 }, make).filter((v) => !r.text(`api_key=${v}`).includes(REDACTED));
      assert.ok(missed.length <= 6, `${kind}: ${missed.length} of 300 not redacted, e.g. ${missed.slice(0, 3).join(' ')}`);
    }
  });

  it('measures randomness: random tokens pass 3 bits a character, identifiers and words do not', () => {
    assert.ok(entropy(alnum(32)) > 4);
    for (let i = 0; i < 100; i++) assert.ok(entropy(hex(32)) > 3);
    assert.ok(entropy('welcome_message_banner') < 3.5);
    assert.equal(entropy('aaaa'), 0);
  });
});

describe('redactor: what a model is sent', function () {
  this.timeout(30_000);

  it('redacts tool results (a file read, search lines, command output), the project rules and the user\'s feedback before any provider sees them', async () => {
    const known = `rtr_${alnum(40)}`; // a configured key of no known shape: only the session's secrets name it
    const npm = `npm_${alnum(36)}`;
    const aws = b64(40);
    const gh = `ghp_${alnum(36)}`;
    const feedback = `ghs_${alnum(36)}`;
    const secrets = [known, npm, aws, gh, feedback];
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, 'AGENTS.md'), `# Rules\nDeploy with GH_TOKEN=${gh}\n`);
    fs.writeFileSync(path.join(ws, '.env.local'), `DEBUG=true\nROUTER_KEY=${known}\naws_secret_access_key = ${aws}\n`);
    fs.writeFileSync(path.join(ws, '.npmrc'), `//registry.npmjs.org/:_authToken=${npm}\n`);
    const orch = new ScriptedProvider('orch', (req) => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] }));
    const p1 = new ScriptedProvider('p1', (req) =>
      turn(req) === 1
        ? { toolCalls: [
            { name: 'read_file', arguments: { path: '.env.local' } },
            { name: 'search_files', arguments: { pattern: 'authToken', path: '.npmrc' } },
            { name: 'run_command', arguments: { command: 'cat .npmrc .env.local' } },
          ] }
        : { toolCalls: [{ name: 'finish', arguments: { summary: 'read them' } }] });
    const providers: Record<string, ChatProvider> = { orch, p1, p2: p1 };
    let reviews = 0;
    const handle = startSession({
      goal: 'Read the configuration',
      config: testConfig({ planApproval: 'ask', commands: { run: 'allowed', allow: ['cat *'] } }),
      deps: {
        ...nodeWorkspace(ws), resolve: (id) => providers[id], secrets: [known],
        reviewPlan: async () => (reviews++ === 0 ? { action: 'replan', feedback: `Use the deploy token ${feedback} for the release` } : { action: 'approve' }),
      },
    });
    const state = await handle.done;
    assert.equal(state.status, 'completed', state.error);
    const sent = JSON.stringify([...orch.requests, ...p1.requests]);
    for (const s of secrets) assert.ok(!sent.includes(s), `${s.slice(0, 8)}… was sent to a model`);
    // What was redacted was really there to send: the rules, the feedback, the file, the search, the command.
    assert.match(orch.requests[0]!.system, /Deploy with GH_TOKEN=\[redacted\]/);
    assert.match(JSON.stringify(orch.requests[1]!.messages), /the deploy token \[redacted\] for the release/);
    const results = p1.requests[1]!.messages.filter((m) => m.role === 'tool').map((m) => m.content);
    assert.equal(results.length, 3);
    assert.match(results[0]!, /DEBUG=true/);
    assert.match(results[0]!, /ROUTER_KEY=\[redacted\]/);
    assert.match(results[1]!, /_authToken=\[redacted\]/);
    assert.match(results[2]!, /exited with code 0/);
    assert.match(results[2]!, /_authToken=\[redacted\][\s\S]*aws_secret_access_key = \[redacted\]/);
    for (const r of results) assert.ok(r.endsWith(REDACTION_NOTE), r);
    // The log says the same, redacted.
    const log = fs.readFileSync(path.join(handle.dir, 'events.jsonl'), 'utf8');
    for (const s of secrets) assert.ok(!log.includes(s));
  });
});
