"""`engage send/player/advance` find the stack `engage up` started, from any folder."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.local import cli, stack_file


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """A checkout where `engage up` runs, another folder, and a private per-user state dir."""
    monkeypatch.setenv("ENGAGE_STATE_DIR", str(tmp_path / "state"))
    checkout, elsewhere = tmp_path / "checkout", tmp_path / "elsewhere"
    checkout.mkdir()
    elsewhere.mkdir()
    return checkout, elsewhere


@pytest.fixture
def control():
    """A loopback control endpoint answering GET /now, as `engage up` serves it."""

    class Now(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def do_GET(self):
            body = json.dumps({"now": "2026-12-02T10:00:00+00:00"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Now)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_stack_started_in_one_folder_is_found_from_another(folders, control, monkeypatch):
    checkout, elsewhere = folders
    monkeypatch.chdir(checkout)
    info = {"endpoint": "http://127.0.0.1:1", "control": control, "resources": {}}
    stack_file.record(info)
    (checkout / ".engage" / "lake").mkdir()

    monkeypatch.chdir(elsewhere)
    found, path = stack_file.find()
    assert path == stack_file.user_file()
    assert found["control"] == control
    assert found["folder"] == str(checkout)
    assert cli._need_stack()["control"] == control
    # The lake of that stack is found too (engage report / backtest default).
    assert stack_file.lake_dir() == checkout / ".engage" / "lake"

    monkeypatch.chdir(checkout)
    stack_file.forget(info)
    assert stack_file.find() is None


def test_this_folders_stack_wins_over_the_one_started_last(folders, monkeypatch):
    checkout, elsewhere = folders
    monkeypatch.chdir(checkout)
    stack_file.record({"control": "http://127.0.0.1:5001"})
    monkeypatch.chdir(elsewhere)
    stack_file.record({"control": "http://127.0.0.1:6001"})

    monkeypatch.chdir(checkout)
    assert stack_file.find()[0]["control"] == "http://127.0.0.1:5001"
    # Stopping the older stack leaves the newer one's per-user record alone.
    stack_file.forget({"control": "http://127.0.0.1:5001"})
    assert stack_file.find()[0]["control"] == "http://127.0.0.1:6001"


def test_no_stack_and_a_dead_stack_each_get_a_clear_error(folders, monkeypatch, capsys):
    _, elsewhere = folders
    monkeypatch.chdir(elsewhere)
    with pytest.raises(SystemExit) as no_stack:
        cli._need_stack()
    assert no_stack.value.code == 2
    assert "no local stack is running: start one with `engage up`" in capsys.readouterr().err

    # A record left by a stack killed without cleaning up: a port nobody listens on.
    stack_file.record({"control": "http://127.0.0.1:9"})
    with pytest.raises(SystemExit):
        cli._need_stack()
    err = capsys.readouterr().err
    assert "does not answer" in err
    assert str(stack_file.FOLDER_FILE) in err
