import ArgumentParser
import Foundation
import RankLab

/// `ranklab bench replay`: replay compression and speed, beside plain zstd and Python's
/// zstandard on the same bytes.
struct BenchReplayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "replay",
    abstract: "Replay buffer size, insert and sample speed, beside plain zstd on the same bytes.",
    discussion: """
      Fills a buffer with random-action transitions of CartPole-v1, a one-hot gridworld \
      (four-rooms, 169 floats) and an image-like gridworld (four-rooms, 676 floats), once per \
      storage variant: `fast` (raw columns; distinct observations stored once where they repeat) \
      and `compact` (every column filtered and zstd-compressed, no deduplication). Batches are \
      sampled uniformly as DQN samples them (observations, next observations, actions, rewards, \
      terminals; no costs or returns). Each case runs \
      in a process of its own so its peak RSS is its own. Plain zstd at the same level (ours, \
      and Python's zstandard from bench/.venv when present: `bash bench/python-venv.sh`) \
      compresses the plain buffer layout of the first --plain-sample transitions, and \
      Stable-Baselines3's ReplayBuffer holding as many transitions is timed sampling the same \
      batch size (the anchor for sampling speed and memory). Build with -c release first.
      """)

  @Option(help: "Transitions per buffer.")
  var transitions = 1_000_000

  @Option(help: "Transitions per sampled batch.")
  var batch = 256

  @Option(help: "zstd level, for the compact codecs and for plain zstd.")
  var level = 3

  @Option(help: "Seconds spent sampling batches per case (at most 20000 batches).")
  var sampleSeconds = 2.0

  @Option(help: "Transitions whose plain bytes are compressed with plain zstd.")
  var plainSample = 20_000

  @Option(
    name: .customLong("case"),
    help: "Only these cases (cartpole, gridworld-onehot, gridworld-image).")
  var cases: [String] = []

  @Option(name: .customLong("variant"), help: "Only these storage variants (fast, compact).")
  var variants: [String] = []

  @Option(
    help: "Python with the zstandard and stable-baselines3 packages ('none' skips the anchors).")
  var python = "bench/.venv/bin/python"

  @Flag(help: "Print one JSON object instead of tables.")
  var json = false

  @Flag(help: .hidden) var inProcess = false
  @Option(help: .hidden) var dump: String? = nil

  func validate() throws {
    guard transitions >= 16, batch >= 1, plainSample >= 0, sampleSeconds > 0 else {
      throw ValidationError("--transitions (≥ 16), --batch, --sample-seconds must be positive")
    }
    let known = ReplayBenchmark.cases.map(\.name)
    for name in cases where !known.contains(name) {
      throw ValidationError(
        "unknown case '\(name)'; expected one of \(known.joined(separator: ", "))")
    }
    for name in variants where !ReplayBenchmark.variants.contains(name) {
      throw ValidationError(
        "unknown variant '\(name)'; expected one of \(ReplayBenchmark.variants.joined(separator: ", "))"
      )
    }
  }

  func run() throws {
    let selectedCases = ReplayBenchmark.cases.filter { cases.isEmpty || cases.contains($0.name) }
    let selectedVariants = ReplayBenchmark.variants.filter {
      variants.isEmpty || variants.contains($0)
    }
    if inProcess {
      // Child mode: one case and variant, measured here, printed as JSON.
      guard let benchCase = selectedCases.first, let variant = selectedVariants.first else {
        return
      }
      let result = try ReplayBenchmark.measure(
        benchCase, variant: variant, transitions: transitions, batchSize: batch, level: level,
        sampleSeconds: sampleSeconds, plainSample: dump == nil ? 0 : plainSample,
        dump: dump.map { URL(fileURLWithPath: $0) })
      print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
      return
    }
    var results: [ReplayBenchmark.Result] = []
    var anchors: [String: PythonAnchor] = [:]
    var sb3: [String: SB3ReplayAnchor] = [:]
    let hasPython = python != "none" && FileManager.default.isExecutableFile(atPath: python)
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ranklab-bench-replay-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    for benchCase in selectedCases {
      for (k, variant) in selectedVariants.enumerated() {
        if !json {
          FileHandle.standardError.write(Data("measuring \(benchCase.name) \(variant)...\n".utf8))
        }
        // The first variant of a case also measures plain zstd and dumps the plain bytes.
        let dumpFile = k == 0 ? scratch.appendingPathComponent("\(benchCase.name).raw") : nil
        var arguments = [
          "bench", "replay", "--in-process", "--case", benchCase.name, "--variant", variant,
          "--transitions", "\(transitions)", "--batch", "\(batch)", "--level", "\(level)",
          "--sample-seconds", "\(sampleSeconds)", "--plain-sample", "\(plainSample)",
        ]
        if let dumpFile { arguments += ["--dump", dumpFile.path] }
        let output = try runChild(arguments)
        let result = try JSONDecoder().decode(ReplayBenchmark.Result.self, from: Data(output.utf8))
        results.append(result)
        if let dumpFile, let plain = result.plainZstd, hasPython {
          let chunkBytes = plain.rawBytes / max(plain.transitions, 1) * plain.chunkTransitions
          anchors[benchCase.name] = try runPython(
            PythonAnchor.self, "bench/zstd_anchor.py",
            [dumpFile.path, "--chunk-bytes", "\(chunkBytes)", "--level", "\(level)"])
        }
      }
      if hasPython, let measured = results.last {
        if !json {
          FileHandle.standardError.write(Data("measuring \(benchCase.name) sb3...\n".utf8))
        }
        sb3[benchCase.name] = try runPython(
          SB3ReplayAnchor.self, "bench/sb3_replay_anchor.py",
          [
            "--observation-floats", "\(measured.observationFloats)", "--transitions",
            "\(transitions)", "--batch", "\(batch)", "--seconds", "\(sampleSeconds)",
          ])
      }
    }
    if json {
      let report = Report(
        level: level, results: results, pythonZstandard: anchors, sb3ReplayBuffer: sb3)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else {
      printTables(results, anchors: anchors, sb3: sb3)
    }
  }

  struct PythonAnchor: Codable {
    var zstandardVersion: String
    var rawBytes: Int
    var compressedBytes: Int
    var compressMBPerSecond: Double
    var decompressMBPerSecond: Double
    var ratio: Double { Double(rawBytes) / Double(max(compressedBytes, 1)) }

    enum CodingKeys: String, CodingKey {
      case zstandardVersion = "zstandard_version"
      case rawBytes = "raw_bytes"
      case compressedBytes = "compressed_bytes"
      case compressMBPerSecond = "compress_mb_s"
      case decompressMBPerSecond = "decompress_mb_s"
    }
  }

  /// Stable-Baselines3's ReplayBuffer holding as many transitions, sampling the same batches.
  struct SB3ReplayAnchor: Codable {
    var sampleMicroseconds: Double
    var storedMB: Double
    var peakRSSMiB: Double
    var version: String

    enum CodingKeys: String, CodingKey {
      case sampleMicroseconds = "sample_us"
      case storedMB = "stored_mb"
      case peakRSSMiB = "peak_rss_mib"
      case version = "sb3_version"
    }
  }

  struct Report: Encodable {
    var level: Int
    var results: [ReplayBenchmark.Result]
    var pythonZstandard: [String: PythonAnchor]
    var sb3ReplayBuffer: [String: SB3ReplayAnchor]
  }

  private func runChild(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw ValidationError("the measuring process (\(arguments.joined(separator: " "))) failed")
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// Runs a Python anchor script (from the repository root) and decodes its JSON line.
  private func runPython<T: Decodable>(_ type: T.Type, _ script: String, _ arguments: [String])
    throws -> T
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw ValidationError("\(python) \(script) failed (run from the repository root)")
    }
    return try JSONDecoder().decode(T.self, from: data)
  }

  private func printTables(
    _ results: [ReplayBenchmark.Result], anchors: [String: PythonAnchor],
    sb3: [String: SB3ReplayAnchor]
  ) {
    func pad(_ text: String, _ width: Int) -> String {
      text.padding(toLength: width, withPad: " ", startingAt: 0)
    }
    print(
      pad("case", 18) + pad("variant", 9)
        + "transitions  stored MB   plain MB   ratio   insert M/s  sample \(batch) us  peak RSS MiB"
    )
    for r in results {
      print(
        pad(r.name, 18) + pad(r.variant, 9)
          + String(
            format: "%11d %10.1f %10.1f %7.1f× %11.2f %15.1f %13.0f", r.transitions,
            Double(r.bytes) / 1e6, Double(r.rawBytes) / 1e6, r.compressionRatio,
            r.insertPerSecond / 1e6, r.sampleMicroseconds, r.peakRSSMiB))
    }
    print("")
    print(
      "Plain zstd (level \(level), no filters) on the plain layout of the first transitions, chunk by chunk:"
    )
    print(
      pad("case", 18)
        + "transitions   plain MB   ranklab: ratio  comp MB/s  dec MB/s   python zstandard: ratio  comp MB/s  dec MB/s"
    )
    for r in results {
      guard let plain = r.plainZstd else { continue }
      var line =
        pad(r.name, 18)
        + String(
          format: "%11d %10.1f %16.1f× %10.0f %9.0f", plain.transitions,
          Double(plain.rawBytes) / 1e6, plain.ratio, plain.compressMBPerSecond,
          plain.decompressMBPerSecond)
      if let anchor = anchors[r.name] {
        line += String(
          format: "   %22.1f× %10.0f %9.0f", anchor.ratio, anchor.compressMBPerSecond,
          anchor.decompressMBPerSecond)
        if anchor.rawBytes != plain.rawBytes { line += "  (different bytes!)" }
      } else {
        line += "   (no Python anchor: bash bench/python-venv.sh)"
      }
      print(line)
    }
    guard !sb3.isEmpty else { return }
    print("")
    print(
      "Stable-Baselines3's ReplayBuffer with as many transitions (numpy arrays, next observations stored apart):"
    )
    print(
      pad("case", 18) + pad("variant", 9)
        + "SB3 MB  SB3 RSS MiB  SB3 sample us   ranklab: × less memory  × faster sampling")
    for r in results {
      guard let anchor = sb3[r.name] else { continue }
      print(
        pad(r.name, 18) + pad(r.variant, 9)
          + String(
            // Memory: SB3's arrays against everything the buffer holds (spare capacity, cache
            // and indexes included); SB3's RSS includes torch itself.
            format: "%6.0f %12.0f %14.1f %24.1f× %17.3g×", anchor.storedMB, anchor.peakRSSMiB,
            anchor.sampleMicroseconds, anchor.storedMB * 1e6 / Double(r.memoryBytes),
            anchor.sampleMicroseconds / r.sampleMicroseconds))
    }
  }
}
