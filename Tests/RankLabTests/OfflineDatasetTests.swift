import Foundation
import Testing

@testable import RankLab

@Suite struct OfflineDatasetTests {
  @Test func savedDatasetLoadsBitForBitWithItsDescription() throws {
    var config = ExperimentConfig()
    config.env.id = "gridworld/lava"
    config.offline.datasetSteps = 3000
    let (replay, info) = try OfflineDataset.collect(config: config, seed: 4)
    let url = try temporaryDirectory().appendingPathComponent("d.rlck")
    try OfflineDataset.save(replay, info: info, to: url)
    let (loaded, loadedInfo) = try OfflineDataset.load(from: url)
    #expect(loadedInfo == info)
    #expect(loaded.count == 3000 && info.transitions == 3000)
    #expect(ReplayBufferTests.snapshot(loaded) == ReplayBufferTests.snapshot(replay))
    // A gridworld's dataset stores each distinct observation once.
    #expect(loaded.deduplicatesObservations && loaded.usage.compressionRatio > 10)
    let stats = loaded.statistics()
    // Random walks on the lava map fall in often: every lava step costs 1 and terminates.
    #expect(stats.totalCost > 0 && stats.terminations >= Int(stats.totalCost))
    #expect(stats.episodes >= stats.terminations)
    // The same config and seed collect the same data.
    let (again, _) = try OfflineDataset.collect(config: config, seed: 4)
    #expect(ReplayBufferTests.snapshot(again) == ReplayBufferTests.snapshot(replay))
  }
}
