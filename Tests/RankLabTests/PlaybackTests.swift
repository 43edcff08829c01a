import Foundation
import Testing

@testable import RankLab

/// Recorded final-evaluation episodes re-simulate exactly, and a changed step is caught.
@Suite struct PlaybackTests {
  @Test func recordedEpisodeVerifiesAndTamperingIsLocated() throws {
    let run = try TrainingRunTests.makeRun(try temporaryDirectory())
    try run.run()
    let file = run.directory.url.appendingPathComponent("replays/final-00.rlep")
    var episode = try EpisodeReader.read(from: file)
    #expect(episode.header.environmentID == "gridworld/four-rooms")
    #expect(episode.extras.count == 1 && episode.extras[0].count == episode.stepCount * 4)
    let simulation = try EpisodeSimulation(episode)
    #expect(simulation.divergence == nil)
    guard case .grid(_, _, let positions) = simulation.frames else {
      Issue.record("a gridworld episode should give grid frames")
      return
    }
    #expect(positions.count == episode.stepCount + 1)
    #expect(EpisodeText.frame(episode, simulation, step: episode.stepCount).contains("@"))
    let page = EpisodeHTML.page(episode, simulation, title: "t")
    #expect(page.contains("\"kind\":\"grid\""))
    #expect(page.contains("\"qNames\":[\"up\",\"right\",\"down\",\"left\"]"))
    if let texts = try Self.plotTexts(page) {
      // The reward/Q chart has a legend naming every line and step ticks on its x axis.
      for label in ["reward", "Q(up)", "Q(right)", "Q(down)", "Q(left)", "step", "1"] {
        #expect(texts.contains(label), "missing '\(label)' in \(texts)")
      }
      #expect(texts.filter { Int($0) != nil }.count >= 4)
    }

    let step = episode.stepCount / 2
    episode.rewards[step] += 1
    #expect(try EpisodeSimulation(episode).divergence?.hasPrefix("step \(step): reward") == true)
  }

  /// Runs the player's script under Node with a canvas that records `fillText`, returning the
  /// texts the reward/Q chart drew; nil without Node (the test then checks the data only).
  static func plotTexts(_ page: String) throws -> [String]? {
    let node = ["/usr/bin/node", "/usr/local/bin/node"].first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
    guard let node, let start = page.range(of: "<script>"), let end = page.range(of: "</script>")
    else { return nil }
    let script = String(page[start.upperBound..<end.lowerBound])
    let mock = """
      const texts = [];
      function context(id) {
        return new Proxy({}, { get(target, key) {
          if (key === 'fillText') return (text) => { if (id === 'plot') texts.push(String(text)); };
          if (key === 'measureText') return (text) => ({ width: 7 * String(text).length });
          if (key in target) return target[key];
          return () => {};
        }, set(target, key, value) { target[key] = value; return true; } });
      }
      const elements = {};
      const document = { getElementById(id) {
        return elements[id] ??= { getContext: () => context(id), value: '10', max: 0 };
      } };
      function setInterval() { return 0; }
      function clearInterval() {}

      """
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ranklab-player-\(UUID().uuidString).js")
    try (mock + script + "\nconsole.log(JSON.stringify(texts));\n").write(
      to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: node)
    process.arguments = [file.path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "the player's script failed under Node")
    return try JSONSerialization.jsonObject(with: data) as? [String]
  }
}
