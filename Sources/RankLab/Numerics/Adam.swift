import CKernels
import Foundation

/// Adam (Kingma & Ba 2015) with PyTorch's update: bias-corrected moments and ε added outside
/// the square root, `θ ← θ − lr · m̂ / (√v̂ + ε)`, one loop over a network's contiguous buffer.
public struct Adam: Codable, Sendable, Equatable {
  public var learningRate: Float
  public var beta1: Float
  public var beta2: Float
  public var epsilon: Float
  /// Updates taken so far (for the bias correction).
  public private(set) var step = 0
  public private(set) var firstMoment: [Float]
  public private(set) var secondMoment: [Float]

  public init(
    parameterCount: Int, learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
    epsilon: Float = 1e-8
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    firstMoment = [Float](repeating: 0, count: parameterCount)
    secondMoment = firstMoment
  }

  /// Restores the state a checkpoint saved.
  public mutating func restore(step: Int, firstMoment: [Float], secondMoment: [Float]) {
    precondition(
      firstMoment.count == self.firstMoment.count && secondMoment.count == self.secondMoment.count)
    self.step = step
    self.firstMoment = firstMoment
    self.secondMoment = secondMoment
  }

  /// Applies one update to `parameters` from `gradients` (same layout).
  public mutating func update(_ parameters: inout [Float], gradients: [Float]) {
    precondition(parameters.count == firstMoment.count, "optimizer and network differ in size")
    step += 1
    let correction1 = 1 - Float(pow(Double(beta1), Double(step)))
    let correction2 = 1 - Float(pow(Double(beta2), Double(step)))
    let stepSize = learningRate / correction1
    let inverseRoot2 = 1 / correction2.squareRoot()
    parameters.withUnsafeMutableBufferPointer { p in
      gradients.withUnsafeBufferPointer { g in
        firstMoment.withUnsafeMutableBufferPointer { m in
          secondMoment.withUnsafeMutableBufferPointer { v in
            ranklab_adam_update(
              p.baseAddress, g.baseAddress, m.baseAddress, v.baseAddress, p.count, beta1, beta2,
              stepSize, inverseRoot2, epsilon)
          }
        }
      }
    }
  }
}
