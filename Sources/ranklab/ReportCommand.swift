import ArgumentParser
import Foundation
import RankLab

/// `ranklab report runs/A [runs/B ...]`: one self-contained HTML page for a study.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write one self-contained HTML report (figures, final table, configs) for runs.")

  @Argument(help: "Run, variant or study directories; several are compared on one page.")
  var paths: [String]

  @Option(help: "Band around the mean: std, ci (95% bootstrap) or none.")
  var band: BandKind = .std

  @Option(help: "Output file (default: <path>/report.html for one path, else report.html).")
  var out: String?

  func run() throws {
    let groups = try RunGroup.load(paths: paths)
    let output = out ?? (paths.count == 1 ? paths[0] + "/report.html" : "report.html")
    let url = URL(fileURLWithPath: output)
    let report = StudyReport(
      groups: groups, band: band, outputDirectory: url.deletingLastPathComponent())
    try report.html().write(to: url, atomically: true, encoding: .utf8)
    print(
      "wrote \(output): \(groups.count) configuration(s), \(groups.map(\.runs.count).reduce(0, +)) run(s)"
    )
  }
}
