import Foundation

/// Writes a chart in the format its file name asks for: .svg, .html (interactive) or .png.
public enum PlotOutput {
  /// Writes the chart as the file name says (html, png, else svg); a failure names the path.
  public static func write(_ chart: some SVGChart, to path: String) throws {
    do { try writeFile(chart, to: URL(fileURLWithPath: path)) } catch {
      // Only Foundation's file errors, which name no path, are rewritten.
      let domain = (error as NSError).domain
      guard domain == NSCocoaErrorDomain || domain == NSPOSIXErrorDomain else { throw error }
      throw OutputError.failed(path, error)
    }
  }

  static func writeFile(_ chart: some SVGChart, to url: URL) throws {
    switch url.pathExtension.lowercased() {
    case "html", "htm":
      var page = HTMLPage(title: chart.title)
      page.add(chart, id: "chart0")
      try page.html.write(to: url, atomically: true, encoding: .utf8)
    case "png":
      try PNGConverter.convert(
        svg: chart.svg(id: "chart0"), width: Int(chart.width),
        height: Int(chart.height.rounded(.up)), to: url)
    default:
      try chart.svg(id: "chart0").write(to: url, atomically: true, encoding: .utf8)
    }
  }
}
