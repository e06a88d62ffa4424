"""Where the app listens (lib.app.hosting: the environment's address and port, 0.0.0.0:7860 in a bundle) and what
it says when no Paddle 3.x is there."""

import re
import socket
import sys
import types
from pathlib import Path

import pytest

from lib.app import hosting

ROOT = Path(__file__).resolve().parents[1]


def constraint_pins():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line.split("#")[0].strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_the_paddle_the_app_asks_for_is_the_course_pin():
    name, version = hosting.PADDLE_PIN.split("==")
    assert constraint_pins()[name] == version
    assert version.split(".")[0] == str(hosting.PADDLE_MAJOR)


@pytest.mark.parametrize(
    "environ, bundled, expected",
    [
        ({}, True, ("0.0.0.0", 7860)),
        ({}, False, ("127.0.0.1", None)),
        ({"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "8080"}, False, ("0.0.0.0", 8080)),
        ({"GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": "9000"}, True, ("127.0.0.1", 9000)),
        ({"HOST": "0.0.0.0", "PORT": "8081"}, False, ("0.0.0.0", 8081)),
        ({"HOST": "::1", "PORT": "1", "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": "2"}, True,
         ("127.0.0.1", 2)),
    ],
)  # fmt: skip
def test_the_address_comes_from_the_environment(environ, bundled, expected):
    assert hosting.server_address(environ=environ, bundled=bundled) == expected


def test_an_explicit_address_wins_and_a_bad_port_is_refused():
    environ = {"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "8080"}
    assert hosting.server_address("127.0.0.1", 7000, environ=environ, bundled=True) == ("127.0.0.1", 7000)
    for bad in ("eighty", "0", "70000"):
        with pytest.raises(ValueError, match="port"):
            hosting.server_address(environ={"GRADIO_SERVER_PORT": bad}, bundled=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_launch_listens_where_the_environment_says(monkeypatch):
    import gradio as gr

    from lib.app import launch

    port = free_port()
    monkeypatch.setenv("GRADIO_SERVER_NAME", "127.0.0.1")
    monkeypatch.setenv("GRADIO_SERVER_PORT", str(port))
    with gr.Blocks() as demo:
        gr.Markdown("x")
    try:
        launch(demo, warm=False, block=False)
        assert (demo.server_name, demo.server_port) == ("127.0.0.1", port)
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass
    finally:
        demo.close()


def test_without_paddle_3_the_app_says_in_chinese_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "paddle", None)  # `import paddle` raises ImportError
    with pytest.raises(hosting.PaddleMissing, match=r"没有可导入的 Paddle.*PaddlePaddle 3\.x.*paddlepaddle==3\.3\.1"):
        hosting.require_paddle()
    monkeypatch.setitem(sys.modules, "paddle", types.SimpleNamespace(__version__="2.6.1"))
    with pytest.raises(hosting.PaddleMissing, match=r"Paddle 是 2\.6\.1"):
        hosting.require_paddle()
    monkeypatch.setitem(sys.modules, "paddle", types.SimpleNamespace(__version__="3.0.0"))
    hosting.require_paddle()
