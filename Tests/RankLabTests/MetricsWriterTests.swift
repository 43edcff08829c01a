import Foundation
import Testing

@testable import RankLab

@Suite struct MetricsWriterTests {
  @Test func crc32cMatchesTheStandardCheckValue() {
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
  }

  @Test func jsonLinesAreStableAndValid() throws {
    let record = MetricsRecord(
      step: 1000, values: [("train/loss", 0.25), ("eval/return_mean", 500), ("rank/srank", .nan)])
    #expect(
      record.jsonLine
        == #"{"step":1000,"train/loss":0.25,"eval/return_mean":500,"rank/srank":null}"#)
    let parsed =
      try JSONSerialization.jsonObject(with: Data(record.jsonLine.utf8)) as? [String: Any]
    #expect(parsed?["train/loss"] as? Double == 0.25)
  }

  @Test func resumeTruncatesToTheCheckpointedPosition() throws {
    let dir = try temporaryDirectory()
    var position: MetricsWriter.Position
    do {
      let writer = try MetricsWriter(directory: dir, tensorBoard: true)
      writer.write(MetricsRecord(step: 1, values: [("a", 1)]))
      position = try writer.flush()
      writer.write(MetricsRecord(step: 2, values: [("a", 2)]))  // lost with the "crash"
      try writer.flush()
    }
    let resumed = try MetricsWriter(directory: dir, tensorBoard: true, resumeFrom: position)
    resumed.write(MetricsRecord(step: 2, values: [("a", 3)]))
    try resumed.flush()
    let text = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    #expect(text == "{\"step\":1,\"a\":1}\n{\"step\":2,\"a\":3}\n")
    let events = try readEvents(dir.appendingPathComponent(try #require(position.tensorBoardFile)))
    #expect(events.map(\.step) == [0, 1, 2])
    #expect(events.map(\.scalars) == [[:], ["a": 1], ["a": 3]])
  }

  // An independent reader: bitwise CRC (not the writer's table) and a minimal protobuf parser.
  struct Event: Equatable {
    var step: Int64 = 0
    var scalars: [String: Float] = [:]
  }

  func readEvents(_ url: URL) throws -> [Event] {
    let bytes = [UInt8](try Data(contentsOf: url))
    var events: [Event] = []
    var i = 0
    while i < bytes.count {
      let header = Array(bytes[i..<i + 8])
      let length = Int(le64(header))
      #expect(le32(Array(bytes[i + 8..<i + 12])) == maskedBitwiseCRC(header))
      let data = Array(bytes[i + 12..<i + 12 + length])
      #expect(le32(Array(bytes[i + 12 + length..<i + 16 + length])) == maskedBitwiseCRC(data))
      events.append(try parseEvent(data))
      i += 16 + length
    }
    return events
  }

  func parseEvent(_ data: [UInt8]) throws -> Event {
    var event = Event()
    for (field, value) in fields(data) {
      if field == 2, case .varint(let v) = value { event.step = Int64(bitPattern: v) }
      if field == 5, case .bytes(let summary) = value {
        for (_, entry) in fields(summary) {
          guard case .bytes(let valueBytes) = entry else { continue }
          var tag = ""
          var number: Float = .nan
          for (f, v) in fields(valueBytes) {
            if f == 1, case .bytes(let s) = v { tag = String(decoding: s, as: UTF8.self) }
            if f == 2, case .fixed32(let bits) = v { number = Float(bitPattern: bits) }
          }
          event.scalars[tag] = number
        }
      }
    }
    return event
  }

  enum WireValue {
    case varint(UInt64)
    case fixed64(UInt64)
    case bytes([UInt8])
    case fixed32(UInt32)
  }

  func fields(_ data: [UInt8]) -> [(Int, WireValue)] {
    var out: [(Int, WireValue)] = []
    var i = 0
    func varint() -> UInt64 {
      var result: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        let b = data[i]
        i += 1
        result |= UInt64(b & 0x7F) << shift
        if b < 0x80 { return result }
        shift += 7
      }
    }
    while i < data.count {
      let key = varint()
      switch key & 7 {
      case 0: out.append((Int(key >> 3), .varint(varint())))
      case 1:
        out.append((Int(key >> 3), .fixed64(le64(Array(data[i..<i + 8])))))
        i += 8
      case 2:
        let n = Int(varint())
        out.append((Int(key >> 3), .bytes(Array(data[i..<i + n]))))
        i += n
      default:
        out.append((Int(key >> 3), .fixed32(le32(Array(data[i..<i + 4])))))
        i += 4
      }
    }
    return out
  }

  func maskedBitwiseCRC(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = (crc >> 1) ^ (0x82F6_3B78 & (0 &- (crc & 1))) }
    }
    crc = ~crc
    return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
  }

  func le64(_ b: [UInt8]) -> UInt64 {
    b.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * $1.offset) }
  }
  func le32(_ b: [UInt8]) -> UInt32 {
    b.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) }
  }
}

func temporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "ranklab-test-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}
