import Foundation

/// Errors from reading run directories and drawing them; each message says what to do next.
public enum PlotError: Error, CustomStringConvertible, Equatable {
  case noRuns(path: String)
  case pathMissing(String)
  case malformedLine(file: String, line: Int, reason: String)
  case unknownMetric(String, available: [String])
  case noSpectra(path: String)
  case noConverter(tried: [String])
  case converterFailed(String)
  /// Input that holds nothing this plot can draw; the message names the file and why.
  case unusable(String)
  /// `--by` names a sweep axis that no run's variant has.
  case unknownAxis(String, known: [String])

  public var description: String {
    switch self {
    case .noRuns(let path):
      return "no metrics.jsonl found under \(path): give a run directory (runs/<name>/<seed>), "
        + "a sweep variant or a study directory"
    case .pathMissing(let path):
      return "\(path): no such file or directory"
    case .malformedLine(let file, let line, let reason):
      return "\(file):\(line): malformed metrics line (\(reason)); only a partially written "
        + "last line is skipped"
    case .unknownMetric(let name, let available):
      return "unknown metric '\(name)'; available: \(available.joined(separator: ", "))"
    case .noSpectra(let path):
      return "no spectra.jsonl found under \(path): the run logged no singular values"
    case .noConverter(let tried):
      return "cannot write PNG: none of \(tried.joined(separator: ", ")) produced a valid PNG. "
        + "Install one (apt-get install librsvg2-bin), or write .svg or .html instead"
    case .converterFailed(let message):
      return "PNG conversion failed: \(message)"
    case .unusable(let message):
      return message
    case .unknownAxis(let axis, let known):
      return "--by \(axis): no run here has a sweep axis '\(axis)'; "
        + (known.isEmpty
          ? "these runs are not a sweep's variants" : "axes here: \(known.joined(separator: ", "))")
    }
  }
}
