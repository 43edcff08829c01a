import ArgumentParser
import Foundation
import RankLab

/// `ranklab metrics runs/... --to csv`: every logged value as one tidy table.
struct MetricsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "metrics",
    abstract: "Export the metrics of runs as one tidy CSV (run, variant, seed, step, key, value).")

  /// Export formats.
  enum Format: String, ExpressibleByArgument, CaseIterable {
    case csv
  }

  @Argument(help: "Run, variant or study directories.")
  var paths: [String]

  @Option(help: "Export format.")
  var to: Format = .csv

  @Option(help: "Output file (default: standard output).")
  var out: String?

  func run() throws {
    let text = MetricsCSV.csv(try RunGroup.load(paths: paths))
    if let out {
      do { try text.write(toFile: out, atomically: true, encoding: .utf8) } catch {
        throw OutputError.failed(out, error)
      }
    } else {
      FileHandle.standardOutput.write(Data(text.utf8))
    }
  }
}
