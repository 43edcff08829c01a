import CKernels
import Environments
import Foundation

extension ReplayBuffer {
  /// Fills `batch` with `batch.capacity` transitions drawn with replacement: uniformly, or in
  /// proportion to their priorities when prioritized replay is on (with importance weights for
  /// the current `beta`). With n-step returns each row sums up to `nStep` rewards. With
  /// `requireReturns`, only transitions of finished episodes are drawn (`finishedCount` must
  /// be positive).
  public func sample(
    into batch: inout TransitionBatch, rng: inout PCG64, requireReturns: Bool = false
  ) {
    precondition(count > 0, "cannot sample an empty replay buffer")
    precondition(!requireReturns || finishedCount > 0, "no finished episode to sample returns of")
    let start = TimeBreakdown.now
    if let priorities {
      samplePrioritized(into: &batch, tree: priorities, rng: &rng)
    } else if readsInPlace && nStep == 1 {
      for row in 0..<batch.capacity {
        batch.indices[row] = drawUniform(rng: &rng, requireReturns: requireReturns)
      }
      gatherInPlace(&batch)
    } else {
      for row in 0..<batch.capacity {
        copy(drawUniform(rng: &rng, requireReturns: requireReturns), into: &batch, row: row)
        batch.weights[row] = 1
      }
    }
    batch.count = batch.capacity
    sampleNanoseconds += TimeBreakdown.now - start
    sampledBatches += 1
  }

  @inline(__always) func returnOf(_ t: Int) -> Float {
    let (chunk, j) = locate(t)
    return pointer(.returns, of: chunk).load(fromByteOffset: 4 * j, as: Float.self)
  }

  /// A uniformly drawn stored transition; with `requireReturns`, one of a finished episode:
  /// those are the oldest `finishedCount`, all before the running episode.
  @inline(__always) private func drawUniform(rng: inout PCG64, requireReturns: Bool) -> Int {
    firstIndex + rng.nextInt(below: requireReturns ? finishedCount : count)
  }

  /// Copies the one-step transitions `batch.indices` names when every column is raw (codec
  /// `none`): in three passes that prefetch what the next pass reads, so the cache misses of
  /// the 256 random rows of a large buffer overlap instead of queueing one after another.
  private func gatherInPlace(_ batch: inout TransitionBatch) {
    let rows = batch.capacity
    let w = observationCount
    let frameStride = frameBytes
    let columns = ReplayColumn.allCases.count
    let costs = batch.extras.contains(.costs)
    let returns = batch.extras.contains(.returns)
    base.withUnsafeBufferPointer { base in
      @inline(__always) func column(_ t: Int, _ c: ReplayColumn) -> UnsafeRawPointer {
        base[(t / chunkSize) % chunkSlots * columns + c.rawValue]!
      }
      // Pass 1: the per-transition columns.
      for row in 0..<rows {
        let t = batch.indices[row]
        let j = t % chunkSize
        ranklab_prefetch(column(t, .frameIndex) + 2 * j)
        ranklab_prefetch(column(t, .actions) + actionBytes * j)
        ranklab_prefetch(column(t, .rewards) + 4 * j)
        ranklab_prefetch(column(t, .ends) + j)
        if costs { ranklab_prefetch(column(t, .costs) + 4 * j) }
        if returns { ranklab_prefetch(column(t, .returns) + 4 * j) }
      }
      // Pass 2: the frames (rows, or ids into the observation table).
      for row in 0..<rows {
        let t = batch.indices[row]
        let frame = Int(
          column(t, .frameIndex).load(fromByteOffset: 2 * (t % chunkSize), as: UInt16.self))
        let address = column(t, .frames) + frame * frameStride
        ranklab_prefetch(address)
        ranklab_prefetch(address + frameStride + frameStride - 1)
      }
      // Pass 3: copy.
      batch.observations.withUnsafeMutableBufferPointer { observations in
        batch.nextObservations.withUnsafeMutableBufferPointer { nextObservations in
          for row in 0..<rows {
            let t = batch.indices[row]
            let j = t % chunkSize
            let frames = column(t, .frames)
            let frame = Int(column(t, .frameIndex).load(fromByteOffset: 2 * j, as: UInt16.self))
            let o = observations.baseAddress! + row * w
            let n = nextObservations.baseAddress! + row * w
            if let table {
              o.update(
                from: table.row(frames.load(fromByteOffset: 4 * frame, as: UInt32.self)), count: w)
              n.update(
                from: table.row(frames.load(fromByteOffset: 4 * frame + 4, as: UInt32.self)),
                count: w)
            } else {
              UnsafeMutableRawPointer(o).copyMemory(
                from: frames + frame * frameStride, byteCount: frameStride)
              UnsafeMutableRawPointer(n).copyMemory(
                from: frames + (frame + 1) * frameStride, byteCount: frameStride)
            }
          }
        }
      }
      for row in 0..<rows {
        let t = batch.indices[row]
        let j = t % chunkSize
        copyAction(j, from: column(t, .actions), into: &batch, row: row)
        batch.rewards[row] = column(t, .rewards).load(fromByteOffset: 4 * j, as: Float.self)
        if costs {
          batch.costs[row] = column(t, .costs).load(fromByteOffset: 4 * j, as: Float.self)
        }
        let end = column(t, .ends).load(fromByteOffset: j, as: UInt8.self)
        batch.terminals[row] = end == EpisodeEnd.terminated.rawValue ? 1 : 0
        if returns {
          batch.returns[row] = column(t, .returns).load(fromByteOffset: 4 * j, as: Float.self)
        }
        batch.discounts[row] = returnDiscount
        batch.weights[row] = 1
        batch.mask[row] = 1
      }
    }
  }

  /// Stratified proportional sampling: one draw from each of `capacity` equal slices of the
  /// priority mass; weights (N · P(i))^-beta, normalized by the batch's largest.
  private func samplePrioritized(
    into batch: inout TransitionBatch, tree: SumTree, rng: inout PCG64
  ) {
    let rows = batch.capacity
    let total = tree.total
    let slice = total / Double(rows)
    if drawnMasses.count < rows {
      drawnMasses = [Double](repeating: 0, count: rows)
      drawnLeaves = [Int](repeating: 0, count: rows)
    }
    for row in 0..<rows {
      drawnMasses[row] = min((Double(row) + rng.nextDouble()) * slice, total.nextDown)
    }
    drawnMasses.withUnsafeBufferPointer { masses in
      drawnLeaves.withUnsafeMutableBufferPointer { leaves in
        tree.find(UnsafeBufferPointer(rebasing: masses[..<rows]), into: leaves)
      }
    }
    for row in 0..<rows { batch.indices[row] = transition(atLeaf: drawnLeaves[row]) }
    if readsInPlace && nStep == 1 {
      gatherInPlace(&batch)
    } else {
      for row in 0..<rows { copy(batch.indices[row], into: &batch, row: row) }
    }
    var largest: Float = 0
    for row in 0..<rows {
      let probability = tree.priority(drawnLeaves[row]) / total
      let weight = Float(pow(Double(count) * probability, -beta))
      batch.weights[row] = weight
      largest = max(largest, weight)
    }
    if largest > 0 { for row in 0..<rows { batch.weights[row] /= largest } }
  }

  /// The stored transition whose ring slot is `leaf`.
  func transition(atLeaf leaf: Int) -> Int {
    let ring = ringCount
    return firstIndex + ((leaf - firstIndex % ring) + ring) % ring
  }

  /// Whether ring slot `leaf` holds a stored transition.
  func isStored(leaf: Int) -> Bool { transition(atLeaf: leaf) < nextIndex }

  /// Sets the priorities of the batch's transitions from their TD errors:
  /// (|error| + epsilon)^alpha. Transitions evicted since the batch was drawn are skipped. A
  /// NaN or infinite error (a diverging learner) gets the largest priority so far: the sum tree
  /// stays finite and the run goes on to report the divergence.
  public func updatePriorities(of batch: TransitionBatch, errors: UnsafeBufferPointer<Float>) {
    guard let prioritized, priorities != nil else { return }
    for row in 0..<batch.count where batch.indices[row] >= firstIndex {
      let error = errors[row]
      let priority =
        error.isFinite
        ? pow(Double(abs(error)) + prioritized.epsilon, prioritized.alpha) : maxPriority
      priorities?.set(batch.indices[row] % ringCount, priority)
      maxPriority = max(maxPriority, priority)
    }
  }

  /// Fills `batch` with `batch.capacity / length` sequences of `length` consecutive steps of one
  /// episode each, starting at uniformly drawn transitions (recurrent or Monte-Carlo targets).
  /// Steps past the episode's end or the newest transition are zero rows with `mask` 0.
  public func sampleSequences(into batch: inout TransitionBatch, length: Int, rng: inout PCG64) {
    precondition(count > 0, "cannot sample an empty replay buffer")
    precondition(length >= 1 && batch.capacity % length == 0, "batch must hold whole sequences")
    let start = TimeBreakdown.now
    for sequence in 0..<batch.capacity / length {
      let first = firstIndex + rng.nextInt(below: count)
      var alive = true
      for step in 0..<length {
        let row = sequence * length + step
        let t = first + step
        if alive && step > 0 && (t >= nextIndex || end(of: t - 1).isEnd) { alive = false }
        if alive {
          copy(t, into: &batch, row: row, steps: 1)
          batch.mask[row] = 1
        } else {
          clear(&batch, row: row)
        }
        batch.weights[row] = 1
      }
    }
    batch.count = batch.capacity
    sampleNanoseconds += TimeBreakdown.now - start
    sampledBatches += 1
  }

  /// Copies the transitions at positions `positions` (0 is the oldest stored) into `batch` in
  /// order (probe batches, datasets).
  public func gather(positions: [Int], into batch: inout TransitionBatch) {
    precondition(positions.count <= batch.capacity, "more transitions than the batch holds")
    for (row, position) in positions.enumerated() {
      precondition(position >= 0 && position < count, "position \(position) is not stored")
      copy(firstIndex + position, into: &batch, row: row, steps: 1)
    }
    batch.count = positions.count
  }

  /// Copies transition `t` into `row`, folding up to `steps` rewards (n-step) into it.
  @inline(__always) func copy(
    _ t: Int, into batch: inout TransitionBatch, row: Int, steps: Int? = nil
  ) {
    let n = observationCount
    let (chunk, j) = locate(t)
    let frames = pointer(.frames, of: chunk)
    let frame = Int(pointer(.frameIndex, of: chunk).load(fromByteOffset: 2 * j, as: UInt16.self))
    batch.observations.withUnsafeMutableBufferPointer {
      copyFrame(frame, of: chunk, frames: frames, to: $0.baseAddress! + row * n)
    }
    copyAction(j, from: pointer(.actions, of: chunk), into: &batch, row: row)
    if batch.extras.contains(.costs) {
      batch.costs[row] = pointer(.costs, of: chunk).load(fromByteOffset: 4 * j, as: Float.self)
    }
    if batch.extras.contains(.returns) {
      batch.returns[row] = pointer(.returns, of: chunk).load(fromByteOffset: 4 * j, as: Float.self)
    }
    batch.indices[row] = t
    batch.mask[row] = 1

    // Sum rewards over up to n steps of the same episode; bootstrap from the last one's next
    // observation with gamma^k. With one step this is (r, gamma) exactly.
    var last = t
    var lastChunk = chunk
    var lastFrame = frame
    var lastFrames = frames
    var total = pointer(.rewards, of: chunk).load(fromByteOffset: 4 * j, as: Float.self)
    var discount = returnDiscount
    var lastEnd =
      EpisodeEnd(rawValue: pointer(.ends, of: chunk).load(fromByteOffset: j, as: UInt8.self))
      ?? .none
    let horizon = steps ?? nStep
    while last - t + 1 < horizon && !lastEnd.isEnd && last + 1 < nextIndex {
      last += 1
      total += discount * reward(of: last)
      discount *= returnDiscount
      lastEnd = end(of: last)
      let (next, position) = locate(last)
      lastChunk = next
      lastFrames = pointer(.frames, of: next)
      lastFrame = Int(
        pointer(.frameIndex, of: next).load(fromByteOffset: 2 * position, as: UInt16.self))
    }
    batch.rewards[row] = total
    batch.discounts[row] = discount
    batch.terminals[row] = lastEnd == .terminated ? 1 : 0
    batch.nextObservations.withUnsafeMutableBufferPointer {
      copyFrame(lastFrame + 1, of: lastChunk, frames: lastFrames, to: $0.baseAddress! + row * n)
    }
  }

  /// Copies the action at position `j` of a chunk's actions column into `row`.
  @inline(__always) func copyAction(
    _ j: Int, from actions: UnsafeRawPointer, into batch: inout TransitionBatch, row: Int
  ) {
    if actionsAreContinuous {
      for i in 0..<actionWidth {
        batch.continuousActions[row * actionWidth + i] = actions.load(
          fromByteOffset: actionBytes * j + 4 * i, as: Float.self)
      }
    } else {
      batch.actionIndices[row] = actions.load(fromByteOffset: 4 * j, as: Int32.self)
    }
  }

  private func clear(_ batch: inout TransitionBatch, row: Int) {
    let n = observationCount
    for i in 0..<n {
      batch.observations[row * n + i] = 0
      batch.nextObservations[row * n + i] = 0
    }
    if actionsAreContinuous {
      for i in 0..<actionWidth { batch.continuousActions[row * actionWidth + i] = 0 }
    } else {
      batch.actionIndices[row] = 0
    }
    batch.rewards[row] = 0
    if batch.extras.contains(.costs) { batch.costs[row] = 0 }
    batch.terminals[row] = 0
    if batch.extras.contains(.returns) { batch.returns[row] = 0 }
    batch.discounts[row] = 0
    batch.indices[row] = -1
    batch.mask[row] = 0
  }

  /// Mean sampling time per batch since the last call, in microseconds (nil if none).
  public func takeSampleMicroseconds() -> Double? {
    defer {
      sampleNanoseconds = 0
      sampledBatches = 0
    }
    guard sampledBatches > 0 else { return nil }
    return Double(sampleNanoseconds) / Double(sampledBatches) / 1000
  }
}
