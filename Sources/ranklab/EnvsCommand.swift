import ArgumentParser
import Environments

/// `ranklab envs`: every environment with its spaces and time limit.
struct EnvsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "envs",
    abstract: "List every environment with its observation and action spaces and time limit.")

  func run() throws {
    print("(no environments registered yet)")
  }
}
