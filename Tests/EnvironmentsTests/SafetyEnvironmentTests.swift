import Foundation
import Testing

@testable import Environments

/// The failure signals: point-nav's dynamics, seeded layout and crashes; the unsafe regions a
/// config declares on CartPole and Pendulum (cost only: reward and termination unchanged); which
/// environments have a failure signal; and the one-line errors for a misplaced `env.safety`.
@Suite struct SafetyEnvironmentTests {
  static func pointNav(_ options: EnvironmentOptions = .init()) throws -> PointNavigation {
    try #require(
      try EnvironmentCatalog.make(id: "point-nav/hazards", options: options) as? PointNavigation)
  }

  @Test func pointMassFollowsItsDampedDynamics() throws {
    var env = try Self.pointNav()
    _ = env.reset(seed: 3)
    let (x0, y0) = (env.x, env.y)
    #expect(abs(x0 + 0.8) <= 0.05 && abs(y0) <= 0.05)
    // v ← 0.75 v + 2 · 0.1 · a; p ← p + 0.1 v; the action is clipped to [−1, 1].
    let first = env.step(.continuous([0.5, -3]))
    #expect(abs(env.vx - 0.1) < 1e-12 && abs(env.vy + 0.2) < 1e-12)
    #expect(abs(env.x - (x0 + 0.01)) < 1e-12 && abs(env.y - (y0 - 0.02)) < 1e-12)
    #expect(first.observation[0] == Float(env.x) && first.observation[3] == Float(env.vy))
    _ = env.step(.continuous([0.5, -3]))
    #expect(abs(env.vx - (0.75 * 0.1 + 0.1)) < 1e-12)
    // Progress pays 10 × the distance gained; nothing else happened, so no cost.
    var probe = env
    let before = hypot(probe.x - 0.8, probe.y)
    let step = probe.step(.continuous([1, 0])).step
    let after = hypot(probe.x - 0.8, probe.y)
    #expect(abs(step.reward - 10 * (before - after)) < 1e-9 && step.cost == 0)
  }

  @Test func wallsStopTheMass() throws {
    var env = try Self.pointNav()
    _ = env.reset(seed: 0)
    for _ in 0..<40 { _ = env.step(.continuous([-1, 0])) }
    #expect(env.x == -1 && env.vx == 0)
  }

  @Test func layoutIsSeededAndBlocksTheStraightRoute() throws {
    let a = try Self.pointNav(.init(mapSeed: 5))
    let b = try Self.pointNav(.init(mapSeed: 5))
    let c = try Self.pointNav(.init(mapSeed: 6))
    #expect(a.hazardCentres == b.hazardCentres && a.hazardCentres != c.hazardCentres)
    #expect(a.hazardCount == 3 && a.observationSpace.flatCount == 10)
    let four = try Self.pointNav(.init(params: ["hazards": 4, "hazard_radius": 0.2]))
    #expect(four.hazardCount == 4 && four.hazardRadius == 0.2)
    // Full thrust toward the goal crashes into a hazard: cost 1, the episode ends, and the
    // reward is the progress alone.
    for seed in [UInt64(0), 1, 2] {
      var env = try Self.pointNav(.init(mapSeed: seed))
      _ = env.reset(seed: 0)
      var crashed = false
      for _ in 0..<100 {
        let step = env.step(.continuous([1, 0])).step
        if step.end.isEnd {
          crashed = step.cost == 1 && step.end == .terminated && env.insideHazard(env.x, env.y)
          break
        }
        #expect(step.cost == 0)
      }
      #expect(crashed, "map_seed \(seed): the straight route should cross a hazard")
    }
  }

  @Test func sameSeedSameTrajectory() throws {
    func run() throws -> [Float] {
      var env = try Self.pointNav(.init(mapSeed: 2))
      var trace = env.reset(seed: 11)
      var rng = PCG64(seed: 4)
      for _ in 0..<30 {
        let (obs, step) = env.step(env.actionSpace.randomAction(&rng))
        trace += obs + [Float(step.reward), Float(step.cost)]
        if step.end.isEnd { trace += env.reset(seed: nil) }
      }
      return trace
    }
    #expect(try run() == run())
  }

  @Test func badPointNavParametersAreOneLineErrors() {
    #expect(throws: EnvironmentError.self) {
      try EnvironmentCatalog.make(id: "point-nav/hazards", options: .init(params: ["hazards": 2.5]))
    }
    #expect(throws: EnvironmentError.self) {
      try EnvironmentCatalog.make(id: "point-nav/hazards", options: .init(params: ["damping": 1]))
    }
  }

  @Test func cartPoleUnsafeRegionCostsWithoutChangingTheTask() throws {
    var plain = try EnvironmentCatalog.make(id: "CartPole-v1")
    var safe = try EnvironmentCatalog.make(
      id: "CartPole-v1", options: .init(safety: SafetyRegion(xLimit: 0.05)))
    #expect(!plain.hasFailureSignal && safe.hasFailureSignal)
    _ = plain.reset(seed: 0)
    _ = safe.reset(seed: 0)
    var costs = 0.0
    for _ in 0..<60 {
      let (o1, s1) = plain.step(.discrete(1))
      let (o2, s2) = safe.step(.discrete(1))
      #expect(o1 == o2 && s1.reward == s2.reward && s1.end == s2.end && s1.cost == 0)
      #expect(s2.cost == (abs(Double(o2[0])) > 0.05 ? 1 : 0))
      costs += s2.cost
      if s1.end.isEnd { break }
    }
    #expect(costs > 0)
  }

  @Test func pendulumAngleBandCosts() throws {
    var env = try #require(
      try EnvironmentCatalog.make(
        id: "Pendulum-v1", options: .init(safety: SafetyRegion(angleLow: 0.5, angleHigh: 1.5)))
        as? Pendulum)
    #expect(env.hasFailureSignal)
    _ = env.reset(seed: 0)
    env.physicalState = [1.0, 0]
    let inside = env.step(.continuous([0])).step
    env.physicalState = [-1.0, 0]
    let outside = env.step(.continuous([0])).step
    env.physicalState = [1.0 + 2 * Double.pi, 0]  // the same angle, normalised
    let wrapped = env.step(.continuous([0])).step
    #expect(inside.cost == 1 && outside.cost == 0 && wrapped.cost == 1)
    #expect(inside.end == .none)
  }

  @Test func failureSignalsAndMisplacedRegions() throws {
    #expect(try EnvironmentCatalog.make(id: "gridworld/lava").hasFailureSignal)
    #expect(try !EnvironmentCatalog.make(id: "gridworld/four-rooms").hasFailureSignal)
    #expect(try EnvironmentCatalog.make(id: "point-nav/hazards").hasFailureSignal)
    #expect(try !EnvironmentCatalog.make(id: "Pendulum-v1").hasFailureSignal)
    #expect(throws: EnvironmentError.self) {
      try EnvironmentCatalog.make(
        id: "MountainCar-v0", options: .init(safety: SafetyRegion(xLimit: 1)))
    }
    #expect(throws: EnvironmentError.self) {
      try EnvironmentCatalog.make(
        id: "CartPole-v1", options: .init(safety: SafetyRegion(angleLow: 0, angleHigh: 1)))
    }
    #expect(SafetyRegion(xLimit: -1).problems().map(\.key) == ["x_limit"])
    #expect(SafetyRegion(angleLow: 0.2).problems().map(\.key) == ["angle_low"])
    #expect(SafetyRegion(angleLow: 1, angleHigh: 0.5).problems().map(\.key) == ["angle_low"])
  }
}
