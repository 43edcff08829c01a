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
    #expect(EpisodeHTML.page(episode, simulation, title: "t").contains("\"kind\":\"grid\""))

    let step = episode.stepCount / 2
    episode.rewards[step] += 1
    #expect(try EpisodeSimulation(episode).divergence?.hasPrefix("step \(step): reward") == true)
  }
}
