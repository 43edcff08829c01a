/// A chart that draws itself as SVG and can hand a page the data its hover script reads.
public protocol SVGChart {
  var title: String { get }
  var width: Double { get }
  var height: Double { get }
  func svg(id: String) -> String
  /// JSON for the page's hover script; `{}` when the chart has no hover read-out.
  func hoverJSON() -> String
}

extension LineChart: SVGChart {}
