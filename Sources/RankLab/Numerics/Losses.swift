import Foundation

/// Losses with their gradients. Each returns the mean loss over its elements (or rows) and
/// writes dLoss/dInput into a caller-provided buffer, so training loops never allocate.
public enum Losses {
  /// Mean squared error: mean((x - y)²).
  public static func meanSquaredError(
    _ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>,
    gradient: UnsafeMutableBufferPointer<Float>
  ) -> Float {
    let n = Float(x.count)
    var total: Float = 0
    for i in 0..<x.count {
      let d = x[i] - y[i]
      total += d * d
      gradient[i] = 2 * d / n
    }
    return total / n
  }

  /// Huber loss with delta 1, as PyTorch's `smooth_l1_loss` (what SB3's DQN uses): quadratic
  /// within 1 of the target, linear beyond, so one bad target cannot blow up a gradient step.
  public static func huber(
    _ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>,
    gradient: UnsafeMutableBufferPointer<Float>
  ) -> Float {
    let n = Float(x.count)
    var total: Float = 0
    for i in 0..<x.count {
      let d = x[i] - y[i]
      if abs(d) < 1 {
        total += 0.5 * d * d
        gradient[i] = d / n
      } else {
        total += abs(d) - 0.5
        gradient[i] = (d > 0 ? 1 : -1) / n
      }
    }
    return total / n
  }

  /// Writes softmax(z / temperature) of each row (rows × columns) into `output`, stably: the
  /// exponential of `logSoftmax`.
  public static func softmax(
    _ z: UnsafeBufferPointer<Float>, rows: Int, columns: Int, temperature: Float = 1,
    into output: UnsafeMutableBufferPointer<Float>
  ) {
    logSoftmax(z, rows: rows, columns: columns, temperature: temperature, into: output)
    for i in 0..<rows * columns { output[i] = output[i].exp() }
  }

  /// Writes log-softmax(z / temperature) of each row into `output` (log-sum-exp trick).
  public static func logSoftmax(
    _ z: UnsafeBufferPointer<Float>, rows: Int, columns: Int, temperature: Float = 1,
    into output: UnsafeMutableBufferPointer<Float>
  ) {
    for r in 0..<rows {
      let base = r * columns
      var peak = -Float.infinity
      for j in 0..<columns { peak = max(peak, z[base + j] / temperature) }
      var sum: Float = 0
      for j in 0..<columns { sum += (z[base + j] / temperature - peak).exp() }
      let logSum = peak + sum.log()
      for j in 0..<columns { output[base + j] = z[base + j] / temperature - logSum }
    }
  }

  /// Cross-entropy of soft targets `p` (rows of probabilities) against softmax(z / T), mean over
  /// rows: −mean_r Σ_j p_rj log softmax(z_r / T)_j. Gradient: (softmax(z/T) − p) / (T · rows).
  /// With one-hot `p` this is the usual classification loss; with a teacher's softened
  /// probabilities it is distillation's KL up to the teacher's (constant) entropy.
  public static func crossEntropy(
    logits z: UnsafeBufferPointer<Float>, targets p: UnsafeBufferPointer<Float>, rows: Int,
    columns: Int, temperature: Float = 1, gradient: UnsafeMutableBufferPointer<Float>
  ) -> Float {
    logSoftmax(z, rows: rows, columns: columns, temperature: temperature, into: gradient)
    var total: Float = 0
    for i in 0..<rows * columns {
      total -= p[i] * gradient[i]
      gradient[i] = (gradient[i].exp() - p[i]) / (temperature * Float(rows))
    }
    return total / Float(rows)
  }

  /// Cross-entropy against integer labels, mean over rows.
  public static func crossEntropy(
    logits z: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>, rows: Int,
    columns: Int, gradient: UnsafeMutableBufferPointer<Float>
  ) -> Float {
    logSoftmax(z, rows: rows, columns: columns, into: gradient)
    var total: Float = 0
    for r in 0..<rows {
      let label = Int(labels[r])
      total -= gradient[r * columns + label]
      for j in 0..<columns {
        let i = r * columns + j
        gradient[i] = (gradient[i].exp() - (j == label ? 1 : 0)) / Float(rows)
      }
    }
    return total / Float(rows)
  }

  /// KL(p ‖ softmax(z / T)) averaged over rows: cross-entropy minus the targets' entropy.
  public static func klDivergence(
    targets p: UnsafeBufferPointer<Float>, logits z: UnsafeBufferPointer<Float>, rows: Int,
    columns: Int, temperature: Float = 1, gradient: UnsafeMutableBufferPointer<Float>
  ) -> Float {
    let ce = crossEntropy(
      logits: z, targets: p, rows: rows, columns: columns, temperature: temperature,
      gradient: gradient)
    var entropy: Float = 0
    for i in 0..<rows * columns where p[i] > 0 { entropy -= p[i] * p[i].log() }
    return ce - entropy / Float(rows)
  }
}

extension Float {
  @inline(__always) func exp() -> Float { Float(Foundation.exp(Double(self))) }
  @inline(__always) func log() -> Float { Float(Foundation.log(Double(self))) }
}
