import Environments

/// The exact Q* of a tabular environment, looked up by observation: the targets of the Q*
/// regression control (`agent.fqi.target: optimal`). Built once by value iteration over the
/// reachable states; a lookup hashes the observation's bits into an open-addressing table, so
/// a gradient step allocates nothing.
public struct OptimalValueTable: Sendable {
  public let actionCount: Int
  public let width: Int
  /// One row of Q*(s, ·) per reachable state, in `observations` order.
  public let values: [Float]
  /// The reachable states' observations, row-major.
  let observations: [Float]
  /// Slots of the hash table: a row index, or −1 for empty.
  private let slots: [Int32]

  /// Solves `env` (value iteration at `gamma`; soft value iteration when `entropyWeight` > 0)
  /// and indexes its reachable states' observations. Throws when two states look alike (their
  /// Q* could not be told apart).
  public init(env: some TabularEnvironment, gamma: Double, entropyWeight: Double = 0) throws {
    let states = env.reachableStates()
    let q = env.optimalActionValues(gamma: gamma, entropyWeight: entropyWeight)
    actionCount = env.tabularActionCount
    width = env.observationSpace.flatCount
    observations = env.observations(ofStates: states)
    values = states.flatMap { s in
      (0..<env.tabularActionCount).map { Float(q[s * env.tabularActionCount + $0]) }
    }
    var capacity = 1
    while capacity < 2 * max(1, states.count) { capacity <<= 1 }
    var slots = [Int32](repeating: -1, count: capacity)
    for row in 0..<states.count {
      var slot = Self.hash(observations, row * width, width) & (capacity - 1)
      while slots[slot] >= 0 {
        if Self.equal(observations, Int(slots[slot]) * width, observations, row * width, width) {
          throw RunError.unsupported(
            "agent.fqi.target: optimal needs every state to look different, but states \(states[Int(slots[slot])]) and \(states[row]) of \(env.id) share an observation"
          )
        }
        slot = (slot + 1) & (capacity - 1)
      }
      slots[slot] = Int32(row)
    }
    self.slots = slots
  }

  /// The row of `observation` (the start of `width` floats in `buffer`), or nil for an
  /// observation of no reachable state.
  public func row<C: RandomAccessCollection<Float>>(of buffer: C, at start: Int) -> Int?
  where C.Index == Int {
    let mask = slots.count - 1
    var slot = Self.hash(buffer, start, width) & mask
    while slots[slot] >= 0 {
      let row = Int(slots[slot])
      if Self.equal(observations, row * width, buffer, start, width) { return row }
      slot = (slot + 1) & mask
    }
    return nil
  }

  /// FNV-1a over the floats' bit patterns.
  static func hash<C: RandomAccessCollection<Float>>(_ values: C, _ start: Int, _ count: Int)
    -> Int
  where C.Index == Int {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for j in 0..<count { hash = (hash ^ UInt64(values[start + j].bitPattern)) &* 0x100_0000_01b3 }
    return Int(truncatingIfNeeded: hash >> 1)
  }

  static func equal<A: RandomAccessCollection<Float>, B: RandomAccessCollection<Float>>(
    _ a: A, _ aStart: Int, _ b: B, _ bStart: Int, _ count: Int
  ) -> Bool where A.Index == Int, B.Index == Int {
    for j in 0..<count where a[aStart + j].bitPattern != b[bStart + j].bitPattern { return false }
    return true
  }
}
