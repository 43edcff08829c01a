import Foundation

/// One outcome of a state and action in an exactly known model.
public struct TabularTransition: Sendable, Equatable {
  public var next: Int
  public var probability: Double
  public var reward: Double
  /// The episode ends here (nothing is bootstrapped from `next`).
  public var terminal: Bool

  public init(next: Int, probability: Double, reward: Double, terminal: Bool) {
    self.next = next
    self.probability = probability
    self.reward = reward
    self.terminal = terminal
  }
}

/// An environment with finitely many states whose dynamics are known exactly (a gridworld):
/// its states can be listed, shown to a network, and solved by value iteration. The rank probe
/// measures on every reachable state, and the Q* regression control regresses onto the solution.
public protocol TabularEnvironment: Environment {
  /// States are `0..<stateCount` (not all need be reachable).
  var stateCount: Int { get }
  /// Where every episode starts.
  var initialState: Int { get }
  /// Writes what the agent observes in `state` (`observationSpace.flatCount` floats).
  func observation(ofState state: Int, into buffer: UnsafeMutableBufferPointer<Float>)
  /// The outcomes of taking discrete `action` in `state`, probabilities summing to 1.
  func transitions(fromState state: Int, action: Int) -> [TabularTransition]
}

extension TabularEnvironment {
  public var tabularActionCount: Int {
    if case .discrete(let n) = actionSpace { return n }
    return 0
  }

  /// The states reachable from the initial state under some actions, ascending.
  public func reachableStates() -> [Int] {
    var seen = [Bool](repeating: false, count: stateCount)
    seen[initialState] = true
    var frontier = [initialState]
    while let state = frontier.popLast() {
      for action in 0..<tabularActionCount {
        for t in transitions(fromState: state, action: action)
        where t.probability > 0 && !t.terminal && !seen[t.next] {
          seen[t.next] = true
          frontier.append(t.next)
        }
      }
    }
    return seen.indices.filter { seen[$0] }
  }

  /// The largest |reward| of any outcome from a reachable state: the model's r_max.
  public func largestAbsoluteReward() -> Double {
    var largest = 0.0
    for state in reachableStates() {
      for action in 0..<tabularActionCount {
        for t in transitions(fromState: state, action: action) where t.probability > 0 {
          largest = max(largest, abs(t.reward))
        }
      }
    }
    return largest
  }

  /// The observations of `states`, row after row.
  public func observations(ofStates states: [Int]) -> [Float] {
    let width = observationSpace.flatCount
    var rows = [Float](repeating: 0, count: states.count * width)
    rows.withUnsafeMutableBufferPointer { all in
      for (i, state) in states.enumerated() {
        observation(
          ofState: state,
          into: UnsafeMutableBufferPointer(rebasing: all[(i * width)..<((i + 1) * width)]))
      }
    }
    return rows
  }

  /// The optimal action values of the infinite-horizon discounted problem, by value iteration
  /// (Q ← r + γ E[max Q(s′)], nothing bootstrapped past a terminal outcome): `stateCount ×
  /// actions` values, row-major, iterated until no value moves by more than `tolerance`. Time
  /// limits are not part of the model (Fu et al. solve their gridworlds the same way). With
  /// `entropyWeight` τ > 0 the max becomes τ · logsumexp(Q / τ): the soft Q* of Fu et al.'s
  /// `softq_iteration` at `ent_wt` τ.
  public func optimalActionValues(
    gamma: Double, entropyWeight: Double = 0, tolerance: Double = 1e-10,
    maxIterations: Int = 100_000
  )
    -> [Double]
  {
    let actions = tabularActionCount
    let states = reachableStates()
    let model = states.map { s in (0..<actions).map { transitions(fromState: s, action: $0) } }
    var q = [Double](repeating: 0, count: stateCount * actions)
    var value = [Double](repeating: 0, count: stateCount)
    for _ in 0..<maxIterations {
      var change = 0.0
      for (index, s) in states.enumerated() {
        for a in 0..<actions {
          var total = 0.0
          for t in model[index][a] {
            total += t.probability * (t.reward + (t.terminal ? 0 : gamma * value[t.next]))
          }
          change = max(change, abs(total - q[s * actions + a]))
          q[s * actions + a] = total
        }
      }
      for s in states {
        let row = q[(s * actions)..<((s + 1) * actions)]
        let best = row.max() ?? 0
        // Soft value iteration: V(s) = τ · logsumexp(Q(s, ·) / τ), the hard max at τ = 0.
        value[s] =
          entropyWeight > 0
          ? best + entropyWeight * log(row.reduce(0) { $0 + exp(($1 - best) / entropyWeight) })
          : best
      }
      if change <= tolerance { break }
    }
    return q
  }
}
