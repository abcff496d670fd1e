"""`runreport serve`: the site over HTTP, build ids pushed to open pages, saves into the library.

Standard library only (http.server.ThreadingHTTPServer). Pages on disk stay
as built; every HTML response gets, right after `<head>`:

    <meta name="runreport-live" content="/__runreport/events">   (with --watch only)
    <meta name="runreport-build" content="<build id the page was served at>">
    <meta name="runreport-live-token" content="<random token of this server>">

`GET /__runreport/events` is a Server-Sent Events stream: the current build
id on connect and after every successful build, a comment as keep-alive.
`POST /__runreport/library` saves an entry's Step Output into the library;
it needs the token (header X-Runreport-Token) AND an Origin header equal to
this server's origin, and reads the value from the loaded runs, never from
the request.
"""

from __future__ import annotations

import hmac
import http.server
import json
import secrets
import sys
import threading
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from runreport import library as lib

EVENTS = "/__runreport/events"
SAVE = "/__runreport/library"
#: Seconds between keep-alive comments on an idle event stream.
KEEP_ALIVE = 15.0
MAX_BODY = 64 * 1024
#: Seconds a connection may stay silent before it is closed.
REQUEST_TIMEOUT = 30.0
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class LiveSite:
    """State shared by the request threads: current build, loaded runs, token."""

    def __init__(self, site_dir: Path, library_dir: Path, *, live: bool) -> None:
        self.site_dir = Path(site_dir)
        self.library_dir = Path(library_dir)
        self.live = live
        self.token = secrets.token_urlsafe(32)
        self.build_id = ""
        self.loaded: Any = None
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.host = "127.0.0.1"
        self.port = 0
        # Called after a save: rebuilds the site so its Library pages and Save choices
        # show what was saved (set by `serve`; runs on a thread of its own).
        self.on_saved: Callable[[], Any] | None = None
        # Redacts what a save writes as the site redacts what it shows (None: --no-redact).
        self.redactor: Any = None

    def publish(self, loaded: Any, build_id: str) -> None:
        """A build succeeded: remember its runs and tell every open page."""
        with self.changed:
            self.loaded = loaded
            self.build_id = build_id
            self.changed.notify_all()

    def stop(self) -> None:
        self.stopping.set()
        with self.changed:
            self.changed.notify_all()

    # --- who may ask -------------------------------------------------------------

    def loopback_only(self) -> bool:
        return self.host in LOOPBACK

    def host_allowed(self, host_header: str | None) -> bool:
        """On loopback, only loopback names (so a rebinding DNS name cannot read the token)."""
        if not self.loopback_only():
            return True
        if not host_header:
            return False
        name = urlsplit("http://" + host_header).hostname or ""
        return name in ("127.0.0.1", "localhost", "::1")

    def origin_allowed(self, origin: str | None, host_header: str | None) -> bool:
        """The request came from a page of this server: Origin is http://<its host>:<port>."""
        if not origin or not host_header or origin != f"http://{host_header}":
            return False
        parts = urlsplit(origin)
        return parts.port == self.port and self.host_allowed(host_header)

    # --- saving -------------------------------------------------------------------

    def save(self, request: dict) -> tuple[int, dict]:
        """Save an entry's output as the request asks; (HTTP status, JSON answer)."""
        fields = {"run_id": str, "entry_id": str, "prompt": str, "case": str}
        for name, kind in fields.items():
            if not isinstance(request.get(name), kind):
                return 400, {"ok": False, "error": f"{name!r} is missing or not a string"}
        var = request.get("var")
        if var is not None and not isinstance(var, str):
            return 400, {"ok": False, "error": "'var' must be a string"}
        create, replace = request.get("create", False), request.get("replace", False)
        if not isinstance(create, bool) or not isinstance(replace, bool):
            return 400, {"ok": False, "error": "'create' and 'replace' must be true or false"}
        loaded = self.loaded
        try:
            run = loaded.run(request["run_id"])
        except (KeyError, AttributeError):
            return 404, {"ok": False, "error": f"unknown run id {request['run_id']!r}"}
        entry = run.entries_by_id.get(request["entry_id"])
        if entry is None:
            return 404, {"ok": False, "error": f"unknown entry id {request['entry_id']!r} "
                                               f"in run {run.run_id!r}"}
        section = entry.section("output")
        if section is None:
            return 400, {"ok": False, "error": f"entry {entry.entry_id!r} ({entry.name}) has no "
                                               "output to save"}
        path = var or lib.default_variable_path(entry.name)
        source = lib.make_source(run.run_id, entry.entry_id, entry.step_id, entry.name)
        value = section.value if self.redactor is None else self.redactor.value(section.value)
        try:
            written = lib.save_variable(self.library_dir, request["prompt"], request["case"], path,
                                        value, source, create=create, replace=replace)
        except lib.VariableExists:
            # (The library's own message names command-line flags; this one the dialog's.)
            return 409, {"ok": False, "error": f"variable {path!r} already exists in test case "
                                               f"{request['prompt']}/{request['case']}; tick Replace "
                                               "to overwrite it, or choose another variable path"}
        except lib.LibraryError as exc:
            return 400, {"ok": False, "error": exc.format_message()}
        if self.on_saved is not None:
            threading.Thread(target=self.on_saved, daemon=True).start()
        return 200, {"ok": True, "path": str(written), "var": path,
                     "redacted": value is not section.value}


class Handler(http.server.SimpleHTTPRequestHandler):
    site: LiveSite  # set on the subclass made by make_server
    #: Seconds a connection may stay silent (a stalled client holds a thread until then);
    #: the event stream writes a keep-alive more often than this.
    timeout = REQUEST_TIMEOUT

    def log_message(self, *args: Any) -> None:  # quiet: the terminal shows rebuilds
        pass

    def list_directory(self, path: Any) -> None:
        # A static host shows a site's pages, not its folders.
        self.send_error(404, "Not found")
        return None

    def _hidden(self, url_path: str) -> bool:
        """Paths that are not the site's to show: its own bookkeeping (the manifest, the
        marker, the lock), anything else hidden, and paths no file can have."""
        return "\0" in url_path or any(part.startswith(".") for part in url_path.split("/"))

    def handle_one_request(self) -> None:
        # Whatever goes wrong answers with a status; a client that went away is not an error.
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:  # noqa: BLE001 (a bug must not drop the connection silently)
            self.close_connection = True
            try:
                self.send_error(500, "Internal error")
            except OSError:
                pass

    def end_headers(self) -> None:
        # Pages and data files change under a watching server: always revalidate.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):
        # Never "304 Not Modified": Last-Modified counts whole seconds, and a rebuild often
        # rewrites a file within the second it was first written, so the browser would keep
        # the older bytes (a search index without the newest run, say). The server is local:
        # sending the file again costs nothing that matters.
        if "If-Modified-Since" in self.headers:
            del self.headers["If-Modified-Since"]
        return super().send_head()

    def _json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if not self.site.host_allowed(self.headers.get("Host")):
            return self._json(403, {"ok": False, "error": "unknown host name"})
        path = urlsplit(self.path).path
        if path == EVENTS:
            return self._events() if self.site.live else self._json(404, {"ok": False,
                                                                          "error": "not watching"})
        if self._hidden(unquote(path)):
            return self.send_error(404, "Not found")
        file = Path(self.translate_path(self.path))
        if file.is_dir():
            if not path.endswith("/"):
                return super().do_GET()  # redirects to the folder with a slash
            file = file / "index.html"
        if file.suffix == ".html" and file.is_file():
            return self._page(file)
        return super().do_GET()

    def do_HEAD(self) -> None:
        if not self.site.host_allowed(self.headers.get("Host")):
            return self._json(403, {"ok": False, "error": "unknown host name"})
        if self._hidden(unquote(urlsplit(self.path).path)):
            return self.send_error(404, "Not found")
        super().do_HEAD()

    def _page(self, file: Path) -> None:
        html = file.read_bytes()
        site = self.site
        tags = ""
        if site.live:
            tags += f'<meta name="runreport-live" content="{EVENTS}">\n'
        tags += (f'<meta name="runreport-build" content="{site.build_id}">\n'
                 f'<meta name="runreport-live-token" content="{site.token}">\n')
        html = html.replace(b"<head>\n", b"<head>\n" + tags.encode("ascii"), 1)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(html)))
        self.end_headers()
        self.wfile.write(html)

    def _events(self) -> None:
        site = self.site
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        sent = None
        try:
            self.wfile.write(b"retry: 2000\n\n")
            while not site.stopping.is_set():
                with site.changed:
                    if site.build_id == sent:
                        site.changed.wait(KEEP_ALIVE)
                    current = site.build_id
                if site.stopping.is_set():
                    break
                if current and current != sent:
                    self.wfile.write(f"data: {current}\n\n".encode("ascii"))
                    sent = current
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except OSError:  # the page went away
            pass
        self.close_connection = True

    def do_POST(self) -> None:
        site = self.site
        if urlsplit(self.path).path != SAVE:
            return self._json(404, {"ok": False, "error": "no such endpoint"})
        if not site.origin_allowed(self.headers.get("Origin"), self.headers.get("Host")):
            return self._json(403, {"ok": False, "error": "refused: the request did not come "
                                                          "from a page of this server"})
        token = self.headers.get("X-Runreport-Token") or ""
        if not hmac.compare_digest(token.encode(), site.token.encode()):
            return self._json(403, {"ok": False, "error": "refused: missing or wrong token; "
                                                          "reload the page"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            return self._json(400, {"ok": False, "error": "expected a small JSON body"})
        try:
            request = json.loads(self.rfile.read(length))
        except (ValueError, RecursionError):  # (RecursionError: nested deeper than any request)
            return self._json(400, {"ok": False, "error": "the body is not JSON"})
        if not isinstance(request, dict):
            return self._json(400, {"ok": False, "error": "expected a JSON object"})
        status, answer = site.save(request)
        self._json(status, answer)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    #: Connections the kernel queues while every thread is busy (the default, 5, turns
    #: a burst of page loads into seconds of retries).
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A tab closed mid-transfer or a stalled client timed out: nothing to report.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def make_server(site: LiveSite, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """A threaded server for `site` bound to host:port (port 0: any free port)."""
    handler = type("SiteHandler", (Handler,), {"site": site})

    def factory(*args: Any) -> Handler:
        return handler(*args, directory=str(site.site_dir))

    server = _Server((host, port), factory)
    site.host = host
    site.port = server.server_address[1]
    return server
