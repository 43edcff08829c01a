/// A self-contained HTML page: inline SVG charts, inline CSS, and a small inline script for
/// hover read-outs. It loads nothing from the network, so it works offline and when mailed.
public struct HTMLPage {
  public var title: String
  /// Body HTML, in order.
  public var sections: [String] = []
  /// Hover data by chart id (the SVG's `data-chart`), as JSON objects.
  public var hoverData: [(id: String, json: String)] = []

  public init(title: String) {
    self.title = title
  }

  /// Adds a chart: its SVG inline and its hover data.
  public mutating func add(_ chart: some SVGChart, id: String, caption: String? = nil) {
    var html = "<figure class=\"chart\">\n" + chart.svg(id: id)
    if let caption { html += "<figcaption>\(SVGMarkup.escape(caption))</figcaption>\n" }
    sections.append(html + "</figure>\n")
    hoverData.append((id, chart.hoverJSON()))
  }

  public var html: String {
    var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    out += "<title>\(SVGMarkup.escape(title))</title>\n<style>\n\(Self.css)</style>\n</head>\n"
    out += "<body>\n<main>\n"
    out += sections.joined()
    out += "</main>\n<script type=\"application/json\" id=\"ranklab-data\">{"
    out += hoverData.map { "\(SVGMarkup.json($0.id)):\($0.json)" }.joined(separator: ",\n")
    out += "}</script>\n<script>\n\(Self.script)</script>\n</body>\n</html>\n"
    return out
  }

  static let css = """
    :root{color-scheme:light}
    body{margin:0;background:#f6f7f9;color:#202124;
      font:14px/1.5 system-ui,-apple-system,'Segoe UI','DejaVu Sans',Helvetica,Arial,sans-serif}
    main{max-width:980px;margin:0 auto;padding:28px 24px 60px}
    h1{font-size:24px;margin:0 0 4px;font-weight:650}
    h2{font-size:18px;margin:34px 0 10px;font-weight:620;border-bottom:1px solid #dadce0;
      padding-bottom:6px}
    p.meta{color:#5f6368;margin:0 0 16px}
    figure.chart{background:#fff;border:1px solid #e0e3e7;border-radius:8px;margin:14px 0;
      padding:8px;overflow-x:auto}
    figure.chart svg{display:block;max-width:100%;height:auto}
    figcaption{color:#5f6368;font-size:12.5px;padding:4px 8px 2px}
    table{border-collapse:collapse;background:#fff;border:1px solid #e0e3e7;font-size:13px;
      width:100%}
    th,td{padding:6px 10px;border-bottom:1px solid #eceff1;text-align:right;white-space:nowrap}
    th:first-child,td:first-child{text-align:left}
    thead th{background:#f1f3f4;font-weight:600}
    td .sd{color:#5f6368}
    div.scroll{overflow-x:auto}
    details{background:#fff;border:1px solid #e0e3e7;border-radius:8px;margin:8px 0;
      padding:6px 12px}
    summary{cursor:pointer;font-weight:600}
    pre{font-size:12px;overflow-x:auto;background:#f8f9fa;padding:10px;border-radius:6px}
    .tip{position:absolute;display:none;pointer-events:none;background:rgba(255,255,255,.97);
      border:1px solid #c4c7c5;border-radius:6px;padding:6px 9px;font-size:12px;
      box-shadow:0 2px 8px rgba(0,0,0,.15);z-index:10;max-width:420px}
    .tip b{display:block;margin-bottom:3px}
    .tip .sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
    .tip .v{float:right;margin-left:14px;font-variant-numeric:tabular-nums}
    .note{color:#5f6368;font-size:13px}

    """

  static let script = """
    (function () {
      'use strict';
      var data = JSON.parse(document.getElementById('ranklab-data').textContent);
      var tip = document.createElement('div');
      tip.className = 'tip';
      document.body.appendChild(tip);
      function fmt(v) {
        if (v === null || !isFinite(v)) return '\\u2013';
        var a = Math.abs(v);
        if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(2);
        if (a >= 1000) return Math.round(v).toLocaleString('en-US');
        return String(Number(v.toPrecision(4)));
      }
      function nearest(xs, x) {
        var lo = 0, hi = xs.length - 1;
        while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (xs[mid] <= x) lo = mid; else hi = mid; }
        return Math.abs(xs[hi] - x) < Math.abs(xs[lo] - x) ? hi : lo;
      }
      function toData(p, lo, hi, log, p0, p1) {
        var u = lo + (p - p0) / (p1 - p0) * (hi - lo);
        return log ? Math.pow(10, u) : u;
      }
      function toPixel(v, lo, hi, log, p0, p1) {
        var u = log ? Math.log10(v) : v;
        return p0 + (u - lo) / (hi - lo) * (p1 - p0);
      }
      function esc(s) {
        return String(s).replace(/[&<>"]/g, function (c) {
          return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c];
        });
      }
      Array.prototype.forEach.call(document.querySelectorAll('svg[data-chart]'), function (svg) {
        var chart = data[svg.getAttribute('data-chart')];
        if (!chart || !chart.panels) return;
        var hairs = svg.querySelectorAll('.crosshair');
        function hide() {
          tip.style.display = 'none';
          Array.prototype.forEach.call(hairs, function (h) { h.setAttribute('visibility', 'hidden'); });
        }
        svg.addEventListener('mouseleave', hide);
        svg.addEventListener('mousemove', function (ev) {
          var pt = svg.createSVGPoint();
          pt.x = ev.clientX; pt.y = ev.clientY;
          var p = pt.matrixTransform(svg.getScreenCTM().inverse());
          var shown = false;
          chart.panels.forEach(function (panel, i) {
            var hair = hairs[i];
            var inside = p.x >= panel.left && p.x <= panel.left + panel.width &&
              p.y >= panel.top && p.y <= panel.top + panel.height;
            if (!inside || !panel.series.length) { if (hair) hair.setAttribute('visibility', 'hidden'); return; }
            var right = panel.left + panel.width;
            var x = toData(p.x, panel.xlo, panel.xhi, panel.xlog, panel.left, right);
            var best = null;
            panel.series.forEach(function (s) {
              if (!s.x.length) return;
              var k = nearest(s.x, x);
              if (best === null || Math.abs(s.x[k] - x) < Math.abs(best - x)) best = s.x[k];
            });
            if (best === null) return;
            var px = toPixel(best, panel.xlo, panel.xhi, panel.xlog, panel.left, right);
            if (hair) {
              hair.setAttribute('x1', px); hair.setAttribute('x2', px);
              hair.setAttribute('visibility', 'visible');
            }
            var html = '<b>' + esc(panel.title) + ' \\u00b7 x = ' + fmt(best) + '</b>';
            panel.series.forEach(function (s) {
              if (!s.x.length) return;
              var k = nearest(s.x, best);
              // Series logged at other steps still show their nearest point when it is close.
              if (Math.abs(s.x[k] - best) > 0.02 * Math.abs(panel.xhi - panel.xlo)) return;
              var band = s.lo[k] !== s.hi[k] ? ' [' + fmt(s.lo[k]) + ', ' + fmt(s.hi[k]) + ']' : '';
              html += '<div><span class="sw" style="background:' + s.color + '"></span>' +
                esc(s.label) + '<span class="v">' + fmt(s.y[k]) + band + '</span></div>';
            });
            tip.innerHTML = html;
            shown = true;
          });
          if (!shown) { hide(); return; }
          tip.style.display = 'block';
          var left = ev.pageX + 16, top = ev.pageY + 16;
          if (left + tip.offsetWidth > window.scrollX + document.documentElement.clientWidth) {
            left = ev.pageX - tip.offsetWidth - 16;
          }
          tip.style.left = left + 'px';
          tip.style.top = top + 'px';
        });
      });
    })();

    """
}
