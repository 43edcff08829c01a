import Environments
import Foundation
import Testing

@testable import RankLab

/// The probe measures distinct states: duplicates would cap the rank and weight the spectrum
/// by visit counts.
@Suite struct RankProbeTests {
  @Test func probeFromReplayKeepsEachObservationOnce() {
    let replay = ReplayBuffer(
      capacity: 200, observationCount: 2, actionSpace: .discrete(2), returnDiscount: 0.9)
    // 200 transitions over 7 distinct observations.
    for t in 0..<200 {
      let o: [Float] = [Float(t % 7), 1]
      o.withUnsafeBufferPointer { ob in
        replay.add(
          observation: ob, action: .discrete(0), reward: 0, cost: 0, end: .none,
          nextObservation: ob)
      }
    }
    var config = RankConfig()
    config.probeSize = 64
    var probe = RankProbe(config: config)
    var rng = PCG64(seed: 1)
    probe.drawIfNeeded(from: replay, rng: &rng)
    #expect(probe.count == 7)
    let rows = (0..<7).map { Array(probe.observations[($0 * 2)..<($0 * 2 + 2)]) }
    #expect(Set(rows.map { $0[0] }) == Set((0..<7).map(Float.init)))
  }

  @Test func tabularEnvironmentIsProbedOnEveryReachableState() {
    let env = Gridworld(map: GridMap.fu(size: 16, seed: 0), observation: .rowColOnehot)
    var probe = RankProbe(config: RankConfig())
    probe.useStates(of: env)
    let reachable = env.map.reachable(blocked: false)
    #expect(probe.count == reachable.count)
    // Every row is a distinct row/column one-hot.
    let rows = (0..<probe.count).map { Array(probe.observations[($0 * 32)..<($0 * 32 + 32)]) }
    #expect(Set(rows).count == probe.count)
  }
}
