"""The running app: driven through gradio_client (each tab returns an image of the input's size; a bad
file gets its Chinese message and the app answers the next request; two people at once both get
their answers) and through a real browser (headless Chromium, Playwright, the system's Chromium):
upload a blurred page, click 恢复, see the restored image, save a screenshot under runs/app/."""

import os
import socket
import threading
import warnings
from pathlib import Path

import cv2
import pytest
from app_inputs import bad_files

from lib.app import ui
from lib.app.restore import tab_names
from lib.paths import RUNS_DIR

pytestmark = pytest.mark.slow  # starts the app and restores images (seconds)

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
INSTALL_CHROMIUM = "sudo apt-get install -y chromium（Debian/Ubuntu 的 chromium 包；.ci/run 在 CI 里自动安装）"
SCREENSHOT = RUNS_DIR / "app" / "deblur_browser.png"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    demo = ui.build_app()
    demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield demo.local_url
    demo.close()


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


def small(track, tmp_path, side=48):
    image = cv2.imread(str(ui.example_path(track)), cv2.IMREAD_COLOR)[:side, : side + 8]
    path = tmp_path / f"{track}.png"
    cv2.imwrite(str(path), image)
    return path, image.shape[:2]


def _arguments(track):
    return {"deblur": (True, "overlap", False)}.get(track, ())


TABS = tab_names()


@pytest.mark.parametrize("track", TABS)
def test_each_tab_returns_an_image_of_the_right_size(client, track, tmp_path):
    from gradio_client import handle_file

    path, shape = small(track, tmp_path) if track != "deocclusion" else (ui.example_path(track), None)
    shape = shape or cv2.imread(str(path)).shape[:2]
    outputs = client.predict(handle_file(str(path)), *_arguments(track), api_name=f"/{track}")
    slider, result, zoom, summary = outputs[:4]
    for image in (*slider, result):
        assert cv2.imread(image).shape[:2] == shape
    assert "用时" in summary and len(outputs) == {"deblur": 7, "retouch": 6, "deocclusion": 6}.get(track, 5)


def test_a_bad_file_gets_its_message_and_the_next_request_is_answered(client, tmp_path):
    from gradio_client import handle_file

    good, shape = small("denoise", tmp_path)
    for name in ("truncated_jpeg", "non_image_named_png", "over_limit"):
        path, words = bad_files(tmp_path)[name]
        with pytest.raises(Exception) as error:  # noqa: B017 -- gradio_client raises its AppError
            client.predict(handle_file(str(path)), api_name="/denoise")
        assert words in str(error.value), (name, str(error.value))
        result = client.predict(handle_file(str(good)), api_name="/denoise")[1]
        assert cv2.imread(result).shape[:2] == shape


def test_two_people_at_once_both_get_their_answers(app_url, tmp_path):
    from gradio_client import Client, handle_file

    shapes, results = {}, {}
    for track, side in (("retouch", 64), ("denoise", 40)):
        path, shapes[track] = small(track, tmp_path, side)
        results[track] = Client(app_url, verbose=False).submit(handle_file(str(path)), api_name=f"/{track}")
    for track, job in results.items():
        assert cv2.imread(job.result(timeout=120)[1]).shape[:2] == shapes[track]


def _fontconfig(tmp_path) -> Path:
    """A fontconfig file adding the CJK fonts of the course's environment (mplfonts), so the
    screenshot shows the Chinese text where the system has no CJK font."""
    import mplfonts

    fonts = Path(mplfonts.__file__).parent / "fonts"
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{fonts}</dir><cachedir>{tmp_path / 'fontcache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    return conf


def test_browser_restores_an_uploaded_blurred_page(app_url, tmp_path):
    if not CHROMIUM.is_file():
        message = f"没有找到 Chromium（{CHROMIUM}），浏览器测试无法运行。安装：{INSTALL_CHROMIUM}"
        if os.environ.get("CI"):
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    from lib.tracks.deblur.deployment import OCR_LABEL

    page_file = tmp_path / "blurred_page.png"  # a blurred page of the generator, not the tab's own example
    cv2.imwrite(str(page_file), cv2.imread(str(ui.example_path("sdwnet"))))
    height, width = cv2.imread(str(page_file)).shape[:2]
    env = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig(tmp_path))}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"], env=env)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(app_url, wait_until="domcontentloaded")
            upload = page.locator("#deblur-file")
            upload.get_by_label("Clear").click()  # the tab starts with its example; upload our own page
            upload.locator("input[type=file]").set_input_files(str(page_file))
            expect(upload).to_contain_text("blurred_page", timeout=30_000)
            page.get_by_label(OCR_LABEL).uncheck()  # OCR: ~10 s a read here (its wiring: test_app_tabs.py)
            page.locator("#deblur-run").click()
            expect(page.locator("#deblur-summary")).to_contain_text("用时", timeout=120_000)
            result = page.locator("#deblur-result img")
            expect(result).to_be_visible(timeout=30_000)
            size = result.evaluate("img => [img.naturalWidth, img.naturalHeight]")
            assert size == [width, height]
            assert "blurred_page" in upload.inner_text()
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000


def test_the_app_serves_while_a_thread_holds_the_model_lock(app_url):
    """Loading a model holds lib.tracks.deployment's lock; the page itself still answers meanwhile."""
    import urllib.request

    from lib.tracks import deployment

    with deployment._lock:
        done = threading.Event()

        def fetch():
            with urllib.request.urlopen(app_url, timeout=30) as response:
                assert response.status == 200
            done.set()

        thread = threading.Thread(target=fetch)
        thread.start()
        thread.join(timeout=30)
    assert done.is_set()


def test_the_ai_studio_entry_file_defines_the_app():
    """app.gradio.py (the entry file of AI Studio's app hosting) builds the same five tabs without
    launching when imported."""
    import runpy

    import gradio as gr

    names = runpy.run_path(str(Path(__file__).resolve().parents[1] / "app.gradio.py"), run_name="app_gradio")
    demo = names["demo"]
    assert isinstance(demo, gr.Blocks)
    endpoints = {fn.api_name for fn in demo.fns.values() if fn.api_name}
    assert endpoints >= set(TABS)


def test_a_link_opens_its_tab():
    from types import SimpleNamespace

    for query, selected in (({"tab": "retouch"}, "retouch"), ({}, "deblur"), ({"tab": "nope"}, "deblur")):
        assert ui.select_tab(SimpleNamespace(query_params=query)).selected == selected
