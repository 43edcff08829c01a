import Foundation

/// Where a run's files live: `runs/<name>[/<variant>]/<seed>/`.
public struct RunDirectory: Sendable {
  public let url: URL

  public init(url: URL) {
    self.url = url
  }

  /// The directory for a seed of an experiment whose outputs go to `experiment` (by default
  /// `runs/<name>`); a sweep variant gets a level of its own.
  public init(experiment: URL, variant: String, seed: Int) {
    var url = experiment
    if !variant.isEmpty { url = url.appendingPathComponent(variant) }
    self.url = url.appendingPathComponent("\(seed)")
  }

  public var config: URL { url.appendingPathComponent("config.yaml") }
  public var runInfo: URL { url.appendingPathComponent("run.json") }
  public var metrics: URL { url.appendingPathComponent("metrics.jsonl") }
  public var spectra: URL { url.appendingPathComponent("spectra.jsonl") }
  public var summary: URL { url.appendingPathComponent("summary.json") }
  public var checkpoints: URL { url.appendingPathComponent("checkpoint") }
  /// Held (flock) by the one process writing the run.
  public var lock: URL { url.appendingPathComponent(".lock") }
  /// A sweep's log of the process that ran this run.
  public var log: URL { url.appendingPathComponent("run.log") }

  public func checkpoint(step: Int) -> URL {
    checkpoints.appendingPathComponent(String(format: "step-%09d.rlck", step))
  }

  /// Checkpoint files, newest first.
  public func checkpointFiles() -> [URL] {
    let files =
      (try? FileManager.default.contentsOfDirectory(
        at: checkpoints, includingPropertiesForKeys: nil)) ?? []
    return files.filter { $0.pathExtension == "rlck" && $0.lastPathComponent.hasPrefix("step-") }
      .sorted { $0.lastPathComponent > $1.lastPathComponent }
  }
}

/// `run.json`: what a run is, for tools that group runs (plots, reports), and where it stands:
/// `running` (with the pid and host of its process and a heartbeat), `finished`, `failed` (with
/// the error) or `interrupted` (a signal stopped it after a checkpoint).
public struct RunInfo: Codable, Sendable, Equatable {
  public var name: String
  public var variant: String?
  public var seed: Int
  public var env: String
  public var algorithm: String
  public var status: String
  public var steps: Int
  public var step: Int
  public var pid: Int32?
  public var host: String?
  /// When the process last said it was alive (ISO 8601).
  public var heartbeat: String?
  public var error: String?

  public static func read(from url: URL) -> RunInfo? {
    guard let data = try? Data(contentsOf: url) else { return nil }
    return try? JSONDecoder().decode(RunInfo.self, from: data)
  }
}

/// Where a run stands, judged from its files and its process.
public enum RunState: String, Sendable, CaseIterable {
  /// Nothing written yet.
  case pending
  case running
  case finished
  case failed
  /// Stopped before finishing (a signal, or its process is gone): `run --resume` continues it.
  case interrupted
}

extension RunDirectory {
  /// The run's state. A run.json that says `running` whose process is gone (its lock is free)
  /// is `interrupted`, never `running`.
  public func state() -> RunState {
    guard let info = RunInfo.read(from: runInfo) else {
      let started = FileManager.default.fileExists(atPath: metrics.path)
      return started && !isLocked() ? .interrupted : (started ? .running : .pending)
    }
    switch info.status {
    case "finished": return .finished
    case "failed": return .failed
    case "running": return isLocked() ? .running : .interrupted
    default: return .interrupted
    }
  }

  /// True while some process holds the run's lock.
  public func isLocked() -> Bool {
    let descriptor = open(lock.path, O_RDONLY)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
      flock(descriptor, LOCK_UN)
      return false
    }
    return true
  }

  /// Takes the run's lock for this process (released when the returned lock is released or
  /// the process ends, however it ends), or says who holds it.
  public func takeLock() throws -> RunLock {
    do {
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
      throw OutputError.failed(url.path, error)
    }
    let descriptor = open(lock.path, O_RDWR | O_CREAT, 0o644)
    guard descriptor >= 0 else { throw OutputError.failed(lock.path, errno: errno) }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      close(descriptor)
      let holder = RunInfo.read(from: runInfo).map {
        " (pid \($0.pid.map(String.init) ?? "?") on \($0.host ?? "?"))"
      }
      throw RunError.unsupported(
        "\(url.path) is being written by another process\(holder ?? ""); wait for it, or stop it first (SIGINT writes a checkpoint)"
      )
    }
    return RunLock(descriptor: descriptor)
  }

  /// A run name (or output level) that stays inside its parent directory: no path
  /// separators, not `.` or `..`, not empty.
  public static func checkName(_ name: String, key: String) throws {
    guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\0")
    else {
      throw RunError.unsupported(
        "\(key): '\(name)' is not a valid run name; use letters, digits, '-', '_' or '.' without '/' (it names the directory below runs/)"
      )
    }
  }
}

/// The lock a run holds on its directory.
public final class RunLock {
  private var descriptor: Int32

  init(descriptor: Int32) { self.descriptor = descriptor }

  public func release() {
    guard descriptor >= 0 else { return }
    flock(descriptor, LOCK_UN)
    close(descriptor)
    descriptor = -1
  }

  deinit { release() }
}
