import Testing

@testable import Environments

@Suite struct VectorEnvironmentTests {
  @Test func copiesMatchIndependentEnvironmentsAndAutoreset() {
    var vector = VectorEnvironment(CartPole(), count: 3)
    vector.reset(seed: 10)
    var singles = (0..<3).map { _ in CartPole() }
    var observations = (0..<3).map { singles[$0].reset(seed: 10 + UInt64($0)) }
    #expect(vector.observations == observations.flatMap { $0 })
    var ended = 0
    for t in 0..<300 {
      let actions = (0..<3).map { Action.discrete(($0 + t) % 2) }
      vector.step(actions)
      for i in 0..<3 {
        var (obs, step) = singles[i].step(actions[i])
        if step.end.isEnd {
          ended += 1
          #expect(Array(vector.finalObservations[i * 4..<(i + 1) * 4]) == obs)
          obs = singles[i].reset(seed: nil)
        }
        observations[i] = obs
        #expect(vector.steps[i] == step)
      }
      #expect(vector.observations == observations.flatMap { $0 })
    }
    #expect(ended > 3)
  }
}
