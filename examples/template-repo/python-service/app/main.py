"""${{ values.name }}: a small HTTP service (standard library only)."""

import json
import os
import signal
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED_AT = time.time()
SERVICE = "${{ values.name }}"


class Handler(BaseHTTPRequestHandler):
    server_version = SERVICE

    def do_GET(self):  # noqa: N802 (http.server naming)
        if self.path.split("?")[0] == "/health":
            self._json(200, {"status": "ok", "service": SERVICE,
                             "uptimeSeconds": round(time.time() - STARTED_AT)})
        elif self.path == "/":
            self._json(200, {"service": SERVICE, "health": "/health"})
        else:
            self._json(404, {"error": f"No route for GET {self.path}"})

    def _json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        print(f"{self.address_string()} {fmt % args}", flush=True)


def serve(port=None):
    port = int(port or os.environ.get("PORT", "${{ values.port or 8000 }}"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
    print(f"{SERVICE} listening on :{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve()
