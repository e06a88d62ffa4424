"""The running app: driven through gradio_client (each tab returns an image of the input's size; a bad file gets
its Chinese message and the app answers the next request; two people at once both get their answers, the second
told its place in the queue in Chinese; one more than the app's queue holds is told the app is busy, in Chinese,
and gradio's own queue never fills) and through a real browser (headless Chromium, Playwright, the system's
Chromium, a zh-CN browser): upload a blurred page, click 恢复, see the restored image; every tab restores its
example with the classical result beside the model's, no word of gradio's English shows, and a screenshot of each
tab is saved under runs/app/; a 20 x 20 image on retouch is refused in Chinese naming its 33 px side, and a second
page restoring at the same time sees its place in the queue in Chinese."""

import os
import re
import socket
import threading
import time
import warnings
from pathlib import Path

import cv2
import pytest
from app_inputs import bad_files

from lib.app import jobs, ui
from lib.app.restore import tab_names
from lib.paths import RUNS_DIR
from lib.tracks import deployment as deployments
from lib.tracks import get_deployment

pytestmark = pytest.mark.slow  # starts the app and restores images (seconds)

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
INSTALL_CHROMIUM = "sudo apt-get install -y chromium（Debian/Ubuntu 的 chromium 包；.ci/run 在 CI 里自动安装）"
SCREENSHOTS = RUNS_DIR / "app"
SCREENSHOT = SCREENSHOTS / "deblur_browser.png"
EXCEPTION_NAME = re.compile(r"[A-Za-z]*(Error|Exception)\b")
# what gradio's own status tracker, toasts, upload box and footer say in English
GRADIO_ENGLISH = re.compile(
    r"\b(processing|queue|Queue is full|Error|Info|Warning|Runs|Use via API|Built with Gradio|Settings|"
    r"Drop File Here|Click to Upload|Loading)\b"
)
VISIBLE_TEXT = """() => {
  const shown = (el) => {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return false;
    }
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('code, textarea, script, style') || !n.textContent.trim()) continue;
    if (shown(el)) out.push(n.textContent.trim());
  }
  return out.join('\\n');
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def patient_url_ok(url: str) -> bool:
    """gradio.networking.url_ok with 60 s instead of 3 s: gradio's launch refuses to start ("localhost is not
    accessible") when its first request of the page takes longer, which a shared CPU under load can make it."""
    import httpx

    try:
        return httpx.head(url, timeout=60, verify=False).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def app_url():
    import gradio.networking

    previous = {name: os.environ.get(name) for name in ("COURSE_SHIPPED", "COURSE_PROFILE")}
    os.environ["COURSE_SHIPPED"] = "1"  # the shipped models, whatever a learner has trained in runs/
    os.environ.pop("COURSE_PROFILE", None)  # the profile a host runs: the default, whose exports the bundle carries
    demo = ui.build_app()
    checker, gradio.networking.url_ok = gradio.networking.url_ok, patient_url_ok
    try:
        demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    finally:
        gradio.networking.url_ok = checker
    yield demo.local_url
    demo.close()
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


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
    return {"deblur": (True, "overlap", False), "sdwnet": (False,)}.get(track, ())


def named(track, outputs) -> dict:
    return dict(zip(ui.output_names(get_deployment(track)), outputs))


TABS = tab_names()


@pytest.mark.parametrize("track", TABS)
def test_each_tab_returns_an_image_of_the_right_size(client, track, tmp_path):
    from gradio_client import handle_file

    path, shape = small(track, tmp_path) if track != "deocclusion" else (ui.example_path(track), None)
    shape = shape or cv2.imread(str(path)).shape[:2]
    shown = named(track, client.predict(handle_file(str(path)), *_arguments(track), api_name=f"/{track}"))
    for image in (*shown["slider"], shown["result"], shown["classical"]):
        assert cv2.imread(image).shape[:2] == shape
    assert "用时" in shown["summary"] and shown["status"].startswith("**完成**")


def test_a_bad_file_gets_its_message_and_the_next_request_is_answered(client, tmp_path):
    from gradio_client import handle_file

    good, shape = small("denoise", tmp_path)
    for name in ("truncated_jpeg", "non_image_named_png", "over_limit"):
        path, words = bad_files(tmp_path)[name]
        with pytest.raises(Exception) as error:  # noqa: B017 -- gradio_client raises its AppError
            client.predict(handle_file(str(path)), api_name="/denoise")
        assert words in str(error.value) and not EXCEPTION_NAME.search(str(error.value)), (name, str(error.value))
        result = named("denoise", client.predict(handle_file(str(good)), api_name="/denoise"))["result"]
        assert cv2.imread(result).shape[:2] == shape


def test_a_20_by_20_image_on_retouch_is_told_the_33_px_side(client, tmp_path):
    from gradio_client import handle_file

    cv2.imwrite(str(tmp_path / "tiny.png"), cv2.imread(str(ui.example_path("retouch")))[:20, :20])
    with pytest.raises(Exception) as error:  # noqa: B017 -- gradio_client raises its AppError
        client.predict(handle_file(str(tmp_path / "tiny.png")), api_name="/retouch")
    assert "每边至少 33 像素" in str(error.value) and not EXCEPTION_NAME.search(str(error.value))


def test_a_7000_by_16_strip_with_ocr_on_returns_the_image(client, tmp_path):
    from gradio_client import handle_file

    strip = cv2.resize(cv2.imread(str(ui.example_path("deblur"))), (7000, 16), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(tmp_path / "strip.png"), strip)
    shown = named(
        "deblur", client.predict(handle_file(str(tmp_path / "strip.png")), True, "overlap", True, api_name="/deblur")
    )
    assert cv2.imread(shown["result"]).shape[:2] == (16, 7000) and cv2.imread(shown["classical"]).shape[:2] == (
        16,
        7000,
    )
    assert shown["status"].startswith("**完成**") and shown["ocr_model"]


@pytest.fixture
def held_denoise(monkeypatch):
    """The denoising tab's restore waits until the test sets the event it yields (at most 120 s), so that requests
    overlap whatever the machine's load."""
    kind = type(get_deployment("denoise"))
    restore = kind.restore
    release = threading.Event()

    def held(self, image, **options):
        release.wait(timeout=120)
        return restore(self, image, **options)

    monkeypatch.setattr(kind, "restore", held)
    yield release
    release.set()


def wait_for(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.2)


def statuses(job) -> list[str]:
    """The status lines a gradio_client job of the denoising tab has received so far."""
    return [named("denoise", outputs)["status"] for outputs in job.outputs()]


def test_two_people_at_once_both_get_their_answers_the_second_its_place_in_chinese(app_url, tmp_path, held_denoise):
    from gradio_client import Client, handle_file

    path, shape = small("denoise", tmp_path, 40)
    first = Client(app_url, verbose=False).submit(handle_file(str(path)), api_name="/denoise")
    wait_for(lambda: any(s.startswith("**处理中**") for s in statuses(first)), "the first one restoring")
    second = Client(app_url, verbose=False).submit(handle_file(str(path)), api_name="/denoise")
    wait_for(
        lambda: any(s.startswith("**排队中（第 1 位）**") for s in statuses(second)), "the second one told its place"
    )
    held_denoise.set()
    for job in (first, second):
        assert cv2.imread(named("denoise", job.result(timeout=120))["result"]).shape[:2] == shape
    told = statuses(second)
    assert any(status.startswith("**处理中**") for status in told), told
    assert not any(GRADIO_ENGLISH.search(status) for status in told)


def test_one_more_than_the_queue_holds_is_told_the_app_is_busy_in_chinese(app_url, tmp_path, held_denoise, monkeypatch):
    """The app's own queue refuses in Chinese; gradio's own queue has no size limit, so its English message that
    the queue is full can never be sent."""
    from gradio_client import Client, handle_file

    monkeypatch.setattr(ui, "QUEUE", jobs.RestoreQueue(1))  # one restoring, one waiting
    path, _ = small("denoise", tmp_path, 40)

    def submit():
        return Client(app_url, verbose=False).submit(handle_file(str(path)), api_name="/denoise")

    first = submit()
    wait_for(lambda: any(s.startswith("**处理中**") for s in statuses(first)), "the first one restoring")
    second = submit()
    wait_for(lambda: any(s.startswith("**排队中") for s in statuses(second)), "the second one waiting")
    with pytest.raises(Exception) as error:  # noqa: B017 -- gradio_client raises its AppError
        submit().result(timeout=120)
    assert "应用正忙" in str(error.value) and "Queue" not in str(error.value)
    held_denoise.set()
    for job in (first, second):
        assert named("denoise", job.result(timeout=120))["status"].startswith("**完成**")
    assert ui.build_app()._queue.max_size is None


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


@pytest.fixture
def browser(tmp_path):
    if not CHROMIUM.is_file():
        message = f"没有找到 Chromium（{CHROMIUM}），浏览器测试无法运行。安装：{INSTALL_CHROMIUM}"
        if os.environ.get("CI"):
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig(tmp_path))}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"], env=env)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        finally:
            browser.close()


def test_browser_restores_an_uploaded_blurred_page(app_url, browser, tmp_path):
    from playwright.sync_api import expect

    page = browser
    page_file = tmp_path / "blurred_page.png"  # a blurred page of the generator, not the tab's own example
    cv2.imwrite(str(page_file), cv2.imread(str(ui.example_path("sdwnet"))))
    height, width = cv2.imread(str(page_file)).shape[:2]
    page.goto(app_url, wait_until="domcontentloaded")
    upload = page.locator("#deblur-file")
    upload.get_by_role("button", name="清除").click()  # the tab starts with its example; upload our own page
    upload.locator("input[type=file]").set_input_files(str(page_file))
    expect(upload).to_contain_text("blurred_page", timeout=30_000)
    expect(page.locator("#deblur-status")).to_contain_text("已读入", timeout=30_000)
    page.get_by_label(deployments.OCR_CONTROL.label).first.uncheck()  # OCR: seconds a read (test_app_tabs.py)
    page.locator("#deblur-run").click()
    expect(page.locator("#deblur-status")).to_contain_text("完成", timeout=180_000)
    result = page.locator("#deblur-result img")
    expect(result).to_be_visible(timeout=30_000)
    assert result.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [width, height]
    assert "blurred_page" in upload.inner_text()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000


def test_browser_every_tab_restores_its_example_beside_the_classical_method_in_chinese(app_url, browser):
    """Each tab (its example already loaded) restores on 恢复: the status line says 完成, the model's and the
    classical result show at the example's size, no English word of gradio's is visible, and a screenshot of the
    tab is saved as runs/app/<track>_tab.png."""
    from playwright.sync_api import expect

    page = browser
    page.goto(app_url, wait_until="domcontentloaded")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for track in TABS:
        deployment = get_deployment(track)
        height, width = cv2.imread(str(deployment.example_path)).shape[:2]
        page.get_by_role("tab", name=deployment.title_zh).click()
        page.locator(f"#{track}-run").click()
        status = page.locator(f"#{track}-status")
        # 处理中 while it works; a small example can finish before the page is read again (denoise: 0.2 s)
        expect(status).to_contain_text(re.compile("处理中|完成"), timeout=60_000)
        during = page.evaluate(VISIBLE_TEXT)
        expect(status).to_contain_text("完成", timeout=300_000)
        for view in ("result", "classical"):
            image = page.locator(f"#{track}-{view} img")
            expect(image).to_be_visible(timeout=30_000)
            assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [width, height], (track, view)
        after = page.evaluate(VISIBLE_TEXT)
        for text in (during, after):
            assert not GRADIO_ENGLISH.search(text), (track, GRADIO_ENGLISH.findall(text))
        page.screenshot(path=str(SCREENSHOTS / f"{track}_tab.png"), full_page=True)
        assert (SCREENSHOTS / f"{track}_tab.png").stat().st_size > 10_000


def test_browser_a_20_by_20_image_on_retouch_is_told_the_33_px_side_in_chinese(app_url, browser, tmp_path):
    """The refusal shows in the tab's status line, at the upload's preview and again on 恢复, in Chinese: no English
    toast of gradio's, no exception name."""
    from playwright.sync_api import expect

    page = browser
    tiny = tmp_path / "tiny.png"
    cv2.imwrite(str(tiny), cv2.imread(str(ui.example_path("retouch")))[:20, :20])
    page.goto(f"{app_url}?tab=retouch", wait_until="domcontentloaded")
    upload, status = page.locator("#retouch-file"), page.locator("#retouch-status")
    upload.get_by_role("button", name="清除").click()
    upload.locator("input[type=file]").set_input_files(str(tiny))
    expect(status).to_contain_text("每边至少 33 像素", timeout=30_000)
    with page.expect_response(lambda response: "/queue/join" in response.url, timeout=60_000):
        page.locator("#retouch-run").click()  # the restore is asked for, and refused (tested by gradio_client above)
    page.wait_for_timeout(5000)  # a toast, had gradio shown one, would be up by now (they stay 10 s)
    expect(status).to_contain_text("每边至少 33 像素")
    text = page.evaluate(VISIBLE_TEXT)
    assert not GRADIO_ENGLISH.search(text) and not EXCEPTION_NAME.search(text), text[-2000:]


def test_browser_two_people_at_once_the_second_sees_its_place_in_chinese(app_url, browser, held_denoise):
    """Two pages restore on the denoising tab at once: the second one's status line gives its place in the queue
    in Chinese while the first restores, then both are done; no English word of gradio's shows meanwhile."""
    from playwright.sync_api import expect

    first = browser
    second = first.context.browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        for page in (first, second):
            page.goto(f"{app_url}?tab=denoise", wait_until="domcontentloaded")
            expect(page.locator("#denoise-run")).to_be_visible(timeout=30_000)
        first.locator("#denoise-run").click()
        expect(first.locator("#denoise-status")).to_contain_text("处理中", timeout=60_000)
        second.locator("#denoise-run").click()
        expect(second.locator("#denoise-status")).to_contain_text("排队中（第 1 位）", timeout=30_000)
        waiting = second.evaluate(VISIBLE_TEXT)
        assert not GRADIO_ENGLISH.search(waiting), GRADIO_ENGLISH.findall(waiting)
        held_denoise.set()
        for page in (first, second):
            expect(page.locator("#denoise-status")).to_contain_text("完成", timeout=300_000)
    finally:
        second.close()


def test_the_app_serves_while_a_thread_holds_the_model_lock(app_url):
    """Loading a model holds lib.tracks.deployment's lock; the page itself still answers meanwhile."""
    import urllib.request

    with deployments._lock:
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
