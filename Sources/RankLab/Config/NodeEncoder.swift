import Foundation
import Yams

/// Encodes a value into a YAML node tree, writing nil optionals as explicit `null` (Yams' encoder
/// leaves them out). The defaults tree of a config then lists every key, which is what strict
/// validation checks user keys against and what a resolved `config.yaml` shows.
struct NodeEncoder {
  func encode<T: Encodable>(_ value: T) throws -> Node {
    let box = NodeBox()
    try encodeValue(value, into: box, path: [])
    return box.finished()
  }
}

/// A mutable slot for the node being built; containers share it with their parent.
private final class NodeBox {
  var node: Node = .scalar(.init("null", Tag(.null), .plain))
  var pairs: [(String, NodeBox)]?
  var items: [NodeBox]?

  func finished() -> Node {
    if let pairs {
      return .mapping(.init(pairs.map { (Node($0.0), $0.1.finished()) }))
    }
    if let items { return .sequence(.init(items.map { $0.finished() })) }
    return node
  }
}

private struct TreeEncoder: Encoder {
  let box: NodeBox
  var codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    if box.pairs == nil { box.pairs = [] }
    return KeyedEncodingContainer(KeyedTree<Key>(box: box, codingPath: codingPath))
  }
  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    if box.items == nil { box.items = [] }
    return UnkeyedTree(box: box, codingPath: codingPath)
  }
  func singleValueContainer() -> any SingleValueEncodingContainer {
    SingleTree(box: box, codingPath: codingPath)
  }
}

private func scalar(_ text: String) -> Node { .scalar(.init(text, .implicit, .plain)) }

private func encodeValue<T: Encodable>(_ value: T, into box: NodeBox, path: [any CodingKey]) throws
{
  switch value {
  case let v as String: box.node = .scalar(.init(v, Tag(.str), .doubleQuoted))
  case let v as Bool: box.node = scalar(v ? "true" : "false")
  case let v as Double: box.node = scalar(formatNumber(v))
  case let v as Float: box.node = scalar(formatNumber(Double(v)))
  case let v as any BinaryInteger: box.node = scalar("\(v)")
  default: try value.encode(to: TreeEncoder(box: box, codingPath: path))
  }
}

/// Numbers as YAML reads them back: integers without a fraction, `.inf`, `.nan`.
func formatNumber(_ v: Double) -> String {
  if v.isNaN { return ".nan" }
  if v.isInfinite { return v > 0 ? ".inf" : "-.inf" }
  if v == v.rounded(), abs(v) < 1e15 { return String(format: "%.1f", v) }
  return "\(v)"
}

private struct KeyedTree<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let box: NodeBox
  var codingPath: [any CodingKey]

  private func child(_ key: Key) -> NodeBox {
    let child = NodeBox()
    box.pairs?.append((key.stringValue, child))
    return child
  }
  mutating func encodeNil(forKey key: Key) throws { _ = child(key) }
  mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
    try encodeValue(value, into: child(key), path: codingPath + [key])
  }
  // Optionals that are nil still get their key, as null.
  mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
    if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
  }
  mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
    if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
  }
  mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
    if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
  }
  mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
    if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
  }
  mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
    if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
  }
  mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws {
    if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
  }
  mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws {
    if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
  }
  mutating func nestedContainer<NestedKey: CodingKey>(
    keyedBy keyType: NestedKey.Type, forKey key: Key
  )
    -> KeyedEncodingContainer<NestedKey>
  {
    let c = child(key)
    c.pairs = []
    return KeyedEncodingContainer(KeyedTree<NestedKey>(box: c, codingPath: codingPath + [key]))
  }
  mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
    let c = child(key)
    c.items = []
    return UnkeyedTree(box: c, codingPath: codingPath + [key])
  }
  mutating func superEncoder() -> any Encoder { TreeEncoder(box: box, codingPath: codingPath) }
  mutating func superEncoder(forKey key: Key) -> any Encoder {
    TreeEncoder(box: child(key), codingPath: codingPath + [key])
  }
}

private struct UnkeyedTree: UnkeyedEncodingContainer {
  let box: NodeBox
  var codingPath: [any CodingKey]
  var count: Int { box.items?.count ?? 0 }

  private func next() -> NodeBox {
    let child = NodeBox()
    box.items?.append(child)
    return child
  }
  mutating func encodeNil() throws { _ = next() }
  mutating func encode<T: Encodable>(_ value: T) throws {
    try encodeValue(value, into: next(), path: codingPath)
  }
  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
    -> KeyedEncodingContainer<NestedKey>
  {
    let c = next()
    c.pairs = []
    return KeyedEncodingContainer(KeyedTree<NestedKey>(box: c, codingPath: codingPath))
  }
  mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
    let c = next()
    c.items = []
    return UnkeyedTree(box: c, codingPath: codingPath)
  }
  mutating func superEncoder() -> any Encoder { TreeEncoder(box: next(), codingPath: codingPath) }
}

private struct SingleTree: SingleValueEncodingContainer {
  let box: NodeBox
  var codingPath: [any CodingKey]
  mutating func encodeNil() throws { box.node = .scalar(.init("null", Tag(.null), .plain)) }
  mutating func encode<T: Encodable>(_ value: T) throws {
    try encodeValue(value, into: box, path: codingPath)
  }
}
