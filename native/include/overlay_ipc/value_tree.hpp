// A parsed msgpack or JSON document, as a flat list of nodes linked first-child / next-sibling. Both readers build
// it without recursion and destroy it without recursion, so nesting depth costs no stack; memory is bounded by the
// payload (each node consumes at least one input byte). The schema layer (schema.hpp) walks only what it expects.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace overlay_ipc::tree {

/** JS value kinds, as the TypeScript side sees them after msgpackr / JSON.parse. */
enum class Kind : std::uint8_t {
  Null,
  Bool,
  Number,
  /** msgpack uint64/int64 beyond 32 bits: msgpackr yields a BigInt, which no number schema accepts. */
  BigInt,
  String,
  Binary,
  Array,
  Object,
};

inline const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Null: return "null";
    case Kind::Bool: return "boolean";
    case Kind::Number: return "number";
    case Kind::BigInt: return "bigint";
    case Kind::String: return "string";
    case Kind::Binary: return "bytes";
    case Kind::Array: return "array";
    case Kind::Object: return "object";
  }
  return "?";
}

class Tree {
 public:
  static constexpr std::uint32_t npos = ~std::uint32_t{0};

  struct Node {
    double number = 0;
    /** Array/Object: first child. String/Binary: offset of the bytes in the text store. */
    std::uint32_t first = npos;
    /** String/Binary: byte length. Array: elements. Object: entries (a key node then a value node each). */
    std::uint32_t length = 0;
    std::uint32_t next = npos;
    Kind kind = Kind::Null;
    bool boolean = false;
  };

  std::uint32_t root() const { return 0; }
  const Node& at(std::uint32_t i) const { return nodes_[i]; }
  Kind kind(std::uint32_t i) const { return nodes_[i].kind; }
  std::string_view text(std::uint32_t i) const {
    const Node& n = nodes_[i];
    return std::string_view(store_).substr(n.first, n.length);
  }

  /** Calls f(element) for each element of an array node. */
  template <class F>
  void for_each_element(std::uint32_t array, F&& f) const {
    for (std::uint32_t c = nodes_[array].first; c != npos; c = nodes_[c].next) f(c);
  }

  /** Calls f(key, value) for each entry of an object node, in wire order (duplicates included). */
  template <class F>
  void for_each_entry(std::uint32_t object, F&& f) const {
    for (std::uint32_t k = nodes_[object].first; k != npos; k = nodes_[nodes_[k].next].next) {
      f(text(k), nodes_[k].next);
    }
  }

  // ── Building, for the readers ──────────────────────────────────────────────────────────────────────────────
  void add_null() { add(Node{}); }
  void add_bool(bool b) {
    Node n;
    n.kind = Kind::Bool;
    n.boolean = b;
    add(n);
  }
  void add_number(double v) {
    Node n;
    n.kind = Kind::Number;
    n.number = v;
    add(n);
  }
  void add_bigint() {
    Node n;
    n.kind = Kind::BigInt;
    add(n);
  }
  void add_string(std::string_view s) { add_text(Kind::String, s); }
  void add_binary(std::string_view b) { add_text(Kind::Binary, b); }

  /** Opens an array or object; the nodes added until close() are its children. */
  void open(Kind k) {
    Node n;
    n.kind = k;
    open_.push_back(Open{add(n), npos, 0});
  }
  void close() {
    const Open o = open_.back();
    open_.pop_back();
    Node& n = nodes_[o.node];
    n.length = n.kind == Kind::Object ? o.children / 2 : o.children;
  }
  bool complete() const { return !nodes_.empty() && open_.empty(); }

 private:
  struct Open {
    std::uint32_t node;
    std::uint32_t last_child;
    std::uint32_t children;
  };

  std::uint32_t add(const Node& n) {
    if (nodes_.size() >= npos - 1) throw std::length_error("overlay_ipc: document has too many values");
    const auto index = static_cast<std::uint32_t>(nodes_.size());
    nodes_.push_back(n);
    if (!open_.empty()) {
      Open& parent = open_.back();
      if (parent.last_child == npos) {
        nodes_[parent.node].first = index;
      } else {
        nodes_[parent.last_child].next = index;
      }
      parent.last_child = index;
      ++parent.children;
    }
    return index;
  }

  void add_text(Kind k, std::string_view s) {
    if (store_.size() + s.size() >= npos) throw std::length_error("overlay_ipc: document text too large");
    Node n;
    n.kind = k;
    n.first = static_cast<std::uint32_t>(store_.size());
    n.length = static_cast<std::uint32_t>(s.size());
    store_.append(s);
    add(n);
  }

  std::vector<Node> nodes_;
  std::vector<Open> open_;
  std::string store_;
};

}  // namespace overlay_ipc::tree
