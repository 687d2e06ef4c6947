"""`colorbot sandbox` serves the seeded world over HTTP until stopped."""

import json
import socket
import subprocess
import sys
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sandbox_command_serves_the_seeded_listing():
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "sandbox", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sandbox/state", timeout=2) as response:
                    state = json.load(response)
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.2)
        assert state["url"] == f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert f"listening on http://127.0.0.1:{port}" in output and "[colorbot_sandbox]" in output
