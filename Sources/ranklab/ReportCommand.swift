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

  @Option(
    help:
      "Output file (default: report.html beside the inputs: in the one path, or the directory holding them all)."
  )
  var out: String?

  @Option(help: "A sentence shown under the title (e.g. that the runs are a reduced study).")
  var note: String?

  @OptionGroup var grouping: RunGroupOptions

  func run() throws {
    let groups = try RunGroup.load(paths: paths, pool: grouping.axes, by: grouping.by)
    let output = out ?? RunGroupOptions.besideInputs(paths, file: "report.html")
    let url = URL(fileURLWithPath: output)
    var report = StudyReport(
      groups: groups, band: band, outputDirectory: url.deletingLastPathComponent())
    report.note = note
    // Replays outside the report's directory are copied beside it, so its links work wherever
    // the directory goes (a clone of docs/ has no runs/).
    let fm = FileManager.default
    let html = try report.html()
    do {
      for copy in report.replayCopies where copy.from != copy.to {
        try fm.createDirectory(
          at: copy.to.deletingLastPathComponent(), withIntermediateDirectories: true)
        if fm.fileExists(atPath: copy.to.path) { try fm.removeItem(at: copy.to) }
        try fm.copyItem(at: copy.from, to: copy.to)
      }
      try html.write(to: url, atomically: true, encoding: .utf8)
    } catch { throw OutputError.failed(output, error) }
    print(
      "wrote \(output): \(groups.count) configuration(s), \(groups.map(\.runs.count).reduce(0, +)) run(s)"
    )
  }
}
