// The extension's msgpack payloads, read and written as msgpackr does on the TypeScript side
// (Packr/Unpackr with useRecords: false, mapsAsObjects: true), using msgpack-cxx for the byte-level work.
//
// Reading goes through msgpack-cxx's SAX parser into a Tree, never through msgpack::object: the object unpacker
// allocates an element array as soon as it reads an array header, so 5 hostile bytes could ask for gigabytes.
// Here memory grows only with elements actually present. What msgpackr makes of a value decides its kind:
//   - map keys become property names: strings as they are ("__proto__" is renamed "__proto_" by msgpackr),
//     numbers/booleans/nil as JS would print them; binary, array and map keys are rejected;
//   - integers outside [-2^31, 2^32) can only come as uint64/int64, which msgpackr returns as BigInt;
//   - extension types are rejected (msgpackr knows only its own JS-specific ones, which no schema here accepts).
// Writing follows msgpackr: smallest int encodings for integers in [-2^31, 2^32), float64 for every other number
// (including integral ones beyond that range, as msgpackr does).
#pragma once

#ifndef MSGPACK_NO_BOOST
#define MSGPACK_NO_BOOST  // nothing here needs Boost
#endif
#include <msgpack/null_visitor.hpp>
#include <msgpack/pack.hpp>
#include <msgpack/unpack.hpp>  // also brings msgpack::parse and the helpers it needs
#include <msgpack/unpack_exception.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "bytes.hpp"
#include "errors.hpp"
#include "js_number.hpp"
#include "value_tree.hpp"

namespace overlay_ipc::mpack {

namespace detail {

class TreeBuilder : public msgpack::null_visitor {
 public:
  TreeBuilder(tree::Tree& t, std::uint32_t frame_type) : tree_(t), frame_type_(frame_type) {}

  bool visit_nil() { return key_or(&tree::Tree::add_null, "null"); }
  bool visit_boolean(bool v) {
    if (take_key()) return add_key(v ? "true" : "false");
    tree_.add_bool(v);
    return true;
  }
  bool visit_positive_integer(std::uint64_t v) {
    if (take_key()) return add_key(std::to_string(v));
    if (v <= 0xFFFFFFFFu) {
      tree_.add_number(static_cast<double>(v));
    } else {
      tree_.add_bigint();
    }
    return true;
  }
  bool visit_negative_integer(std::int64_t v) {
    if (take_key()) return add_key(std::to_string(v));
    if (v >= -2147483648LL) {
      tree_.add_number(static_cast<double>(v));
    } else {
      tree_.add_bigint();
    }
    return true;
  }
  bool visit_float32(float v) { return visit_float64(static_cast<double>(v)); }
  bool visit_float64(double v) {
    if (take_key()) return add_key(js::to_string(v));
    tree_.add_number(v);
    return true;
  }
  bool visit_str(const char* p, std::uint32_t n) {
    std::string_view s(p, n);
    if (take_key()) return add_key(s == "__proto__" ? std::string_view("__proto_") : s);
    tree_.add_string(s);
    return true;
  }
  bool visit_bin(const char* p, std::uint32_t n) {
    if (take_key()) fail("a map key is binary, not a string or number");
    tree_.add_binary(std::string_view(p, n));
    return true;
  }
  bool visit_ext(const char*, std::uint32_t) { fail("extension types are not part of this protocol"); }
  bool start_array(std::uint32_t) { return open(tree::Kind::Array); }
  bool end_array() {
    tree_.close();
    return true;
  }
  bool start_map(std::uint32_t) { return open(tree::Kind::Object); }
  bool start_map_key() {
    key_ = true;
    return true;
  }
  bool end_map() {
    tree_.close();
    return true;
  }
  void parse_error(std::size_t, std::size_t at) { fail("bad msgpack at offset " + std::to_string(at)); }
  void insufficient_bytes(std::size_t, std::size_t) { fail("truncated msgpack"); }

 private:
  [[noreturn]] void fail(const std::string& what) const { overlay_ipc::detail::malformed(frame_type_, what); }

  bool take_key() {
    const bool k = key_;
    key_ = false;
    return k;
  }
  bool add_key(std::string_view s) {
    tree_.add_string(s);
    return true;
  }
  bool key_or(void (tree::Tree::*add)(), std::string_view as_key) {
    if (take_key()) return add_key(as_key);
    (tree_.*add)();
    return true;
  }
  bool open(tree::Kind k) {
    if (take_key()) fail("a map key is an array or map, not a string or number");
    tree_.open(k);
    return true;
  }

  tree::Tree& tree_;
  std::uint32_t frame_type_;
  bool key_ = false;
};

/** msgpack-cxx's stream concept, appending to a byte vector. */
struct Sink {
  Bytes* out;
  void write(const char* p, std::size_t n) { out->insert(out->end(), p, p + n); }
};

}  // namespace detail

/** Parses one whole msgpack value; anything left over is an error, as in msgpackr. Errors are MALFORMED_PAYLOAD. */
inline tree::Tree parse(ByteView payload, std::uint32_t frame_type) {
  tree::Tree t;
  detail::TreeBuilder builder(t, frame_type);
  std::size_t off = 0;
  try {
    msgpack::parse(reinterpret_cast<const char*>(payload.data), payload.size, off, builder);
  } catch (const msgpack::unpack_error& e) {  // size overflows detected inside msgpack-cxx
    overlay_ipc::detail::malformed(frame_type, std::string("bad msgpack: ") + e.what());
  }
  if (!t.complete()) overlay_ipc::detail::malformed(frame_type, "truncated msgpack");
  if (off != payload.size) {
    overlay_ipc::detail::malformed(frame_type,
                                   std::to_string(payload.size - off) + " bytes after the msgpack value");
  }
  return t;
}

/** Appends msgpack to a byte vector with msgpackr's choice of encodings. */
class Writer {
 public:
  explicit Writer(Bytes& out) : sink_{&out}, pk_(sink_) {}

  void begin_object(std::size_t n) { pk_.pack_map(count(n)); }
  void end_object() {}
  void begin_array(std::size_t n) { pk_.pack_array(count(n)); }
  void end_array() {}
  void key(std::string_view k) { string(k); }
  void string(std::string_view s) {
    pk_.pack_str(count(s.size()));
    pk_.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
  }
  void binary(ByteView b) {
    pk_.pack_bin(count(b.size));
    pk_.pack_bin_body(reinterpret_cast<const char*>(b.data), static_cast<std::uint32_t>(b.size));
  }
  void boolean(bool b) { b ? pk_.pack_true() : pk_.pack_false(); }

  /** msgpackr: `v >>> 0 === v` → smallest uint, `v >> 0 === v` → smallest int, anything else → float64. */
  void number(double v) {
    if (js::is_integer(v) && v >= 0 && v <= 4294967295.0) {
      pk_.pack_uint32(static_cast<std::uint32_t>(v));  // -0 lands here too, as 0 (0 >>> 0 === -0 in JS)
    } else if (js::is_integer(v) && v < 0 && v >= -2147483648.0) {
      pk_.pack_int32(static_cast<std::int32_t>(v));
    } else {
      float64(v);
    }
  }

 private:
  /**
   * 0xcb + IEEE 754 big-endian, always. Not packer::pack_double: msgpack-cxx 4 packs integral doubles as ints
   * (2^32 as uint64), which msgpackr does not, so the bytes would differ from the TS side's.
   */
  void float64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    char buf[9];
    buf[0] = static_cast<char>(0xcb);
    for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
    sink_.write(buf, sizeof buf);
  }

  static std::uint32_t count(std::size_t n) {
    if (n > 0xFFFFFFFFu) throw std::length_error("overlay_ipc: msgpack container or string too large");
    return static_cast<std::uint32_t>(n);
  }

  detail::Sink sink_;
  msgpack::packer<detail::Sink> pk_;
};

}  // namespace overlay_ipc::mpack
