#!/usr/bin/env python3
"""The dashboard in a real browser: starts detectd on the demo video, opens
http://127.0.0.1:PORT/ in Debian's headless Chromium, driven through the
DevTools protocol over a pipe (--remote-debugging-pipe, no extra packages),
and checks that the page loads, shows the annotated stream (the preview image
has the configured size and real picture content), updates its numbers, and
draws the fps/latency chart. Saves a screenshot (OUT/dashboard.png).

usage: dashboard_test.py DETECTD_BIN ASSETS_DIR OUT_DIR
Exit 0 pass, 1 fail, 77 skip (no chromium)."""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class DevTools:
    """Chrome DevTools protocol over fds 3 (to the browser) and 4 (from it)."""

    def __init__(self, args, profile):
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def child_fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", "--user-data-dir=" + profile, "--window-size=1280,1000",
             "--hide-scrollbars", "about:blank"] + args,
            pass_fds=(3, 4), preexec_fn=child_fds,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.session = None

    def call(self, method, params=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        end = time.time() + timeout
        while time.time() < end:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        fail(f"{method}: {reply['error']}")
                    return reply.get("result", {})
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                fail("chromium closed the DevTools pipe")
            self.buf += chunk
        fail(f"{method}: no reply in {timeout} s")

    def open(self, url):
        target = self.call("Target.createTarget", {"url": url})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            fail(f"page script failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def close(self):
        try:
            self.session = None
            self.call("Browser.close", timeout=5)
        except SystemExit:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


PROBE = r"""(() => {
  const $ = (id) => document.getElementById(id);
  const img = $('preview');
  if (!img || !$('chart')) return null;  /* still loading */
  let luma_sd = 0, red = 0;
  if (img.complete && img.naturalWidth) {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let s = 0, s2 = 0, n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]; s += y; s2 += y * y;
      if (d[i] > 180 && d[i + 1] < 90 && d[i + 2] < 90) red++;
    }
    luma_sd = Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
  }
  const ch = $('chart'), cd = ch.getContext('2d').getImageData(0, 0, ch.width, ch.height).data;
  let blue = 0;
  for (let i = 0; i < cd.length; i += 4) if (cd[i] < 120 && cd[i + 1] > 140 && cd[i + 2] > 200) blue++;
  return {updates: +$('updates').textContent, state: $('state').textContent,
          fps: $('fps').textContent, frames: $('frames').textContent,
          classes: $('classes').tBodies[0].rows.length, dets: $('dets').tBodies[0].rows.length,
          img_w: img.naturalWidth, img_h: img.naturalHeight, luma_sd, red, chart_blue: blue,
          zones: $('zones').tBodies[0].rows.length, lines: $('lines').tBodies[0].rows.length,
          shapes: $('geometry').childElementCount, events: $('events').tBodies[0].rows.length,
          snapshots: [...$('events').querySelectorAll('img')].filter((i) => i.complete && i.naturalWidth > 0).length};
})()"""


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    detectd, assets, out = sys.argv[1:]
    if not CHROMIUM:
        print("SKIP: no chromium (scripts/setup installs Debian's chromium)")
        return 77
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="dd-dashboard-")
    port = free_port()
    conf = os.path.join(tmp, "detectd.conf")
    with open(conf, "w") as f:
        f.write(f"[source]\nuri = {assets}/media/vtest-1080p.mp4\n"
                f"[http]\nlisten = 127.0.0.1:{port}\n"
                "[zones]\nzone1 = left: 0,0 0.5,0 0.5,1 0,1\n[lines]\nline1 = mid: 0.5,0 0.5,1\n")
    log = open(os.path.join(tmp, "detectd.log"), "w+")
    daemon = subprocess.Popen([detectd, "--config", conf], stderr=log, stdout=subprocess.DEVNULL)
    browser = None
    try:
        base = f"http://127.0.0.1:{port}"
        end = time.time() + 180
        while True:
            try:
                if urllib.request.urlopen(base + "/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if daemon.poll() is not None or time.time() > end:
                log.seek(0)
                fail("detectd did not become healthy:\n" + log.read())
            time.sleep(0.5)

        browser = DevTools([], os.path.join(tmp, "profile"))
        browser.open(base + "/")
        first = None
        end = time.time() + 90
        while time.time() < end:
            p = browser.eval(PROBE)
            if p is None:
                time.sleep(0.5)
                continue
            if first is None and p["updates"] >= 1 and p["frames"] not in ("-", ""):
                first = p
            if (first and p["updates"] >= first["updates"] + 3 and p["img_w"]
                    and p["chart_blue"] > 50 and int(p["frames"]) > int(first["frames"])
                    and p["events"] >= 1 and p["snapshots"] >= 1):
                break
            time.sleep(1)
        print("probe:", json.dumps(p))
        if not first:
            fail(f"the page never showed stats: {p}")
        if p["state"] != "running":
            fail(f"state {p['state']!r}, not running")
        if p["updates"] < first["updates"] + 3 or int(p["frames"]) <= int(first["frames"]):
            fail(f"the numbers did not update: first {first}, last {p}")
        if (p["img_w"], p["img_h"]) != (640, 360):
            fail(f"the preview is {p['img_w']}x{p['img_h']}, not the configured 640x360")
        if p["luma_sd"] < 15:
            fail(f"the preview has no picture (luma sd {p['luma_sd']:.1f})")
        if p["red"] < 20:
            fail(f"no person boxes (red overlay pixels: {p['red']}) in the preview")
        if p["chart_blue"] <= 50:
            fail("the fps line is not drawn in the chart")
        if p["classes"] < 1 or p["dets"] < 1:
            fail(f"no detections listed: {p}")
        if p["zones"] != 1 or p["lines"] != 1 or p["shapes"] != 2:
            fail(f"the zone and the line are not shown (rows {p['zones']}/{p['lines']}, "
                 f"{p['shapes']} shapes drawn)")
        if p["events"] < 1 or p["snapshots"] < 1:
            fail(f"no events or snapshots listed: {p}")
        shot = browser.call("Page.captureScreenshot", {"format": "png"})["data"]
        png = base64.b64decode(shot)
        path = os.path.join(out, "dashboard.png")
        with open(path, "wb") as f:
            f.write(png)
        if len(png) < 50000 or png[:8] != b"\x89PNG\r\n\x1a\n":
            fail(f"screenshot {path} looks empty ({len(png)} bytes)")
        print(f"PASS: dashboard live ({p['fps']} fps shown, {p['updates']} updates, "
              f"preview {p['img_w']}x{p['img_h']}); screenshot {path} ({len(png)} bytes)")
        return 0
    finally:
        if browser:
            browser.close()
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
