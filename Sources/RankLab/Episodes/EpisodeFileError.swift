/// Why an episode file could not be read or written: what is wrong and where (byte offset,
/// frame), so a CLI can print it and exit non-zero.
public struct EpisodeFileError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The class of problem, for callers that branch on it.
  public enum Kind: String, Sendable {
    /// The first bytes are not `RLEP`: some other file.
    case notAnEpisodeFile
    case unsupportedVersion
    /// The file ends before a structure it announces.
    case truncated
    case headerInvalid
    case checksumMismatch
    /// A frame's fields or contents contradict the header or each other.
    case frameInvalid
    case footerInvalid
    /// Bytes follow the footer.
    case trailingBytes
    /// The steps given to a writer do not match its header.
    case invalidStep
    /// The file system refused (open, write, rename).
    case io
  }

  public var kind: Kind
  public var message: String
  /// Byte offset in the file the problem was found at.
  public var offset: Int?
  /// Index of the frame concerned.
  public var frame: Int?
  /// The file, once known.
  public var path: String?

  public init(
    _ kind: Kind, _ message: String, offset: Int? = nil, frame: Int? = nil, path: String? = nil
  ) {
    self.kind = kind
    self.message = message
    self.offset = offset
    self.frame = frame
    self.path = path
  }

  public var description: String {
    var text = path.map { "\($0): " } ?? ""
    text += message
    var location: [String] = []
    if let frame { location.append("frame \(frame)") }
    if let offset { location.append("byte offset \(offset)") }
    if !location.isEmpty { text += " (\(location.joined(separator: ", ")))" }
    return text
  }
}
