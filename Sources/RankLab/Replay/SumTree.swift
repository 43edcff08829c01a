import CKernels

/// A binary tree of non-negative priorities whose inner nodes hold the sums of their children:
/// setting a leaf and drawing a leaf with probability proportional to its priority both take
/// O(log n) (Schaul et al. 2016, proportional prioritization). Sums are kept in Double so that
/// millions of updates do not drift.
public struct SumTree: Equatable, Sendable {
  /// Leaves (a power of two at least the requested count).
  public let leafCount: Int
  /// Heap layout: node 1 is the root, node i has children 2i and 2i + 1, leaf k is node
  /// leafCount + k.
  private(set) var nodes: [Double]

  public init(count: Int) {
    var leaves = 1
    while leaves < count { leaves *= 2 }
    leafCount = leaves
    nodes = [Double](repeating: 0, count: 2 * leaves)
  }

  /// The sum of every priority.
  public var total: Double { nodes[1] }

  public func priority(_ leaf: Int) -> Double { nodes[leafCount + leaf] }

  public mutating func set(_ leaf: Int, _ priority: Double) {
    precondition(priority >= 0 && priority.isFinite, "priorities must be finite and non-negative")
    var node = leafCount + leaf
    nodes[node] = priority
    node /= 2
    while node >= 1 {
      nodes[node] = nodes[2 * node] + nodes[2 * node + 1]
      node /= 2
    }
  }

  /// The leaf whose cumulative range holds `mass` (0 ≤ mass < total): walks down, going right
  /// and subtracting the left sum whenever the mass lies beyond the left child. Leaves of zero
  /// priority are never returned.
  public func find(_ mass: Double) -> Int {
    nodes.withUnsafeBufferPointer { nodes in
      var node = 1
      var remaining = mass
      while node < leafCount { node = Self.child(of: node, holding: &remaining, in: nodes) }
      return node - leafCount
    }
  }

  /// One step down: the child of `node` whose range holds `remaining`, which loses the left
  /// sum when the walk goes right.
  @inline(__always) private static func child(
    of node: Int, holding remaining: inout Double, in nodes: UnsafeBufferPointer<Double>
  ) -> Int {
    let left = nodes[2 * node]
    // Rounding can leave `remaining` a hair above a subtree's sum; never step into an empty
    // subtree because of it.
    if remaining < left || nodes[2 * node + 1] == 0 { return 2 * node }
    remaining -= left
    return 2 * node + 1
  }

  /// `find` for many masses at once, level by level: the descents' cache misses overlap (each
  /// prefetches its next node) instead of queueing one after another. Same leaves as `find`.
  public func find(
    _ masses: UnsafeBufferPointer<Double>, into leaves: UnsafeMutableBufferPointer<Int>
  ) {
    let count = masses.count
    precondition(leaves.count >= count, "one leaf per mass")
    nodes.withUnsafeBufferPointer { nodes in
      for i in 0..<count { leaves[i] = 1 }
      withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { remaining in
        _ = remaining.initialize(from: masses)
        var width = 1
        while width < leafCount {
          for i in 0..<count {
            leaves[i] = Self.child(of: leaves[i], holding: &remaining[i], in: nodes)
            ranklab_prefetch(nodes.baseAddress! + 2 * leaves[i])
          }
          width *= 2
        }
      }
      for i in 0..<count { leaves[i] -= leafCount }
    }
  }

  /// Restores from checkpointed leaves, recomputing the sums.
  init(leaves: [Double]) {
    self.init(count: leaves.count)
    for (k, value) in leaves.enumerated() { nodes[leafCount + k] = value }
    var node = leafCount - 1
    while node >= 1 {
      nodes[node] = nodes[2 * node] + nodes[2 * node + 1]
      node -= 1
    }
  }

  /// The leaf priorities (for checkpoints).
  var leaves: ArraySlice<Double> { nodes[leafCount...] }
}
