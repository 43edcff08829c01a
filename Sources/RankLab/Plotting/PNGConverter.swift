import Foundation

/// Turns an SVG into PNG with whichever installed converter works: rsvg-convert, ImageMagick,
/// or headless Chromium. Each result is checked to be a real PNG, because a `convert` on PATH
/// may be a stand-in that exits 0 without writing one.
public enum PNGConverter {
  /// The tools tried, in order.
  public static let tools = ["rsvg-convert", "magick", "convert", "chromium"]

  /// Writes `svg` (a document `width` x `height` px) as a PNG at `output`; returns the tool used.
  @discardableResult
  public static func convert(svg: String, width: Int, height: Int, to output: URL) throws
    -> String
  {
    let temporary = FileManager.default.temporaryDirectory
      .appendingPathComponent("ranklab-png-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: temporary) }
    let input = temporary.appendingPathComponent("plot.svg")
    try svg.write(to: input, atomically: true, encoding: .utf8)
    var tried: [String] = []
    for tool in tools {
      let names = tool == "chromium" ? ["chromium", "chromium-browser", "google-chrome"] : [tool]
      guard let executable = names.lazy.compactMap(findExecutable).first else { continue }
      tried.append(executable)
      try? FileManager.default.removeItem(at: output)
      let arguments: [String]
      switch tool {
      case "rsvg-convert":
        arguments = ["-z", "2", "-b", "white", "-o", output.path, input.path]
      case "chromium":
        arguments = [
          "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
          "--force-device-scale-factor=2", "--window-size=\(width),\(height)",
          "--screenshot=\(output.path)", input.absoluteString,
        ]
      default:
        arguments = ["-density", "192", "-background", "white", input.path, output.path]
      }
      if run(executable, arguments), isPNG(output) { return tool }
    }
    throw PlotError.noConverter(tried: tried.isEmpty ? tools : tried)
  }

  /// True when the file starts with the PNG signature and an IHDR of non-zero size.
  public static func isPNG(_ url: URL) -> Bool {
    guard let data = try? Data(contentsOf: url), data.count > 33 else { return false }
    let bytes = [UInt8](data.prefix(24))
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard Array(bytes[0..<8]) == signature,
      String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR"
    else { return false }
    let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
    let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
    return width > 0 && height > 0
  }

  static func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") {
      let candidate = "\(directory)/\(name)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  private static func run(_ executable: String, _ arguments: [String]) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do {
      try process.run()
      process.waitUntilExit()
      return process.terminationStatus == 0
    } catch {
      return false
    }
  }
}
