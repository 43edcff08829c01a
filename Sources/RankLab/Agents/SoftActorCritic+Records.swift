import Environments
import Foundation

/// What SAC shows of itself: the measured network's features for rank, the fields recorded
/// beside each episode step, and its status figures.
extension SACAgent {
  // MARK: Diagnostics and records

  var measuredNetwork: MLP { sac.rankNetwork == .actor ? actor : critic1 }

  public var featureCount: Int { measuredNetwork.featureCount }

  public func features(
    of observations: UnsafeBufferPointer<Float>, count: Int,
    into features: UnsafeMutableBufferPointer<Float>
  ) {
    let network = measuredNetwork
    if probeWork?.capacity != count || probeWork?.sizes != network.sizes {
      probeWork = MLPWorkspace(for: network, capacity: count)
    }
    guard let work = probeWork else { return }
    if network === actor || discrete {
      work.forward(network, input: observations, rows: count)
    } else {
      // The critic's features at the greedy action of the current actor.
      let d = observationCount
      let m = actionWidth
      let w = d + m
      if probeInput.count != count * w { probeInput = [Float](repeating: 0, count: count * w) }
      for i in 0..<count {
        singleOutput.withUnsafeMutableBufferPointer {
          singleActor.forwardSingle(
            actor, input: UnsafeBufferPointer(rebasing: observations[i * d..<(i + 1) * d]),
            output: $0)
        }
        for k in 0..<d { probeInput[i * w + k] = observations[i * d + k] }
        for j in 0..<m { probeInput[i * w + d + j] = Float.hyperbolicTangent(singleOutput[j]) }
      }
      probeInput.withUnsafeBufferPointer { work.forward(network, input: $0, rows: count) }
    }
    _ = features.update(fromContentsOf: work.features)
  }

  public var recordedFields: [EpisodeHeader.ExtraField] {
    let fields: [EpisodeHeader.ExtraField] =
      discrete
      ? [
        .init(name: "action_probs", width: actionWidth),
        .init(name: "q_values", width: actionWidth),
      ]
      : [
        .init(name: "policy_mean", width: actionWidth),
        .init(name: "policy_log_std", width: actionWidth), .init(name: "q_value", width: 1),
      ]
    return recordsCriticValues ? fields : fields.dropLast()
  }

  public func recordedValues(_ observation: UnsafeBufferPointer<Float>, action: Action)
    -> [[Float]]
  {
    let m = actionWidth
    singleOutput.withUnsafeMutableBufferPointer {
      singleActor.forwardSingle(actor, input: observation, output: $0)
    }
    if discrete {
      var probabilities = [Float](repeating: 0, count: m)
      singleOutput.withUnsafeBufferPointer { z in
        probabilities.withUnsafeMutableBufferPointer {
          Losses.softmax(UnsafeBufferPointer(rebasing: z[0..<m]), rows: 1, columns: m, into: $0)
        }
      }
      guard recordsCriticValues else { return [probabilities] }
      var q = [Float](repeating: 0, count: m)
      q.withUnsafeMutableBufferPointer {
        singleCritic.forwardSingle(critic1, input: observation, output: $0)
      }
      return [probabilities, q]
    }
    let mean = (0..<m).map { scale(Float.hyperbolicTangent(singleOutput[$0]), $0) }
    let logStd = (0..<m).map {
      min(max(singleOutput[m + $0], Self.logStdRange.lowerBound), Self.logStdRange.upperBound)
    }
    guard recordsCriticValues else { return [mean, logStd] }
    for k in 0..<observationCount { singleInput[k] = observation[k] }
    if case .continuous(let values) = action {
      for j in 0..<m { singleInput[observationCount + j] = unscale(values[j], j) }
    }
    var q: [Float] = [0]
    singleInput.withUnsafeBufferPointer { input in
      q.withUnsafeMutableBufferPointer {
        singleCritic.forwardSingle(critic1, input: input, output: $0)
      }
    }
    return [mean, logStd, q]
  }

  public func statusMetrics(step: Int) -> [(key: String, value: Double)] {
    [
      ("train/learning_rate", learningRate.value(at: step)),
      ("train/gradient_steps", Double(gradientStepsTaken)),
    ]
  }
}
