#!/usr/bin/env python3
"""JSON-over-stdio driver for the OFFICIAL alipay-sdk-python 3.7.1411 (PyPI).

Usage:  interop/.venv/bin/python interop/py_sdk.py OP < input.json > output.json

Ops (see interop/README.md for every field):
  sign-v1             the SDK signs and sends a v1 gateway request to a loopback server inside
                      this process; prints the exact request it sent (body as base64).
  page-execute        the SDK's page_execute(request, http_method="GET") for a page method
                      (server_url, return_url): prints the signed URL, sends nothing.
  call-v1 and page-execute take `"model": true`: the request is built as a user of the
  generated classes writes it, Zhima…Request(biz_model=Zhima…Model.from_alipay_dict(biz)),
  and the output lists `model_dropped`, the biz_content paths the model did not keep
  (names the official model does not have, or falsy values it omits).
  verify-v1-response  runs the SDK client's own response parse + signature check on a body.
  call-v1             the SDK calls a real gateway (base_url) and the result is printed.
  sign-v3 / verify-v3-response / call-v3
                      unsupported: 3.7.1411 has no OpenAPI v3 client (exit 3).

Exit codes: 0 = the op ran (SDK failures are data in the JSON), 2 = bad input,
3 = the SDK cannot do what was asked (message says why).

The SDK is used as shipped, with two documented test adaptations (PROTOCOL.md §G10):
WebUtils.get_http_connection is replaced by one that honours the URL's port (the shipped one
always dials 80/443 and then crashes concatenating the port), and TZ is forced to
Asia/Shanghai because the SDK stamps `timestamp` with naive local time. An optional
`timestamp` input freezes the SDK's clock (its module-level `datetime`).
"""
import base64
import datetime as _real_datetime
import http.client
import importlib
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The SDK formats `timestamp` with datetime.now(): make local time = Alipay time (UTC+8).
os.environ["TZ"] = "Asia/Shanghai"
time.tzset()

try:
    import alipay.aop.api.DefaultAlipayClient as _client_module
    from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
    from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
    from alipay.aop.api.constant.CommonConstants import THREAD_LOCAL
    from alipay.aop.api.response.AlipayResponse import AlipayResponse
    from alipay.aop.api.util import WebUtils
except ImportError as exc:  # pragma: no cover - environment problem
    sys.stderr.write(
        "py_sdk.py: cannot import alipay-sdk-python (%s); run interop/setup.sh and use "
        "interop/.venv/bin/python\n" % exc
    )
    sys.exit(2)

EXIT_BAD_INPUT = 2
EXIT_UNSUPPORTED = 3


class DriverError(Exception):
    """Input the driver (not the SDK) rejects; carries the process exit code."""

    def __init__(self, message, code=EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------------------
# Test adaptations of the SDK (PROTOCOL.md §G10)
# --------------------------------------------------------------------------------------


def _port_honouring_connection(url, query_string, timeout):
    """Drop-in for WebUtils.get_http_connection that keeps the URL's port.

    Builds the same absolute request URL the shipped function intends
    (scheme://host[:port]/path?query) so the request line is unchanged.
    """
    parts = urllib.parse.urlparse(url)
    https = url.find("https") == 0
    port = parts.port or (443 if https else 80)
    cls = http.client.HTTPSConnection if https else http.client.HTTPConnection
    connection = cls(host=parts.hostname, port=port, timeout=timeout)
    target = parts.scheme + "://" + parts.hostname
    if parts.port:
        target += ":" + str(parts.port)
    target += parts.path + "?" + query_string
    return target, connection


WebUtils.get_http_connection = _port_honouring_connection


class _FrozenDatetimeModule:
    """Stands in for the `datetime` module inside DefaultAlipayClient to freeze `now()`."""

    def __init__(self, frozen):
        frozen_value = frozen

        class _FrozenDatetime(_real_datetime.datetime):
            @classmethod
            def now(cls, tz=None):
                return frozen_value

        self.datetime = _FrozenDatetime


def _freeze_clock(timestamp):
    if timestamp is None:
        return
    try:
        frozen = _real_datetime.datetime.strptime(timestamp, "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        raise DriverError("timestamp must be 'yyyy-MM-dd HH:mm:ss', got %r" % (timestamp,))
    _client_module.datetime = _FrozenDatetimeModule(frozen)


# --------------------------------------------------------------------------------------
# Loopback HTTP server that records requests and answers with a canned response
# --------------------------------------------------------------------------------------


class _LoopbackServer:
    """Serves `status`/`headers`/`body` for every request on 127.0.0.1:<ephemeral>."""

    def __init__(self, status=200, headers=None, body=b""):
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(length) if length else b""
                outer.requests.append(
                    {
                        "method": self.command,
                        "request_target": self.path,
                        "raw_headers": [[k, v] for k, v in self.headers.items()],
                        "body": payload,
                    }
                )
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _handle

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        # A short poll interval keeps shutdown() (and so every op) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


def _describe_request(recorded):
    target = recorded["request_target"]
    parts = urllib.parse.urlsplit(target)
    path_and_query = parts.path + ("?" + parts.query if parts.query else "")
    return {
        "sent": True,
        "method": recorded["method"],
        "path_and_query": path_and_query,
        "request_target": target,
        "headers": {k.lower(): v for k, v in recorded["raw_headers"]},
        "raw_headers": recorded["raw_headers"],
        "body": base64.b64encode(recorded["body"]).decode("ascii"),
    }


# --------------------------------------------------------------------------------------
# SDK objects built from the JSON input
# --------------------------------------------------------------------------------------


def _require(inp, key):
    value = inp.get(key)
    if value in (None, ""):
        raise DriverError("missing required input field %r" % key)
    return value


def _reject_cert_mode(inp):
    cert_fields = [k for k in ("app_cert", "platform_cert", "root_cert_bundle") if inp.get(k)]
    if cert_fields:
        raise DriverError(
            "alipay-sdk-python 3.7.1411 has no public-key-certificate mode (fields %s); use "
            "node_sdk.mjs" % ", ".join(cert_fields),
            EXIT_UNSUPPORTED,
        )


def _config(inp, server_url=None):
    config = AlipayClientConfig()
    config.app_id = inp.get("app_id") or "2021000000000001"
    config.app_private_key = inp.get("private_key") or ""
    config.alipay_public_key = inp.get("platform_public_key") or ""
    config.sign_type = inp.get("sign_type") or "RSA2"
    config.charset = inp.get("charset") or "utf-8"
    if inp.get("encrypt_key"):
        config.encrypt_type = "AES"
        config.encrypt_key = inp["encrypt_key"]
    if server_url:
        config.server_url = server_url
    return config


def _camel(method):
    return "".join(part[:1].upper() + part[1:] for part in method.split("."))


def _sdk_class(method, kind):
    """The SDK's generated request/response class for `method`, or None."""
    name = _camel(method) + kind
    try:
        module = importlib.import_module("alipay.aop.api.%s.%s" % (kind.lower(), name))
    except ImportError:
        return None
    return getattr(module, name, None)


class _AnyMethodRequest:
    """Wraps an SDK request object and swaps its `method` (for methods the SDK lacks)."""

    def __init__(self, inner, method):
        self._inner = inner
        self._method = method

    @property
    def need_encrypt(self):
        return self._inner.need_encrypt

    def get_params(self):
        params = self._inner.get_params()
        params["method"] = self._method
        return params

    def get_multipart_params(self):
        return self._inner.get_multipart_params()


def _sdk_model(method):
    """The SDK's generated domain model `Zhima…Model` of `method`, or None."""
    name = _camel(method) + "Model"
    try:
        module = importlib.import_module("alipay.aop.api.domain.%s" % name)
    except ImportError:
        return None
    return getattr(module, name, None)


def _dropped(sent, kept, prefix=""):
    """Paths of `sent` that the model did not keep (unknown names or falsy values)."""
    if isinstance(sent, dict):
        if not isinstance(kept, dict):
            return [prefix or "."]
        out = []
        for key, value in sent.items():
            path = prefix + "." + key if prefix else key
            out.extend(_dropped(value, kept[key], path) if key in kept else [path])
        return out
    if isinstance(sent, list):
        if not isinstance(kept, list) or len(kept) != len(sent):
            return [prefix]
        out = []
        for i, (s, k) in enumerate(zip(sent, kept)):
            out.extend(_dropped(s, k, "%s[%d]" % (prefix, i)))
        return out
    return []


def _model_request(inp):
    """`Zhima…Request(biz_model=Zhima…Model.from_alipay_dict(biz_content))`: the generated
    classes as an SDK user writes them. Returns (request, paths the model dropped)."""
    method = _require(inp, "method")
    biz = inp.get("biz_content")
    if not isinstance(biz, dict):
        raise DriverError("model: true needs biz_content as a JSON object")
    request_cls, model_cls = _sdk_class(method, "Request"), _sdk_model(method)
    if request_cls is None or model_cls is None:
        raise DriverError("alipay-sdk-python has no generated Request/Model for %s" % method, EXIT_UNSUPPORTED)
    model = model_cls.from_alipay_dict(biz)
    request = request_cls(biz_model=model)
    if inp.get("app_auth_token"):
        request.add_other_text_param("app_auth_token", inp["app_auth_token"])
    for key, value in (inp.get("extra_params") or {}).items():
        request.add_other_text_param(key, value)
    return request, _dropped(biz, model.to_alipay_dict())


def _request(inp):
    """Builds the request the way an SDK user does.

    biz_content as a JSON object goes through the SDK's domain model (it sorts keys and
    drops falsy/unknown fields, exactly as the SDK does); as a string it is sent verbatim
    (via the SDK's udf text params, which override biz_content).
    """
    method = _require(inp, "method")
    biz = inp.get("biz_content")
    cls = _sdk_class(method, "Request")
    if cls is None:
        base = _sdk_class("zhima.data.state.data.sync", "Request")
        request = base()
        if isinstance(biz, dict):
            biz = json.dumps(biz, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    else:
        request = cls()
    if isinstance(biz, dict):
        request.biz_content = biz
    elif isinstance(biz, str):
        request.add_other_text_param("biz_content", biz)
    elif biz is not None:
        raise DriverError("biz_content must be a JSON object or a string")
    if inp.get("app_auth_token"):
        request.add_other_text_param("app_auth_token", inp["app_auth_token"])
    for key, value in (inp.get("extra_params") or {}).items():
        request.add_other_text_param(key, value)
    return request if cls is not None else _AnyMethodRequest(request, method)


def _plain(value):
    """A response field as JSON: nested SDK domain objects via their own to_alipay_dict()."""
    if hasattr(value, "to_alipay_dict"):
        return value.to_alipay_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _response_object(method, content):
    cls = _sdk_class(method, "Response") or AlipayResponse
    response = cls()
    response.parse_response_content(content)
    fields = {k.lstrip("_"): _plain(v) for k, v in vars(response).items() if k not in ("body",)}
    return response.is_success(), fields


def _parsed_result(method, content):
    is_success, fields = _response_object(method, content)
    return {"ok": True, "parsed": json.loads(content), "is_success": is_success, "sdk_response": fields}


def _error(exc):
    return "%s: %s" % (type(exc).__name__, exc)


# --------------------------------------------------------------------------------------
# Ops
# --------------------------------------------------------------------------------------


def op_sign_v1(inp):
    _reject_cert_mode(inp)
    _require(inp, "private_key")
    _freeze_clock(inp.get("timestamp"))
    canned = inp.get("respond_with") or {}
    body = canned.get("body", '{"error_response":{"code":"40004","msg":"captured by interop"}}')
    with _LoopbackServer(
        status=canned.get("status", 200),
        headers=canned.get("headers") or {"Content-Type": "application/json;charset=utf-8"},
        body=body.encode(inp.get("charset") or "utf-8"),
    ) as server:
        client = DefaultAlipayClient(_config(inp, "http://127.0.0.1:%d/gateway.do" % server.port))
        try:
            outcome = "returned: %s" % client.execute(_request(inp))
        except DriverError:
            raise
        except Exception as exc:  # the SDK's own failure is data, not a driver error
            outcome = "raised " + _error(exc)
    if not server.requests:
        return {"sent": False, "sdk_error": outcome}
    result = _describe_request(server.requests[0])
    result["sdk_outcome"] = outcome
    return result


def op_verify_v1_response(inp):
    """Feeds the raw body to the client's own parse/verify step (what execute() runs)."""
    _reject_cert_mode(inp)
    method = _require(inp, "method")
    _require(inp, "platform_public_key")
    charset = inp.get("charset") or "utf-8"
    if "body_base64" in inp:
        raw = base64.b64decode(inp["body_base64"])
    else:
        raw = _require(inp, "body").encode(charset)
    client = DefaultAlipayClient(_config(inp))
    THREAD_LOCAL.uuid = "interop-verify"
    THREAD_LOCAL.logger = None
    try:
        content = client._DefaultAlipayClient__parse_response(raw)
        return _parsed_result(method, content)
    except Exception as exc:
        return {"ok": False, "error": _error(exc)}


def op_call_v1(inp):
    _reject_cert_mode(inp)
    _require(inp, "private_key")
    base_url = _require(inp, "base_url")
    method = _require(inp, "method")
    _freeze_clock(inp.get("timestamp"))
    client = DefaultAlipayClient(_config(inp, base_url))
    request, dropped = _model_request(inp) if inp.get("model") else (_request(inp), None)
    try:
        content = client.execute(request)
        result = _parsed_result(method, content)
    except DriverError:
        raise
    except Exception as exc:
        result = {"ok": False, "error": _error(exc)}
    if dropped is not None:
        result["model_dropped"] = dropped
    return result


def op_page_execute(inp):
    """The SDK's page_execute(request, http_method="GET"): the signed URL a browser opens."""
    _reject_cert_mode(inp)
    _require(inp, "private_key")
    server_url = _require(inp, "server_url")
    _freeze_clock(inp.get("timestamp"))
    request, dropped = _model_request(inp) if inp.get("model") else (_request(inp), None)
    if inp.get("return_url"):
        request.return_url = inp["return_url"]
    client = DefaultAlipayClient(_config(inp, server_url))
    result = {"url": client.page_execute(request, http_method="GET")}
    if dropped is not None:
        result["model_dropped"] = dropped
    return result


def op_verify_notify(inp):
    """verify_with_rsa over the documented notify string: every parameter but sign and
    sign_type, empty values dropped, sorted, k=v joined with &, raw (decoded) values."""
    from alipay.aop.api.util.SignatureUtils import verify_with_rsa

    params = _require(inp, "params")
    key = _require(inp, "platform_public_key")
    message = "&".join(
        "%s=%s" % (k, params[k])
        for k in sorted(params)
        if k not in ("sign", "sign_type") and params[k] != ""
    )
    try:
        ok = verify_with_rsa(key, message.encode("utf-8"), params.get("sign", ""))
    except Exception as exc:  # rsa.VerificationError and malformed signatures alike
        return {"ok": False, "error": _error(exc), "message": message}
    return {"ok": ok, "message": message}


def op_no_v3(_inp):
    raise DriverError("alipay-sdk-python 3.7.1411 has no OpenAPI v3 client; use node_sdk.mjs", EXIT_UNSUPPORTED)


OPS = {
    "sign-v1": op_sign_v1,
    "page-execute": op_page_execute,
    "verify-v1-response": op_verify_v1_response,
    "call-v1": op_call_v1,
    "verify-notify": op_verify_notify,
    "sign-v3": op_no_v3,
    "verify-v3-response": op_no_v3,
    "call-v3": op_no_v3,
}


def main(argv):
    if len(argv) != 2 or argv[1] not in OPS:
        sys.stderr.write("usage: py_sdk.py {%s} < input.json\n" % "|".join(OPS))
        return EXIT_BAD_INPUT
    try:
        inp = json.loads(sys.stdin.buffer.read().decode("utf-8"))
        if not isinstance(inp, dict):
            raise DriverError("input must be a JSON object")
        result = OPS[argv[1]](inp)
    except (DriverError, ValueError) as exc:
        code = getattr(exc, "code", EXIT_BAD_INPUT)
        key = "unsupported" if code == EXIT_UNSUPPORTED else "bad_input"
        sys.stdout.write(json.dumps({key: str(exc)}, ensure_ascii=False) + "\n")
        sys.stderr.write("py_sdk.py: %s\n" % exc)
        return code
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
