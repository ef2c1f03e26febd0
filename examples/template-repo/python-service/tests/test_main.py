import json
import threading
import unittest
from http.server import ThreadingHTTPServer
from urllib.request import urlopen

from app.main import Handler


class HealthTest(unittest.TestCase):
    def test_health_answers_ok(self):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            port = server.server_address[1]
            with urlopen(f"http://127.0.0.1:{port}/health") as res:
                self.assertEqual(res.status, 200)
                self.assertEqual(json.load(res)["status"], "ok")
        finally:
            server.shutdown()


if __name__ == "__main__":
    unittest.main()
