import Foundation

extension LineChart {
  /// Layout numbers shared by the SVG and the hover script.
  struct Layout {
    var left = 84.0
    var plotRight: Double
    var header: Double
    var legendX: Double
    var panelGap = 74.0
    var panelTitle = 26.0
  }

  static let legendCap = 300.0

  func layout() -> Layout {
    let labels = panels.flatMap { $0.series.map(\.label) }
    let legendWidth = min(
      Self.legendCap, max(110, (labels.map { SVGMarkup.textWidth($0, size: 12) }.max() ?? 60) + 44))
    let header = (title.isEmpty ? 10.0 : 46.0) + (subtitle.isEmpty ? 0 : title.isEmpty ? 12 : 16)
    return Layout(
      plotRight: width - legendWidth - 28, header: header, legendX: width - legendWidth - 4)
  }

  /// Total height of the SVG.
  public var height: Double {
    let l = layout()
    return l.header + Double(panels.count) * (panelHeight + l.panelGap) - l.panelGap + 56
  }

  /// A standalone SVG document. `id` prefixes element ids so several charts share a page.
  public func svg(id: String = "chart") -> String {
    let l = layout()
    var out = ""
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(id)\" id=\"\(id)\""
    out += " viewBox=\"0 0 \(NumberText.coordinate(width)) \(NumberText.coordinate(height))\""
    out += " width=\"\(Int(width))\" height=\"\(Int(height.rounded(.up)))\""
    out += " font-family=\"\(SVGMarkup.fontFamily)\" data-chart=\"\(id)\">\n"
    out += SVGMarkup.styleSheet(prefix: id)
    out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    if !title.isEmpty { out += SVGMarkup.text(title, x: l.left - 60, y: 26, className: "title") }
    if !subtitle.isEmpty {
      out += SVGMarkup.text(
        subtitle, x: l.left - 60, y: title.isEmpty ? 16 : 46, className: "subtitle")
    }
    for (index, panel) in panels.enumerated() {
      let top = l.header + Double(index) * (panelHeight + l.panelGap) + l.panelTitle
      out += panelSVG(panel, index: index, top: top, layout: l, id: id)
    }
    out += legendSVG(layout: l)
    out += "</svg>\n"
    return out
  }

  /// The plot rectangle of panel `index`: left, top, width, height.
  func plotRect(_ index: Int, layout l: Layout) -> (Double, Double, Double, Double) {
    let top = l.header + Double(index) * (panelHeight + l.panelGap) + l.panelTitle
    return (l.left, top, l.plotRight - l.left, panelHeight - l.panelTitle)
  }

  func scales(_ panel: ChartPanel, index: Int, layout l: Layout) -> (AxisScale, AxisScale) {
    let (left, top, w, h) = plotRect(index, layout: l)
    let xs = panel.series.flatMap(\.x)
    let ys = panel.series.flatMap { $0.y + $0.lower + $0.upper }
    var x = AxisScale(covering: xs, isLog: panel.logX, pixels: (left, left + w))
    // A rounded start (0 for steps) but no empty space after the last logged point.
    if !x.isLog, let last = xs.filter(\.isFinite).max(), last > x.low { x.high = last }
    let y = AxisScale(covering: ys, isLog: panel.logY, pixels: (top + h, top))
    return (x, y)
  }

  private func panelSVG(_ panel: ChartPanel, index: Int, top: Double, layout l: Layout, id: String)
    -> String
  {
    let (left, _, w, h) = plotRect(index, layout: l)
    let (xs, ys) = scales(panel, index: index, layout: l)
    let c = NumberText.coordinate
    var out = "<g class=\"panel\" data-panel=\"\(index)\">\n"
    out += SVGMarkup.text(panel.title, x: left, y: top - 10, className: "ptitle")
    out += "<clipPath id=\"\(id)-clip\(index)\"><rect x=\"\(c(left))\" y=\"\(c(top))\""
    out += " width=\"\(c(w))\" height=\"\(c(h))\"/></clipPath>\n"
    for tick in ys.ticks() {
      let py = ys.pixel(tick)
      out += "<line class=\"grid\" x1=\"\(c(left))\" x2=\"\(c(left + w))\" y1=\"\(c(py))\""
      out += " y2=\"\(c(py))\"/>\n"
      out += SVGMarkup.text(
        ys.label(tick), x: left - 8, y: py + 4, className: "tick", anchor: "end")
    }
    for tick in xs.ticks(target: 6) {
      let px = xs.pixel(tick)
      out += "<line class=\"frame\" x1=\"\(c(px))\" x2=\"\(c(px))\" y1=\"\(c(top + h))\""
      out += " y2=\"\(c(top + h + 5))\"/>\n"
      out += SVGMarkup.text(
        xs.label(tick), x: px, y: top + h + 19, className: "tick", anchor: "middle")
    }
    out += "<path class=\"frame\" d=\"M\(c(left)) \(c(top))V\(c(top + h))H\(c(left + w))\"/>\n"
    out += SVGMarkup.text(
      panel.xLabel, x: left + w / 2, y: top + h + 38, className: "axis", anchor: "middle")
    let cx = left - 62
    let cy = top + h / 2
    out += SVGMarkup.text(
      panel.yLabel, x: cx, y: cy, className: "axis", anchor: "middle",
      extra: " transform=\"rotate(-90 \(c(cx)) \(c(cy)))\"")
    out += "<g clip-path=\"url(#\(id)-clip\(index))\">\n"
    for series in panel.series {
      out += "<g class=\"series\" data-label=\"\(SVGMarkup.escape(series.label))\">\n"
      let band = bandPath(series, xs: xs, ys: ys)
      if !band.isEmpty {
        out += "<path class=\"band\" fill=\"\(series.color)\" d=\"\(band)\"/>\n"
      }
      out += "<path class=\"line\" stroke=\"\(series.color)\""
      if !series.dash.isEmpty { out += " stroke-dasharray=\"\(series.dash)\"" }
      out += " d=\"\(linePath(series.x, series.y, xs: xs, ys: ys))\"/>\n"
      if series.x.count == 1, let x = series.x.first, let y = series.y.first {
        out += "<circle r=\"3.5\" fill=\"\(series.color)\" cx=\"\(c(xs.pixel(x)))\""
        out += " cy=\"\(c(ys.pixel(y)))\"/>\n"
      }
      out += "</g>\n"
    }
    out += "</g>\n"
    out += "<line class=\"crosshair\" x1=\"0\" x2=\"0\" y1=\"\(c(top))\" y2=\"\(c(top + h))\""
    out += " visibility=\"hidden\"/>\n"
    out += "</g>\n"
    return out
  }

  private func linePath(_ x: [Double], _ y: [Double], xs: AxisScale, ys: AxisScale) -> String {
    let c = NumberText.coordinate
    var d = ""
    var pen = false
    for (px, py) in zip(x, y) {
      guard px.isFinite, py.isFinite, !xs.isLog || px > 0 else {
        pen = false
        continue
      }
      d += (pen ? "L" : "M") + c(xs.pixel(px)) + " " + c(ys.pixel(py))
      pen = true
    }
    return d
  }

  private func bandPath(_ series: ChartSeries, xs: AxisScale, ys: AxisScale) -> String {
    guard zip(series.lower, series.upper).contains(where: { $0 != $1 }) else { return "" }
    let c = NumberText.coordinate
    let points = series.x.indices.filter {
      series.x[$0].isFinite && series.lower[$0].isFinite && series.upper[$0].isFinite
        && (!xs.isLog || series.x[$0] > 0)
    }
    guard points.count > 1 else { return "" }
    var d = ""
    for (n, i) in points.enumerated() {
      d += (n == 0 ? "M" : "L") + c(xs.pixel(series.x[i])) + " " + c(ys.pixel(series.upper[i]))
    }
    for i in points.reversed() {
      d += "L" + c(xs.pixel(series.x[i])) + " " + c(ys.pixel(series.lower[i]))
    }
    return d + "Z"
  }

  private func legendSVG(layout l: Layout) -> String {
    var seen: [String] = []
    var entries: [ChartSeries] = []
    for series in panels.flatMap(\.series) where !seen.contains(series.label) {
      seen.append(series.label)
      entries.append(series)
    }
    let c = NumberText.coordinate
    var out = "<g class=\"legend-box\">\n"
    var y = l.header + l.panelTitle + 8
    for entry in entries {
      out += "<line x1=\"\(c(l.legendX))\" x2=\"\(c(l.legendX + 24))\" y1=\"\(c(y))\""
      out += " y2=\"\(c(y))\" stroke=\"\(entry.color)\" stroke-width=\"3\""
      if !entry.dash.isEmpty { out += " stroke-dasharray=\"\(entry.dash)\"" }
      out += "/>\n"
      let room = Int((Self.legendCap - 44) / (12 * 0.56))
      let shown = entry.label.count > room ? entry.label.prefix(room - 1) + "…" : entry.label
      out += SVGMarkup.text(
        shown, x: l.legendX + 32, y: y + 4, className: "legend",
        extra: shown == entry.label ? "" : " data-full=\"\(SVGMarkup.escape(entry.label))\"")
      y += 20
    }
    out += "</g>\n"
    return out
  }

  /// The data the page's hover script needs: plot rectangles, scales and every series.
  public func hoverJSON() -> String {
    let l = layout()
    var panelsJSON: [String] = []
    for (index, panel) in panels.enumerated() {
      let (left, top, w, h) = plotRect(index, layout: l)
      let (xs, ys) = scales(panel, index: index, layout: l)
      let series = panel.series.map { s in
        "{\"label\":\(SVGMarkup.json(s.label)),\"color\":\(SVGMarkup.json(s.color)),"
          + "\"seeds\":\(s.seeds),\"x\":\(SVGMarkup.jsonNumbers(s.x)),"
          + "\"y\":\(SVGMarkup.jsonNumbers(s.y)),\"lo\":\(SVGMarkup.jsonNumbers(s.lower)),"
          + "\"hi\":\(SVGMarkup.jsonNumbers(s.upper))}"
      }
      panelsJSON.append(
        "{\"left\":\(left),\"top\":\(top),\"width\":\(w),\"height\":\(h),"
          + "\"xlo\":\(xs.low),\"xhi\":\(xs.high),\"xlog\":\(xs.isLog),"
          + "\"ylo\":\(ys.low),\"yhi\":\(ys.high),\"ylog\":\(ys.isLog),"
          + "\"title\":\(SVGMarkup.json(panel.title)),"
          + "\"series\":[" + series.joined(separator: ",") + "]}")
    }
    return "{\"panels\":[" + panelsJSON.joined(separator: ",") + "]}"
  }
}
