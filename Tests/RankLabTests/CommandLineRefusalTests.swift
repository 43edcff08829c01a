import Foundation
import Testing

/// Bad input on the command line gets a one-line error and writes nothing.
@Suite struct CommandLineRefusalTests {
  /// SweepTests' small gridworld config without its sweep, written to `root/tiny.yaml`.
  static func tinyConfig(_ root: URL, steps: Int = 1000) throws -> URL {
    let file = root.appendingPathComponent("tiny.yaml")
    try SweepTests.config.prefix(upTo: SweepTests.config.range(of: "sweep:")!.lowerBound)
      .replacingOccurrences(of: "steps: 1000", with: "steps: \(steps)")
      .write(to: file, atomically: true, encoding: .utf8)
    return file
  }

  /// A config with only a name would run the default CartPole DQN experiment.
  @Test func aConfigWithoutAnAgentIsRefused() throws {
    let root = try temporaryDirectory()
    let file = root.appendingPathComponent("named.yaml")
    try "name: x\n".write(to: file, atomically: true, encoding: .utf8)
    let out = root.appendingPathComponent("out").path
    let result = try SweepTests.ranklab(["run", file.path, "--out", out])
    #expect(result.status != 0)
    #expect(result.output.contains("named.yaml: no `agent` section"), "\(result.output)")
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  /// `--set name=` is null, which a name cannot be (it used to run under the name "null").
  @Test func anEmptyNameIsRefused() throws {
    let root = try temporaryDirectory()
    let file = try Self.tinyConfig(root)
    let out = root.appendingPathComponent("out").path
    let result = try SweepTests.ranklab(["run", file.path, "--out", out, "--set", "name="])
    #expect(result.status != 0)
    #expect(result.output.contains("'name' must be a string, got null"), "\(result.output)")
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  /// A plot whose output path runs through a file names that path and the reason.
  @Test func anUnwritablePlotPathIsNamed() throws {
    let root = try temporaryDirectory()
    let blocker = root.appendingPathComponent("afile")
    try "x".write(to: blocker, atomically: true, encoding: .utf8)
    let file = try Self.tinyConfig(root, steps: 300)
    let runs = root.appendingPathComponent("runs").path
    #expect(
      try SweepTests.ranklab(["run", file.path, "--out", runs, "--seeds", "0", "--quiet"]).status
        == 0)
    let target = blocker.appendingPathComponent("p.svg").path
    let result = try SweepTests.ranklab(["plot", runs, "--metric", "train/loss", "--out", target])
    #expect(result.status != 0)
    #expect(result.output.contains("cannot write \(target)"), "\(result.output)")
    #expect(
      result.output.contains("\(blocker.path) is a file, not a directory"), "\(result.output)")
  }
}
