import Foundation
import Testing

@testable import RankLab

@Suite struct CheckpointArchiveTests {
  /// A write that fails (here: the target is a directory, so the rename fails) names the path
  /// and leaves no temporary file behind.
  @Test func failedAtomicWriteNamesThePathAndLeavesNoTemporaryFile() throws {
    let root = try temporaryDirectory()
    let target = root.appendingPathComponent("step-000000001.rlck")
    try FileManager.default.createDirectory(
      at: target.appendingPathComponent("inside"), withIntermediateDirectories: true)
    var caught: OutputError?
    do { try AtomicFile.write([1, 2, 3], to: target) } catch let error as OutputError {
      caught = error
    }
    let message = try #require(caught).description
    #expect(message.contains(target.path), "\(message)")
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: root.path) == [target.lastPathComponent])
  }

  /// Foundation's disk-full error becomes the path and the POSIX reason.
  @Test func foundationFileErrorsBecomeThePathAndAReason() {
    let full = NSError(domain: NSCocoaErrorDomain, code: NSFileWriteOutOfSpaceError)
    #expect(
      OutputError.failed("/runs/x/metrics.jsonl", full).description.hasPrefix(
        "cannot write /runs/x/metrics.jsonl: No space left on device"))
  }

  @Test func nonFiniteParametersAreFoundByName() {
    var archive = CheckpointArchive()
    archive.put("agent/online", array: [Float](repeating: 1, count: 5))
    archive.put("replay/observations", array: [Float.nan])
    archive.put("agent/counts", array: [UInt32.max])  // not floats: never read as such
    #expect(archive.firstNonFiniteSection(excluding: ["replay/"]) == nil)
    archive.put("agent/target", array: [1, 2, Float.infinity])
    #expect(archive.firstNonFiniteSection(excluding: ["replay/"]) == "agent/target")
  }

  @Test func nonFiniteNumbersInJSONSectionsRoundTrip() throws {
    // A diverged learner's running loss sums are saved like any other.
    var archive = CheckpointArchive()
    try archive.put("sums", json: [Double.nan, .infinity, -.infinity, 2.5])
    let back = try archive.json("sums", as: [Double].self)
    #expect(back[0].isNaN && back[1] == .infinity && back[2] == -.infinity && back[3] == 2.5)
  }
}
