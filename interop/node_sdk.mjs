#!/usr/bin/env node
// JSON-over-stdio driver for the OFFICIAL alipay-sdk 4.14.0 (npm).
//
// Usage:  node interop/node_sdk.mjs OP < input.json > output.json
//
// Ops (see interop/README.md for every field):
//   sign-v1             exec() signs and sends a v1 gateway request to a loopback server inside
//                       this process; prints the exact request it sent (body as base64).
//   verify-v1-response  exec(..., {validateSign: true}) against a loopback server that returns
//                       the given body: the SDK's own parse + signature check.
//   sign-v3             curl() (OpenAPI v3) request capture, like sign-v1.
//   verify-v3-response  curl() against a loopback server returning status/headers/body.
//   call-v1 / call-v3   exec() / curl() against a real server (base_url); curl() takes any
//                       http_method (GET, POST, PUT).
//   page-execute        pageExecute() of a page method (server_url, return_url, http_method
//                       GET = signed URL, POST = HTML form, also read back as {action, fields}).
//
// Exit codes: 0 = the op ran (SDK failures are data in the JSON), 2 = bad input,
// 3 = the SDK cannot do what was asked (message says why).
//
// The SDK is used as shipped. TZ is forced to Asia/Shanghai (v1 `timestamp` is naive local
// time). Optional inputs freeze its clock and nonce: `timestamp` (v1, 'yyyy-MM-dd HH:mm:ss'),
// `timestamp_ms` and `nonce` (v3) — by swapping the global Date / crypto.randomUUID, which the
// SDK reads at call time.
import http from 'node:http';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';

process.env.TZ = 'Asia/Shanghai';

const EXIT_BAD_INPUT = 2;
const EXIT_UNSUPPORTED = 3;
const DEFAULT_V3_PATH = '/v3/zhima/credit/pe/zmgo/cumulation/sync';

class DriverError extends Error {
  constructor(message, exitCode = EXIT_BAD_INPUT) {
    super(message);
    this.exitCode = exitCode;
  }
}

let AlipaySdk;
try {
  ({ AlipaySdk } = await import('alipay-sdk'));
} catch (err) {
  process.stderr.write(`node_sdk.mjs: cannot import alipay-sdk (${err.message}); run interop/setup.sh\n`);
  process.exit(EXIT_BAD_INPUT);
}

// ---------------------------------------------------------------------------------------
// Clock / nonce freezing
// ---------------------------------------------------------------------------------------

function freezeClock(ms) {
  const RealDate = Date;
  class FrozenDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(ms); else super(...args);
    }
    static now() { return ms; }
  }
  globalThis.Date = FrozenDate;
}

function applyFreezes(inp) {
  if (inp.timestamp != null && inp.timestamp_ms != null) {
    throw new DriverError('give either timestamp (v1) or timestamp_ms (v3), not both');
  }
  if (inp.timestamp != null) {
    if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(inp.timestamp)) {
      throw new DriverError(`timestamp must be 'yyyy-MM-dd HH:mm:ss', got ${JSON.stringify(inp.timestamp)}`);
    }
    freezeClock(Date.parse(`${inp.timestamp.replace(' ', 'T')}+08:00`));
  }
  if (inp.timestamp_ms != null) {
    if (!Number.isSafeInteger(inp.timestamp_ms)) throw new DriverError('timestamp_ms must be an integer');
    freezeClock(inp.timestamp_ms);
  }
  if (inp.nonce != null) {
    const nonce = String(inp.nonce);
    crypto.randomUUID = () => nonce;
    // The SDK holds `import { randomUUID } from 'node:crypto'`: push the patch to that binding.
    syncBuiltinESMExports();
  }
}

// ---------------------------------------------------------------------------------------
// Loopback HTTP server: records requests, answers with a canned response
// ---------------------------------------------------------------------------------------

async function withLoopbackServer(canned, fn) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const rawHeaders = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) rawHeaders.push([ req.rawHeaders[i], req.rawHeaders[i + 1] ]);
      requests.push({ method: req.method, target: req.url, rawHeaders, body: Buffer.concat(chunks) });
      const body = Buffer.from(canned.body ?? '', 'utf8');
      res.writeHead(canned.status ?? 200, { ...(canned.headers ?? {}), 'content-length': body.length });
      res.end(body);
    });
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  try {
    const outcome = await fn(`http://127.0.0.1:${server.address().port}`);
    return { requests, outcome };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

function describeRequest(recorded) {
  const headers = {};
  for (const [ k, v ] of recorded.rawHeaders) headers[k.toLowerCase()] = v;
  return {
    sent: true,
    method: recorded.method,
    path_and_query: recorded.target,
    request_target: recorded.target,
    headers,
    raw_headers: recorded.rawHeaders,
    body: recorded.body.toString('base64'),
  };
}

// ---------------------------------------------------------------------------------------
// SDK construction from the JSON input
// ---------------------------------------------------------------------------------------

function requireField(inp, key) {
  const value = inp[key];
  if (value == null || value === '') throw new DriverError(`missing required input field '${key}'`);
  return value;
}

function checkCharset(inp) {
  const charset = inp.charset ?? 'utf-8';
  if (String(charset).toLowerCase() !== 'utf-8') {
    throw new DriverError(`alipay-sdk 4.14.0 supports only charset utf-8 (config.charset type is 'utf-8'; it signs and sends UTF-8), got ${charset}; use py_sdk.py for GBK`, EXIT_UNSUPPORTED);
  }
}

function keyType(inp) {
  if (inp.key_type) return inp.key_type;
  // Mirror what a user would configure for the PEM they hold; bare base64 = SDK default.
  return /-----BEGIN PRIVATE KEY-----/.test(inp.private_key) ? 'PKCS8' : 'PKCS1';
}

let throwawayKey;
function throwawayPrivateKey() {
  // Only for ops whose request signature is irrelevant (response verification).
  throwawayKey ??= crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' });
  return throwawayKey;
}
let throwawayPub;
function throwawayPublicKey() {
  throwawayPub ??= crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'pem' });
  return throwawayPub;
}

function makeSdk(inp, urlBase, { needPublicKey = false } = {}) {
  const config = {
    appId: inp.app_id ?? '2021000000000001',
    privateKey: inp.private_key ?? throwawayPrivateKey(),
    signType: inp.sign_type ?? 'RSA2',
    camelcase: false, // keep the wire's snake_case keys in results (documented SDK option)
    timeout: inp.timeout_ms ?? 10000,
  };
  config.keyType = inp.private_key ? keyType(inp) : 'PKCS1';
  if (urlBase.gateway) config.gateway = urlBase.gateway;
  if (urlBase.endpoint) config.endpoint = urlBase.endpoint;
  if (inp.encrypt_key) config.encryptKey = inp.encrypt_key;
  if (inp.additional_auth_info) config.additionalAuthInfo = inp.additional_auth_info;
  const certFields = [ 'app_cert', 'platform_cert', 'root_cert_bundle' ].filter(k => inp[k]);
  if (certFields.length > 0) {
    if (certFields.length !== 3) {
      throw new DriverError('certificate mode needs app_cert, platform_cert and root_cert_bundle (PEM text)');
    }
    config.appCertContent = inp.app_cert;
    config.alipayPublicCertContent = inp.platform_cert;
    config.alipayRootCertContent = inp.root_cert_bundle;
  } else if (inp.platform_public_key) {
    config.alipayPublicKey = inp.platform_public_key;
  } else if (needPublicKey) {
    // curl() refuses to send without a platform key; a capture does not care which one.
    config.alipayPublicKey = throwawayPublicKey();
  }
  return new AlipaySdk(config);
}

function v1Params(inp) {
  const params = { ...(inp.extra_params ?? {}) };
  if (inp.biz_content != null) {
    if (typeof inp.biz_content !== 'object' || Array.isArray(inp.biz_content)) {
      throw new DriverError('alipay-sdk exec() takes biz_content as a JSON object (it JSON.stringify()s it)');
    }
    params.bizContent = inp.biz_content;
  }
  if (inp.encrypt_key) params.needEncrypt = true;
  if (inp.app_auth_token) params.app_auth_token = inp.app_auth_token;
  return params;
}

function v3Options(inp) {
  const options = {};
  if (inp.query != null) options.query = inp.query;
  if (inp.body != null) {
    if (typeof inp.body !== 'object') throw new DriverError('v3 body must be a JSON object (curl() JSON.stringify()s it)');
    options.body = inp.body;
  }
  if (inp.encrypt_key) options.needEncrypt = true;
  if (inp.app_auth_token) options.appAuthToken = inp.app_auth_token;
  if (inp.request_id) options.requestId = inp.request_id;
  return options;
}

function httpMethodOf(inp) {
  return String(inp.http_method ?? inp.method ?? 'POST').toUpperCase();
}

function errorFields(err) {
  const out = { ok: false, error: `${err.name}: ${err.message}` };
  if (err.code !== undefined) out.error_code = err.code;
  if (err.responseHttpStatus !== undefined) out.response_http_status = err.responseHttpStatus;
  if (err.links !== undefined) out.links = err.links;
  if (err.traceId !== undefined) out.trace_id = err.traceId;
  return out;
}

function v3Success(result) {
  return { ok: true, data: result.data, response_http_status: result.responseHttpStatus, trace_id: result.traceId };
}

async function settle(promise) {
  try {
    return { value: await promise };
  } catch (err) {
    if (err instanceof DriverError) throw err;
    return { err };
  }
}

function captureResult({ requests, outcome }) {
  const text = outcome.err ? `raised ${outcome.err.name}: ${outcome.err.message}`
    : `returned: ${JSON.stringify(outcome.value)}`;
  if (requests.length === 0) return { sent: false, sdk_error: text };
  return { ...describeRequest(requests[0]), sdk_outcome: text };
}

function cannedFromInput(inp) {
  const body = inp.body_base64 != null ? Buffer.from(inp.body_base64, 'base64').toString('utf8') : requireField(inp, 'body');
  return { status: inp.status ?? 200, headers: inp.headers ?? { 'content-type': 'application/json;charset=utf-8' }, body };
}

// ---------------------------------------------------------------------------------------
// Ops
// ---------------------------------------------------------------------------------------

const OPS = {
  async 'sign-v1'(inp) {
    checkCharset(inp);
    requireField(inp, 'private_key');
    const method = requireField(inp, 'method');
    applyFreezes(inp);
    const canned = inp.respond_with ?? {
      status: 200,
      headers: { 'content-type': 'application/json;charset=utf-8' },
      body: '{"error_response":{"code":"40004","msg":"captured by interop"}}',
    };
    return captureResult(await withLoopbackServer(canned, base => {
      const sdk = makeSdk(inp, { gateway: `${base}/gateway.do` });
      return settle(sdk.exec(method, v1Params(inp)));
    }));
  },

  async 'verify-v1-response'(inp) {
    checkCharset(inp);
    const method = requireField(inp, 'method');
    const canned = cannedFromInput(inp);
    const { outcome } = await withLoopbackServer(canned, base => {
      const sdk = makeSdk(inp, { gateway: `${base}/gateway.do` });
      const params = { bizContent: {} };
      if (inp.encrypt_key) params.needEncrypt = true;
      // validate_sign:false isolates parsing/decryption from 4.14.0's broken AES verification.
      return settle(sdk.exec(method, params, { validateSign: inp.validate_sign ?? true }));
    });
    return outcome.err ? errorFields(outcome.err) : { ok: true, parsed: outcome.value };
  },

  async 'call-v1'(inp) {
    checkCharset(inp);
    requireField(inp, 'private_key');
    const baseUrl = requireField(inp, 'base_url');
    const method = requireField(inp, 'method');
    applyFreezes(inp);
    const sdk = makeSdk(inp, { gateway: baseUrl });
    const outcome = await settle(sdk.exec(method, v1Params(inp), { validateSign: inp.validate_sign ?? true }));
    return outcome.err ? errorFields(outcome.err) : { ok: true, parsed: outcome.value };
  },

  // pageExecute(method, 'GET'|'POST', {bizContent, returnUrl}): the signed URL (GET) or the
  // auto-submitting HTML form (POST) a browser is given. Nothing is sent; for POST the form is
  // also read back the way a browser submits it (action + hidden inputs, &quot; unescaped).
  async 'page-execute'(inp) {
    checkCharset(inp);
    requireField(inp, 'private_key');
    const method = requireField(inp, 'method');
    const serverUrl = requireField(inp, 'server_url');
    const httpMethod = String(inp.http_method ?? 'GET').toUpperCase();
    if (httpMethod !== 'GET' && httpMethod !== 'POST') throw new DriverError(`http_method must be GET or POST, got ${httpMethod}`);
    applyFreezes(inp);
    const sdk = makeSdk(inp, { gateway: serverUrl });
    const params = v1Params(inp);
    if (inp.return_url) params.returnUrl = inp.return_url;
    const out = sdk.pageExecute(method, httpMethod, params);
    if (httpMethod === 'GET') return { url: out };
    const action = /<form action="([^"]*)"/.exec(out)?.[1];
    if (action == null) throw new DriverError(`pageExecute POST returned no form: ${out}`);
    const fields = {};
    for (const m of out.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)" \/>/g)) {
      fields[m[1]] = m[2].replaceAll('&quot;', '"');
    }
    return { html: out, form: { action: action.replaceAll('&amp;', '&'), method: 'POST', fields } };
  },

  // Merchant side of an async notify: checkNotifySignV2(postData) over already form-decoded
  // values (the documented way), and plain checkNotifySign, which decodes them once more.
  async 'verify-notify'(inp) {
    requireField(inp, 'platform_public_key');
    const params = requireField(inp, 'params');
    const sdk = makeSdk(inp, { gateway: 'http://127.0.0.1:9/gateway.do' });
    return { v2: sdk.checkNotifySignV2({ ...params }), v1: sdk.checkNotifySign({ ...params }) };
  },

  async 'sign-v3'(inp) {
    requireField(inp, 'private_key');
    applyFreezes(inp);
    // A 4xx answer makes curl() stop without verifying anything: the request is what counts.
    const canned = inp.respond_with ?? {
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: '{"code":"captured-by-interop","message":"captured by interop"}',
    };
    return captureResult(await withLoopbackServer(canned, base => {
      const sdk = makeSdk(inp, { endpoint: base }, { needPublicKey: true });
      return settle(sdk.curl(httpMethodOf(inp), inp.path ?? DEFAULT_V3_PATH, v3Options(inp)));
    }));
  },

  async 'verify-v3-response'(inp) {
    const canned = cannedFromInput(inp);
    const httpMethod = String(inp.http_method ?? 'POST').toUpperCase();
    const options = {};
    if (httpMethod !== 'GET' && httpMethod !== 'HEAD') options.body = {};
    if (inp.encrypt_key) options.needEncrypt = true;
    const { outcome } = await withLoopbackServer(canned, base => {
      const sdk = makeSdk(inp, { endpoint: base });
      return settle(sdk.curl(httpMethod, inp.path ?? DEFAULT_V3_PATH, options));
    });
    return outcome.err ? errorFields(outcome.err) : v3Success(outcome.value);
  },

  async 'call-v3'(inp) {
    requireField(inp, 'private_key');
    const baseUrl = requireField(inp, 'base_url');
    applyFreezes(inp);
    const sdk = makeSdk(inp, { endpoint: baseUrl });
    const outcome = await settle(sdk.curl(httpMethodOf(inp), inp.path ?? DEFAULT_V3_PATH, v3Options(inp)));
    return outcome.err ? errorFields(outcome.err) : v3Success(outcome.value);
  },
};

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function finish(obj, code) {
  process.stdout.write(`${JSON.stringify(obj)}\n`, () => process.exit(code));
}

const op = process.argv[2];
if (process.argv.length !== 3 || !Object.hasOwn(OPS, op)) {
  process.stderr.write(`usage: node_sdk.mjs {${Object.keys(OPS).join('|')}} < input.json\n`);
  process.exit(EXIT_BAD_INPUT);
}
try {
  const inp = JSON.parse(await readStdin());
  if (inp === null || typeof inp !== 'object' || Array.isArray(inp)) throw new DriverError('input must be a JSON object');
  finish(await OPS[op](inp), 0);
} catch (err) {
  const code = err instanceof DriverError ? err.exitCode : EXIT_BAD_INPUT;
  const key = code === EXIT_UNSUPPORTED ? 'unsupported' : 'bad_input';
  process.stderr.write(`node_sdk.mjs: ${err.message}\n`);
  finish({ [key]: err.message }, code);
}
