#!/usr/bin/env bash
# Opens an HTML page (a ranklab report or plot) in headless Chromium as a person would:
# checks that its scripts run without console errors, that the charts drew lines, that
# hovering a chart shows a read-out, and writes a full-page screenshot that must not be blank.
# Usage: bench/check-html.sh FILE.html OUT.png
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 FILE.html OUT.png" >&2; exit 2; fi
page=$(realpath "$1")
out=$2
[ -f "$page" ] || { echo "no such file: $1" >&2; exit 2; }

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "installing chromium (apt-get)..." >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
  browser=$(command -v chromium)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A copy of the page with a probe appended: after load it moves the mouse to the middle of
# the first chart panel and records what the page did, plus the page height for the shot.
probe='<script>
window.addEventListener("load", function () {
  var body = document.body, result = "no-chart";
  try {
    var data = JSON.parse(document.getElementById("ranklab-data").textContent);
    var svgs = document.querySelectorAll("svg[data-chart]");
    body.setAttribute("data-lines", String(document.querySelectorAll("svg path.line").length));
    for (var i = 0; i < svgs.length; i++) {
      var chart = data[svgs[i].getAttribute("data-chart")];
      if (!chart || !chart.panels || !chart.panels.length) continue;
      var p = chart.panels[0], pt = svgs[i].createSVGPoint();
      pt.x = p.left + p.width * 0.6; pt.y = p.top + p.height / 2;
      var s = pt.matrixTransform(svgs[i].getScreenCTM());
      svgs[i].dispatchEvent(new MouseEvent("mousemove", {clientX: s.x, clientY: s.y, bubbles: true}));
      var tip = document.querySelector(".tip");
      result = tip && tip.style.display === "block" && tip.textContent.length > 0 ? "ok" : "no-tooltip";
      break;
    }
  } catch (e) { result = "error: " + e; console.error("probe: " + e); }
  body.setAttribute("data-hover", result);
  body.setAttribute("data-height", String(document.documentElement.scrollHeight));
});
</script>'
probed="$work/page.html"
# The copy lives in a temporary folder: a <base> keeps the page's relative links working.
base="<base href=\"file://$(dirname "$page")/\">"
sed -e "s#<head>#<head>$(printf '%s' "$base" | sed 's/[&#]/\\&/g')#" \
  -e "s#</body>#$(printf '%s' "$probe" | tr '\n' ' ' | sed 's/[&#]/\\&/g')</body>#" \
  "$page" > "$probed"

flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
  --disable-extensions --enable-logging=stderr --v=0 --virtual-time-budget=3000)
"$browser" "${flags[@]}" --window-size=1100,900 --dump-dom "file://$probed" \
  > "$work/dom.html" 2> "$work/console1.log" || true
height=$(grep -o 'data-height="[0-9]*"' "$work/dom.html" | grep -o '[0-9]*' | head -1 || true)
lines=$(grep -o 'data-lines="[0-9]*"' "$work/dom.html" | grep -o '[0-9]*' | head -1 || true)
hover=$(grep -o 'data-hover="[^"]*"' "$work/dom.html" | head -1 | sed 's/data-hover=//; s/"//g' || true)
height=${height:-2000}
[ "$height" -gt 16000 ] && height=16000
"$browser" "${flags[@]}" --window-size=1100,"$height" --screenshot="$work/shot.png" \
  "file://$probed" > /dev/null 2> "$work/console2.log" || true
cp "$work/shot.png" "$out" 2>/dev/null || { echo "FAIL: no screenshot written" >&2; exit 1; }

status=0
errors=$(grep -h 'CONSOLE' "$work/console1.log" "$work/console2.log" \
  | grep -Ei 'error|uncaught|exception' || true)
if [ -n "$errors" ]; then echo "FAIL: console errors:"; echo "$errors"; status=1; fi
if [ -z "$lines" ] || [ "$lines" -eq 0 ]; then echo "FAIL: no chart lines drawn"; status=1; fi
if [ "$hover" != "ok" ]; then echo "FAIL: hovering a chart showed no read-out ($hover)"; status=1; fi

# Blank check: decode the PNG (stdlib zlib) and count distinct colours and inked pixels.
python3 - "$out" <<'PY' || status=1
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR": width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
    if kind == b"IDAT": idat += body
    pos += 12 + n
bpp = {2: 3, 6: 4}[ctype]
raw, stride, prev, colours, inked = zlib.decompress(idat), width * bpp, None, set(), 0
rows = []
for y in range(height):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        for x in range(0, width, 4):
            px = tuple(line[x * bpp:x * bpp + 3]); colours.add(px)
            inked += sum(px) < 600
print(f"screenshot {width}x{height}: {len(colours)} colours, {inked} inked samples")
if len(colours) < 8 or inked < 500:
    print("FAIL: the screenshot is blank"); sys.exit(1)
PY
[ $status -eq 0 ] && echo "OK: $1 rendered ($lines lines, hover $hover) -> $out"
exit $status
