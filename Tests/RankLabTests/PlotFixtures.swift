import Environments
import Foundation

@testable import RankLab

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Writes synthetic run directories in the fixed run-directory format, shaped like the
/// under-parameterization study: srank falls faster for larger K, Monte-Carlo and the penalty
/// hold it up. Values are drawn from a seeded PCG64 so every test sees the same files.
enum PlotFixtures {
  static func directory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ranklab-plot-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Writes `run.json`, `config.yaml`, `metrics.jsonl` and `spectra.jsonl` for one seed.
  static func writeRun(
    at url: URL, name: String, variant: String?, seed: Int, steps: Int = 5000,
    every: Int = 500, decay: Double = 1, status: String = "finished", width: Int = 16
  ) throws {
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    let info = RunIdentity(
      name: name, variant: variant, seed: seed, env: "gridworld/fu", algorithm: "fqi",
      status: status, steps: steps)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try encoder.encode(info).write(to: url.appendingPathComponent("run.json"))
    try "name: \(name)\nseed: \(seed)\nagent:\n  algorithm: fqi\n".write(
      to: url.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
    let stream = name.utf8.reduce(UInt32(0)) { $0 &* 31 &+ UInt32($1) }
    var generator = PCG64(seed: UInt64(seed + 1), stream: [stream])
    var metrics = ""
    var spectra = ""
    for step in stride(from: every, through: steps, by: every) {
      let t = Double(step) / Double(steps)
      let srank = Double(width) * (1 - 0.6 * decay * t) + generator.nextGaussian() * 0.5
      var record = MetricsRecord(
        step: step,
        values: [
          ("train/loss", 0.5 * exp(-2 * t) + 0.01 * generator.nextDouble()),
          ("rank/srank", srank.rounded()),
          ("rank/entropy_rank", srank * 0.6),
          ("replay/compression_ratio", 3 + 0.1 * generator.nextDouble()),
        ])
      if step % (2 * every) == 0 {
        record.values.append(("eval/return_mean", 40 * t + generator.nextGaussian()))
      }
      metrics += record.jsonLine + "\n"
      let sigma = (0..<width).map { i in 100 * exp(-Double(i) * (0.2 + 1.5 * decay * t)) }
      spectra +=
        "{\"step\":\(step),\"singular_values\":[\(sigma.map { "\($0)" }.joined(separator: ","))]}\n"
    }
    try metrics.write(
      to: url.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
    try spectra.write(
      to: url.appendingPathComponent("spectra.jsonl"), atomically: true, encoding: .utf8)
  }

  /// runs/fqi-gradsteps/K=<k>/<seed> for K in `ks`, plus runs/mc-gridworld/<seed>.
  static func writeStudy(at root: URL, ks: [Int] = [4, 16, 64], seeds: Int = 3) throws {
    for k in ks {
      for seed in 0..<seeds {
        try writeRun(
          at: root.appendingPathComponent("fqi-gradsteps/K=\(k)/\(seed)"), name: "fqi-gradsteps",
          variant: "K=\(k)", seed: seed, decay: log2(Double(k)) / 6)
      }
    }
    for seed in 0..<seeds {
      try writeRun(
        at: root.appendingPathComponent("mc-gridworld/\(seed)"), name: "mc-gridworld",
        variant: nil, seed: seed, decay: 0.05)
    }
  }

  static func write(_ text: String, to url: URL) throws {
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
  }

  /// Counts elements by name and `class` attribute, and fails on malformed XML.
  final class SVGCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var parseError: Error?

    static func parse(_ text: String) -> SVGCounter {
      let counter = SVGCounter()
      let parser = XMLParser(data: Data(text.utf8))
      parser.delegate = counter
      if !parser.parse() { counter.parseError = parser.parserError ?? PlotError.pathMissing("?") }
      return counter
    }

    func parser(
      _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
      qualifiedName: String?, attributes: [String: String] = [:]
    ) {
      counts[name, default: 0] += 1
      if let kind = attributes["class"] { counts["\(name).\(kind)", default: 0] += 1 }
    }
  }
}
