#!/usr/bin/env python3
"""A stand-in for the Kubernetes API server, for tests without a cluster.

It serves the subset of the core/v1 API that vslice's daemons use, with the
API server's semantics where they matter to a client:

  nodes   GET, LIST, WATCH, POST (create), PUT, PATCH, DELETE  /api/v1/nodes[/NAME]
  pods    the same under /api/v1/namespaces/NS/pods[/NAME], LIST and WATCH
          across namespaces at /api/v1/pods; /status is the same object
  binding POST /api/v1/namespaces/NS/pods/NAME/binding sets spec.nodeName
          (409 when the pod is already bound)
  events  POST /api/v1/namespaces/NS/events (stored, listable)

  - every change bumps one cluster-wide resourceVersion; objects carry it in
    metadata.resourceVersion, lists in their metadata;
  - PATCH accepts application/merge-patch+json (RFC 7386) only (415 else);
    a patch or PUT whose metadata.resourceVersion differs from the object's
    fails with 409 Conflict, as the real server does;
  - LIST and WATCH take fieldSelector (only the fields the real API allows
    for the kind; 400 otherwise) and labelSelector (=, ==, !=, key, !key,
    in, notin);
  - WATCH (?watch=true) streams JSON lines over chunked HTTP: from
    resourceVersion on, or the current objects as ADDED first when it is
    empty or "0"; 410 Gone (an ERROR event) for a version older than the
    kept history; ends after timeoutSeconds;
  - errors are Status objects with code, reason and message;
  - with --token, requests need "Authorization: Bearer TOKEN" (401 else);
    with --tls-cert/--tls-key it serves HTTPS.

Test controls (not part of the Kubernetes API):
  POST   /_test/inject    {"method": "PATCH", "path": "/api/v1/nodes/n1",
                           "status": 409, "count": 2}: the next `count`
                           requests with that method and path prefix fail
                           with that status
  GET    /_test/requests  every request so far: method, path, query, body
  DELETE /_test/requests  forget them
  POST   /_test/history   {"keep": N}: keep only the last N watch events

Start: fake_apiserver.py [--port 0] [--token T] [--tls-cert F --tls-key F];
the first line on stdout is "listening URL".
"""

import argparse
import copy
import json
import re
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# Field selectors the real API server accepts, per kind.
FIELDS = {
    "pods": {
        "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
        "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
        "status.phase", "status.podIP", "status.nominatedNodeName",
    },
    "nodes": {"metadata.name", "spec.unschedulable"},
    "events": {"metadata.name", "metadata.namespace", "involvedObject.name",
               "involvedObject.namespace", "involvedObject.kind", "reason", "type"},
}
KINDS = {"pods": "Pod", "nodes": "Node", "events": "Event"}
NAMESPACED = {"pods": True, "nodes": False, "events": True}


class ApiError(Exception):
    def __init__(self, code, reason, message):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


def status_object(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def merge_patch(target, patch):
    """RFC 7386: objects merge key by key, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def field_value(obj, path):
    value = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_field_selector(kind, text):
    terms = []
    for term in filter(None, (t.strip() for t in text.split(","))):
        m = re.fullmatch(r"([A-Za-z.]+)\s*(==|!=|=)\s*(.*)", term)
        if not m:
            raise ApiError(400, "BadRequest", f"invalid field selector: {term!r}")
        field, op, value = m.groups()
        if field not in FIELDS[kind]:
            raise ApiError(400, "BadRequest",
                           f'field label not supported: {field}')
        terms.append((field, op != "!=", value))
    return lambda obj: all((field_value(obj, f) == v) == eq for f, eq, v in terms)


def split_label_terms(text):
    # Commas inside "in (a,b)" do not split terms.
    terms, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += c == "("
        depth -= c == ")"
        if c == "," and depth == 0:
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return [t.strip() for t in terms if t.strip()]


def parse_label_selector(text):
    tests = []
    for term in split_label_terms(text):
        m = re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", term)
        if m:
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
            if op == "in":
                tests.append(lambda l, k=key, vs=values: l.get(k) in vs)
            else:
                tests.append(lambda l, k=key, vs=values: l.get(k) not in vs)
            continue
        m = re.fullmatch(r"([\w./-]+)\s*(==|!=|=)\s*([\w./-]*)", term)
        if m:
            key, op, value = m.groups()
            if op == "!=":
                tests.append(lambda l, k=key, v=value: l.get(k) != v)
            else:
                tests.append(lambda l, k=key, v=value: l.get(k) == v)
            continue
        m = re.fullmatch(r"(!?)([\w./-]+)", term)
        if m:
            negate, key = m.groups()
            tests.append(lambda l, k=key, n=bool(negate): (k in l) != n)
            continue
        raise ApiError(400, "BadRequest", f"invalid label selector: {term!r}")
    return lambda obj: all(t((obj.get("metadata") or {}).get("labels") or {}) for t in tests)


class Store:
    """Objects by kind and (namespace, name), and the history of changes."""

    def __init__(self):
        self.lock = threading.Condition()
        self.version = 100
        self.objects = {kind: {} for kind in KINDS}
        self.history = []  # (version, event type, kind, object copy)
        self.keep = 10000
        self.first_kept = 0  # oldest version a watch can resume after

    def _bump(self, kind, event, obj):
        self.version += 1
        obj["metadata"]["resourceVersion"] = str(self.version)
        self.history.append((self.version, event, kind, copy.deepcopy(obj)))
        if len(self.history) > self.keep:
            dropped = self.history[: len(self.history) - self.keep]
            self.history = self.history[len(self.history) - self.keep:]
            self.first_kept = dropped[-1][0]
        self.lock.notify_all()

    def set_keep(self, keep):
        with self.lock:
            self.keep = max(0, keep)
            if len(self.history) > self.keep:
                cut = len(self.history) - self.keep
                self.first_kept = self.history[cut - 1][0]
                self.history = self.history[cut:]

    def get(self, kind, ns, name):
        with self.lock:
            obj = self.objects[kind].get((ns, name))
            if obj is None:
                raise ApiError(404, "NotFound", f'{kind} "{name}" not found')
            return copy.deepcopy(obj)

    def list(self, kind, ns, match):
        with self.lock:
            items = [copy.deepcopy(o) for (ons, _), o in sorted(self.objects[kind].items())
                     if (ns is None or ons == ns) and match(o)]
            return items, str(self.version)

    def create(self, kind, ns, obj):
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "the body is not a JSON object")
        meta = obj.setdefault("metadata", {})
        name = meta.get("name")
        if not name:
            raise ApiError(422, "Invalid", f"{KINDS[kind]}: metadata.name: Required value")
        with self.lock:
            if (ns, name) in self.objects[kind]:
                raise ApiError(409, "AlreadyExists", f'{kind} "{name}" already exists')
            if NAMESPACED[kind]:
                meta["namespace"] = ns
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            obj["kind"], obj["apiVersion"] = KINDS[kind], "v1"
            if kind == "pods":
                obj.setdefault("spec", {})
                obj.setdefault("status", {}).setdefault("phase", "Pending")
            self.objects[kind][(ns, name)] = obj
            self._bump(kind, "ADDED", obj)
            return copy.deepcopy(obj)

    def _check_version(self, kind, name, current, wanted):
        if wanted not in (None, "") and wanted != current["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict",
                           f'Operation cannot be fulfilled on {kind} "{name}": the object has been '
                           "modified; please apply your changes to the latest version and try again")

    def _store_update(self, kind, ns, name, current, new):
        meta = new.setdefault("metadata", {})
        # Identity is not the client's to change.
        for key in ("name", "namespace", "uid", "creationTimestamp"):
            if key in current["metadata"]:
                meta[key] = current["metadata"][key]
        new["kind"], new["apiVersion"] = KINDS[kind], "v1"
        self.objects[kind][(ns, name)] = new
        self._bump(kind, "MODIFIED", new)
        return copy.deepcopy(new)

    def patch(self, kind, ns, name, patch):
        if not isinstance(patch, dict):
            raise ApiError(400, "BadRequest", "a merge patch must be a JSON object")
        with self.lock:
            current = self.objects[kind].get((ns, name))
            if current is None:
                raise ApiError(404, "NotFound", f'{kind} "{name}" not found')
            self._check_version(kind, name, current,
                                (patch.get("metadata") or {}).get("resourceVersion"))
            return self._store_update(kind, ns, name, current, merge_patch(current, patch))

    def replace(self, kind, ns, name, obj):
        with self.lock:
            current = self.objects[kind].get((ns, name))
            if current is None:
                raise ApiError(404, "NotFound", f'{kind} "{name}" not found')
            self._check_version(kind, name, current,
                                (obj.get("metadata") or {}).get("resourceVersion"))
            return self._store_update(kind, ns, name, current, copy.deepcopy(obj))

    def delete(self, kind, ns, name):
        with self.lock:
            obj = self.objects[kind].pop((ns, name), None)
            if obj is None:
                raise ApiError(404, "NotFound", f'{kind} "{name}" not found')
            self._bump(kind, "DELETED", obj)
            return copy.deepcopy(obj)

    def bind(self, ns, name, binding):
        target = (binding or {}).get("target") or {}
        node = target.get("name")
        if not node:
            raise ApiError(422, "Invalid", "Binding: target.name: Required value")
        with self.lock:
            pod = self.objects["pods"].get((ns, name))
            if pod is None:
                raise ApiError(404, "NotFound", f'pods "{name}" not found')
            bound = (pod.get("spec") or {}).get("nodeName")
            if bound:
                raise ApiError(409, "Conflict",
                               f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} '
                               f"is already assigned to node \"{bound}\"")
            new = copy.deepcopy(pod)
            new.setdefault("spec", {})["nodeName"] = node
            annotations = ((binding.get("metadata") or {}).get("annotations")) or {}
            if annotations:
                new["metadata"].setdefault("annotations", {}).update(annotations)
            self._store_update("pods", ns, name, pod, new)
            return {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 201}


class Injections:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    def add(self, rule):
        with self.lock:
            self.rules.append(dict(rule))

    def take(self, method, path):
        with self.lock:
            for rule in self.rules:
                if rule.get("method", method) == method and path.startswith(rule.get("path", "")) \
                        and rule.get("count", 1) > 0:
                    rule["count"] = rule.get("count", 1) - 1
                    return rule
        return None


ROUTE = re.compile(
    r"^/api/v1(?:/namespaces/(?P<ns>[^/]+))?/(?P<kind>pods|nodes|events)"
    r"(?:/(?P<name>[^/]+)(?:/(?P<sub>status|binding))?)?/?$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vslice-fake-apiserver"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake-apiserver: " + (fmt % args) + "\n")

    # --- plumbing
    def _send_json(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, code, reason, message):
        self._send_json(code, status_object(code, reason, message))

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self._raw_body = raw.decode(errors="replace")
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as e:
            raise ApiError(400, "BadRequest", f"the body is not JSON: {e}")

    def _handle(self, method):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self._raw_body = ""
        try:
            body = self._body() if method in ("POST", "PUT", "PATCH") else None
            if url.path.startswith("/_test/"):
                return self._test_control(method, url.path, body)
            self.server.log_request_entry(method, url.path, url.query, self._raw_body,
                                          self.headers.get("Content-Type", ""))
            if self.server.token is not None and \
                    self.headers.get("Authorization") != "Bearer " + self.server.token:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            rule = self.server.injections.take(method, url.path)
            if rule:
                raise ApiError(rule.get("status", 500), rule.get("reason", "Injected"),
                               rule.get("message", "injected failure"))
            m = ROUTE.match(url.path)
            if not m:
                raise ApiError(404, "NotFound", f"the server could not find the requested resource ({url.path})")
            self._route(method, m, query, body)
        except ApiError as e:
            self._error(e.code, e.reason, e.message)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self, method, m, query, body):
        kind, ns, name, sub = m.group("kind"), m.group("ns"), m.group("name"), m.group("sub")
        store = self.server.store
        if NAMESPACED[kind] and name is not None and ns is None:
            raise ApiError(404, "NotFound", f"{kind} are namespaced: use /api/v1/namespaces/NS/{kind}/NAME")
        if not NAMESPACED[kind] and ns is not None:
            raise ApiError(404, "NotFound", f"{kind} are not namespaced")
        key_ns = ns if NAMESPACED[kind] else ""
        if sub == "binding":
            if kind != "pods" or method != "POST":
                raise ApiError(405, "MethodNotAllowed", "binding takes POST on a pod")
            return self._send_json(201, store.bind(ns, name, body))
        if name is None:
            if method == "GET":
                field = parse_field_selector(kind, query.get("fieldSelector", ""))
                label = parse_label_selector(query.get("labelSelector", ""))
                match = lambda o: field(o) and label(o)  # noqa: E731
                list_ns = ns if NAMESPACED[kind] else None
                if query.get("watch") in ("true", "1"):
                    return self._watch(kind, list_ns, match, query)
                items, version = store.list(kind, list_ns, match)
                return self._send_json(200, {"kind": KINDS[kind] + "List", "apiVersion": "v1",
                                             "metadata": {"resourceVersion": version},
                                             "items": items})
            if method == "POST":
                if NAMESPACED[kind] and ns is None:
                    raise ApiError(405, "MethodNotAllowed", f"create {kind} in a namespace")
                return self._send_json(201, store.create(kind, key_ns, body))
            raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed on a list")
        if method == "GET":
            return self._send_json(200, store.get(kind, key_ns, name))
        if method == "PATCH":
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
            if ctype != "application/merge-patch+json":
                raise ApiError(415, "UnsupportedMediaType",
                               f"the body of the request was in an unknown format - accepted media "
                               f"types here: application/merge-patch+json (got {ctype or 'none'})")
            return self._send_json(200, store.patch(kind, key_ns, name, body))
        if method == "PUT":
            return self._send_json(200, store.replace(kind, key_ns, name, body or {}))
        if method == "DELETE":
            return self._send_json(200, store.delete(kind, key_ns, name))
        raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed")

    def _watch(self, kind, ns, match, query):
        store = self.server.store
        timeout = float(query.get("timeoutSeconds") or 1800)
        deadline = time.monotonic() + timeout
        since = query.get("resourceVersion", "")
        events = []
        with store.lock:
            if since in ("", "0"):
                start = store.version
                events = [("ADDED", o) for (ons, _), o in sorted(store.objects[kind].items())
                          if (ns is None or ons == ns) and match(o)]
            else:
                try:
                    start = int(since)
                except ValueError:
                    raise ApiError(400, "BadRequest", f"invalid resourceVersion {since!r}")
                if start < store.first_kept:
                    events = None
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(event_type, obj):
            line = (json.dumps({"type": event_type, "object": obj}) + "\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            self.wfile.flush()

        try:
            if events is None:
                send("ERROR", status_object(410, "Expired",
                                            f"too old resource version: {since} ({store.first_kept})"))
            else:
                for event_type, obj in events:
                    send(event_type, copy.deepcopy(obj))
                last = start
                while events is not None:
                    with store.lock:
                        pending = [h for h in store.history if h[0] > last and h[2] == kind]
                        if not pending:
                            left = deadline - time.monotonic()
                            if left <= 0:
                                break
                            store.lock.wait(min(left, 0.5))
                            continue
                    for version, event_type, _, obj in pending:
                        last = version
                        ons = (obj.get("metadata") or {}).get("namespace", "")
                        if (ns is None or ons == ns) and match(obj):
                            send(event_type, obj)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _test_control(self, method, path, body):
        if path == "/_test/inject" and method == "POST":
            self.server.injections.add(body or {})
            return self._send_json(200, {"ok": True})
        if path == "/_test/requests" and method == "GET":
            with self.server.log_lock:
                return self._send_json(200, list(self.server.requests))
        if path == "/_test/requests" and method == "DELETE":
            with self.server.log_lock:
                self.server.requests.clear()
            return self._send_json(200, {"ok": True})
        if path == "/_test/history" and method == "POST":
            self.server.store.set_keep(int((body or {}).get("keep", 0)))
            return self._send_json(200, {"ok": True})
        raise ApiError(404, "NotFound", f"no test control {method} {path}")

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_DELETE(self):
        self._handle("DELETE")


class FakeApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, token=None, verbose=False):
        super().__init__(address, Handler)
        self.store = Store()
        self.injections = Injections()
        self.token = token
        self.verbose = verbose
        self.log_lock = threading.Lock()
        self.requests = []

    def log_request_entry(self, method, path, query, body, content_type):
        with self.log_lock:
            self.requests.append({"method": method, "path": path, "query": query,
                                  "body": body, "contentType": content_type})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--token")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    server = FakeApiServer((args.host, args.port), token=args.token, verbose=args.verbose)
    scheme = "http"
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    print(f"listening {scheme}://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
