import Environments
import Foundation
import Testing

@testable import RankLab

/// The python3 on PATH, if it has numpy (resolved to its real executable): the npz test runs
/// only then.
private let numpyPython: String? = {
  let process = Process()
  let pipe = Pipe()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", "-c", "import sys, numpy; print(sys.executable)"]
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  guard (try? process.run()) != nil else { return nil }
  let output = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else { return nil }
  let path = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  return path.isEmpty ? nil : path
}()

@Suite struct EpisodeExportTests {
  @Test func zipCRCIsTheIEEEPolynomial() {
    #expect(Array("123456789".utf8).withUnsafeBytes { ZipCRC32.checksum($0) } == 0xCBF4_3926)
  }

  @Test func npyHeadersAlignDataTo64Bytes() {
    for shape in [[], [7], [31, 10], [1, 2, 3]] {
      let header = NumPyArchive.npyHeader(descr: "<f4", shape: shape)
      #expect(header.count % 64 == 0)
      #expect(header.last == 0x0A)
      #expect(Array(header.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
    }
    let text = String(
      decoding: NumPyArchive.npyHeader(descr: "<i4", shape: [7]).dropFirst(10), as: UTF8.self)
    #expect(text.hasPrefix("{'descr': '<i4', 'fortran_order': False, 'shape': (7,), }"))
  }

  @Test func csvHasOneRowPerStepWithRoundTrippingValues() throws {
    let episode = sampleEpisode(steps: 12, frameLength: 4)
    let lines = episode.csv().split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 12 + 2)  // header, 12 rows, final empty piece
    let names = lines[0].split(separator: ",").map(String.init)
    #expect(names.count == 1 + 10 + 1 + 4 + 10 + 5 + 3)
    let row = lines[4].split(separator: ",").map(String.init)  // step 3
    #expect(row.count == names.count)
    let column = { (name: String) in try #require(names.firstIndex(of: name)) }
    #expect(Double(row[try column("reward")]) == episode.rewards[3])
    #expect(Float(row[try column("obs_2")]) == episode.observation(3)[3 * 10 + 2])
    #expect(Float(row[try column("next_obs_2")]) == episode.observation(4)[4 * 10 + 2])
    #expect(Float(row[try column("q_values_4")]) == episode.extra("q_values", at: 3)?.last)
    #expect(lines[12].split(separator: ",")[try column("truncated")] == "1")
    #expect(lines[2].contains(",nan,"))  // step 1's reward is NaN, written as such
    // Every field parses as a number (signalling and payload NaNs included).
    for line in lines.dropFirst().dropLast() {
      #expect(line.split(separator: ",").allSatisfy { Double($0) != nil })
    }
  }

  @Test func jsonLinesAreValidJSONWithNullForNonFinite() throws {
    let episode = sampleEpisode(steps: 5, frameLength: 4, continuous: true)
    let lines = episode.jsonLines().split(separator: "\n")
    #expect(lines.count == 5)
    for (t, line) in lines.enumerated() {
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      #expect(object["step"] as? Int == t)
      #expect((object["action"] as? [Double])?.count == 2)
      #expect((object["latent"] as? [Double])?.count == 3)
      #expect(object["end"] as? String == (t == 4 ? "truncated" : "none"))
    }
    let step1 = try #require(
      try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
    #expect(step1["reward"] is NSNull)
  }

  @Test(
    .enabled(if: numpyPython != nil, "python3 with numpy is not installed; npz check skipped"))
  func npzLoadsInNumPyWithTheSameBits() throws {
    let python = try #require(numpyPython)
    let dir = try temporaryDirectory()
    for continuous in [false, true] {
      let episode = sampleEpisode(steps: 17, frameLength: 8, continuous: continuous)
      let url = dir.appendingPathComponent("x\(continuous).npz")
      try episode.export(to: url)
      let script = """
        import json, sys, numpy
        d = numpy.load(sys.argv[1])
        out = {k: 'x'.join(map(str, d[k].shape)) + ' ' + d[k].dtype.str for k in d.files}
        out['obs_bits'] = int(d['observations'].view(numpy.uint32).astype(numpy.uint64).sum())
        out['reward_bits'] = int(d['rewards'].view(numpy.uint64).sum(dtype=numpy.uint64))
        out['env'] = json.loads(d['header'].item())['env_id']
        print(json.dumps(out, sort_keys=True))
        """
      let process = Process()
      let pipe = Pipe()
      process.executableURL = URL(fileURLWithPath: python)
      process.arguments = ["-c", script, url.path]
      process.standardOutput = pipe
      try process.run()
      let output = pipe.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      #expect(process.terminationStatus == 0)
      let result = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
      #expect(result["observations"] as? String == "18x10 <f4")
      #expect(result["actions"] as? String == (continuous ? "17x2 <f4" : "17 <i4"))
      #expect(result["rewards"] as? String == "17 <f8")
      #expect(result["costs"] as? String == "17 <f8")
      #expect(result["ends"] as? String == "17 |u1")
      #expect(result["q_values"] as? String == "17x5 <f4")
      #expect(result["latent"] as? String == "17x3 <f4")
      let obsBits = episode.observations.reduce(UInt64(0)) { $0 + UInt64($1.bitPattern) }
      let rewardBits = episode.rewards.reduce(UInt64(0)) { $0 &+ $1.bitPattern }
      #expect((result["obs_bits"] as? NSNumber)?.uint64Value == obsBits)
      #expect((result["reward_bits"] as? NSNumber)?.uint64Value == rewardBits)
      #expect(result["env"] as? String == episode.header.environmentID)
    }
  }

  @Test func unknownExportExtensionsAreRefused() throws {
    let url = try temporaryDirectory().appendingPathComponent("x.parquet")
    let error = try #require(throws: EpisodeFileError.self) {
      try sampleEpisode(steps: 2, frameLength: 4).export(to: url)
    }
    #expect(error.description.contains(".csv, .jsonl, .npz"))
  }
}
