import Foundation

extension SpectrumChart: SVGChart {
  private var columns: Int { panels.count >= 4 ? 2 : 1 }
  private var panelHeight: Double { style == .heatmap ? 170 : 230 }
  private var header: Double { title.isEmpty ? 30 : 64 }
  private var rowHeight: Double { panelHeight + 78 }
  private var panelWidth: Double {
    let plotArea = width - 84 - 110
    return (plotArea - Double(columns - 1) * 78) / Double(columns)
  }

  public var height: Double {
    header + Double((panels.count + columns - 1) / columns) * rowHeight + 8
  }

  public func hoverJSON() -> String { "{}" }

  public func svg(id: String) -> String {
    let c = NumberText.coordinate
    var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(id)\" id=\"\(id)\""
    out += " viewBox=\"0 0 \(c(width)) \(c(height))\" width=\"\(Int(width))\""
    out += " height=\"\(Int(height.rounded(.up)))\" font-family=\"\(SVGMarkup.fontFamily)\""
    out += " data-chart=\"\(id)\">\n"
    out += SVGMarkup.styleSheet(prefix: id)
    out += "<defs><linearGradient id=\"\(id)-ramp\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
    for k in 0...10 {
      out +=
        "<stop offset=\"\(Double(k) / 10)\" stop-color=\"\(Palette.viridis(Double(k) / 10))\"/>"
    }
    out += "</linearGradient></defs>\n"
    out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    if !title.isEmpty { out += SVGMarkup.text(title, x: 24, y: 26, className: "title") }
    out += SVGMarkup.text(subtitle, x: 24, y: title.isEmpty ? 16 : 46, className: "subtitle")
    for (index, panel) in panels.enumerated() {
      let left = 84 + Double(index % columns) * (panelWidth + 78)
      let top = header + Double(index / columns) * rowHeight + 26
      out += "<g class=\"panel\" data-panel=\"\(index)\">\n"
      out += SVGMarkup.text(panel.label, x: left, y: top - 9, className: "ptitle")
      out +=
        style == .heatmap
        ? heatmap(panel, left: left, top: top) : curves(panel, left: left, top: top, id: id)
      out += "</g>\n"
    }
    out += style == .heatmap ? colourBar(id: id) : timeBar(id: id)
    return out + "</svg>\n"
  }

  private func heatmap(_ panel: Panel, left: Double, top: Double) -> String {
    let c = NumberText.coordinate
    let h = panelHeight
    let count = shownRows(panel)
    guard count > 0, !panel.steps.isEmpty else { return "" }
    let xs = stepScale(panel, left: left)
    let rowHeight = h / Double(count)
    // At most ~160 columns: a few hundred measurements would only add bytes, not detail.
    let stride = max(1, (panel.steps.count + 159) / 160)
    let chosen = Array(Swift.stride(from: 0, to: panel.steps.count, by: stride))
    var out = "<g shape-rendering=\"crispEdges\">\n"
    out += "<rect x=\"\(c(left))\" y=\"\(c(top))\" width=\"\(c(panelWidth))\""
    out += " height=\"\(c(h))\" fill=\"\(Palette.viridis(0))\"/>\n"
    for (n, column) in chosen.enumerated() {
      let x0 =
        n == 0
        ? left
        : (xs.pixel(Double(panel.steps[chosen[n - 1]])) + xs.pixel(Double(panel.steps[column]))) / 2
      let x1 =
        n + 1 == chosen.count
        ? left + panelWidth
        : (xs.pixel(Double(panel.steps[column])) + xs.pixel(Double(panel.steps[chosen[n + 1]]))) / 2
      let values = panel.logRatios[column].prefix(count)
      var start = 0
      // Runs of one quantised colour down a column become one rectangle.
      while start < values.count {
        let level = quantise(values[start])
        var end = start + 1
        while end < values.count, quantise(values[end]) == level { end += 1 }
        if level > 0 {
          out += "<rect x=\"\(c(x0))\" y=\"\(c(top + Double(start) * rowHeight))\""
          out +=
            " width=\"\(c(x1 - x0 + 0.3))\" height=\"\(c(Double(end - start) * rowHeight + 0.3))\""
          out += " fill=\"\(Palette.viridis(Double(level) / 47))\"/>\n"
        }
        start = end
      }
    }
    out += "</g>\n"
    var d = ""
    for (n, step) in panel.steps.enumerated() {
      let y = top + panel.srank[n] * rowHeight
      d += (n == 0 ? "M" : "L") + c(xs.pixel(Double(step))) + " " + c(min(max(y, top), top + h))
    }
    out += "<path d=\"\(d)\" fill=\"none\" stroke=\"#ffffff\" stroke-width=\"2\"/>\n"
    out += "<rect class=\"frame\" x=\"\(c(left))\" y=\"\(c(top))\" width=\"\(c(panelWidth))\""
    out += " height=\"\(c(h))\"/>\n"
    for tick in xs.ticks(target: columns == 1 ? 6 : 4) {
      out += SVGMarkup.text(
        xs.label(tick), x: xs.pixel(tick), y: top + h + 16, className: "tick", anchor: "middle")
    }
    out += SVGMarkup.text(
      "steps (environment; gradient steps if offline)", x: left + panelWidth / 2, y: top + h + 34,
      className: "axis",
      anchor: "middle")
    let ys = AxisScale(
      covering: [0.5, Double(count) + 0.5], isLog: false, pixels: (top, top + h), tight: true)
    for tick in ys.ticks(target: 4) where tick >= 1 {
      out += SVGMarkup.text(
        ys.label(tick), x: left - 7, y: ys.pixel(tick) + 4, className: "tick", anchor: "end")
    }
    out += SVGMarkup.text(
      "index i", x: left - 44, y: top + h / 2, className: "axis", anchor: "middle",
      extra: " transform=\"rotate(-90 \(c(left - 44)) \(c(top + h / 2)))\"")
    return out
  }

  /// Rows down to the last index that is ever above the colour floor, plus a margin, so a
  /// block of dead directions does not take most of the picture.
  private func shownRows(_ panel: Panel) -> Int {
    let count = panel.logRatios.map(\.count).max() ?? 0
    let lastAlive =
      panel.logRatios.map { row in (row.lastIndex { $0 > floor } ?? 0) + 1 }.max() ?? 0
    return min(count, max(lastAlive + max(2, lastAlive / 10), 1))
  }

  private func stepScale(_ panel: Panel, left: Double) -> AxisScale {
    let steps = panel.steps.map(Double.init)
    var scale = AxisScale(covering: steps, isLog: false, pixels: (left, left + panelWidth))
    if let last = steps.max(), last > scale.low { scale.high = last }
    return scale
  }

  private func quantise(_ value: Double) -> Int {
    guard value.isFinite else { return 0 }
    return Int((min(max(1 - value / floor, 0), 1) * 47).rounded())
  }

  private func chosenSteps(_ panel: Panel) -> [Int] {
    let n = panel.steps.count
    guard n > 8 else { return Array(0..<n) }
    return (0..<8).map { Int((Double($0) * Double(n - 1) / 7).rounded()) }
  }

  private func curves(_ panel: Panel, left: Double, top: Double, id: String) -> String {
    let c = NumberText.coordinate
    let h = panelHeight
    let count = shownRows(panel)
    guard count > 0 else { return "" }
    let xs = AxisScale(
      covering: [1, Double(count)], isLog: false, pixels: (left, left + panelWidth), tight: true)
    let ys = AxisScale(
      covering: [pow(10, floor), 1], isLog: true, pixels: (top + h, top), tight: true)
    var out = ""
    for tick in ys.ticks() {
      let y = ys.pixel(tick)
      out += "<line class=\"grid\" x1=\"\(c(left))\" x2=\"\(c(left + panelWidth))\""
      out += " y1=\"\(c(y))\" y2=\"\(c(y))\"/>\n"
      out += SVGMarkup.text(ys.label(tick), x: left - 7, y: y + 4, className: "tick", anchor: "end")
    }
    let chosen = chosenSteps(panel)
    for (n, column) in chosen.enumerated() {
      var d = ""
      for (i, value) in panel.logRatios[column].prefix(count).enumerated() where value >= floor {
        d +=
          (d.isEmpty ? "M" : "L") + c(xs.pixel(Double(i + 1))) + " " + c(ys.pixel(pow(10, value)))
      }
      let t = chosen.count > 1 ? Double(n) / Double(chosen.count - 1) : 1
      out += "<path class=\"line\" stroke=\"\(Palette.viridis(t * 0.92))\" d=\"\(d)\"/>\n"
    }
    out +=
      "<path class=\"frame\" d=\"M\(c(left)) \(c(top))V\(c(top + h))H\(c(left + panelWidth))\"/>\n"
    for tick in xs.ticks(target: 5) {
      out += SVGMarkup.text(
        xs.label(tick), x: xs.pixel(tick), y: top + h + 16, className: "tick", anchor: "middle")
    }
    out += SVGMarkup.text(
      "index i", x: left + panelWidth / 2, y: top + h + 34, className: "axis", anchor: "middle")
    out += SVGMarkup.text(
      "σ_i / σ_1", x: left - 50, y: top + h / 2, className: "axis", anchor: "middle",
      extra: " transform=\"rotate(-90 \(c(left - 50)) \(c(top + h / 2)))\"")
    return out
  }

  private func colourBar(id: String) -> String {
    let c = NumberText.coordinate
    let x = width - 70
    let top = header + 26
    let h = 160.0
    var out = "<rect x=\"\(c(x))\" y=\"\(c(top))\" width=\"14\" height=\"\(c(h))\""
    out += " fill=\"url(#\(id)-ramp)\" stroke=\"#9aa0a6\"/>\n"
    let decades = Int(-floor)
    for k in 0...decades {
      let y = top + Double(k) / Double(decades) * h
      out += SVGMarkup.text(k == 0 ? "1" : "1e-\(k)", x: x + 20, y: y + 4, className: "tick")
    }
    out += SVGMarkup.text("σ_i / σ_1", x: x - 4, y: top - 10, className: "axis")
    return out
  }

  private func timeBar(id: String) -> String {
    let x = width - 96
    var y = header + 34
    // Panels of a sweep cover different step ranges: the key is the share of each one's run.
    var out = SVGMarkup.text("training", x: x, y: y - 12, className: "axis")
    for n in 0..<8 {
      let t = Double(n) / 7
      out += "<line x1=\"\(x)\" x2=\"\(x + 20)\" y1=\"\(y)\" y2=\"\(y)\" stroke-width=\"3\""
      out += " stroke=\"\(Palette.viridis(t * 0.92))\"/>\n"
      out += SVGMarkup.text(
        "\(Int((t * 100).rounded()))%", x: x + 26, y: y + 4, className: "legend")
      y += 18
    }
    return out
  }
}
