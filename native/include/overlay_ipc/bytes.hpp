// Little-endian byte access: a bounds-checked reader over one payload and an appending writer. Every read checks
// the remaining length first, so hostile lengths fail with MALFORMED_PAYLOAD before anything is allocated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "constants.hpp"
#include "errors.hpp"

namespace overlay_ipc {

using Bytes = std::vector<std::uint8_t>;
using Hash = std::array<std::uint8_t, HASH_SIZE>;

/** A non-owning view of bytes (C++17 has no std::span). */
struct ByteView {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;

  constexpr ByteView() = default;
  constexpr ByteView(const std::uint8_t* d, std::size_t n) : data(d), size(n) {}
  ByteView(const Bytes& b) : data(b.data()), size(b.size()) {}  // NOLINT: implicit on purpose, like a span
  template <std::size_t N>
  constexpr ByteView(const std::array<std::uint8_t, N>& a) : data(a.data()), size(N) {}  // NOLINT

  const std::uint8_t* begin() const { return data; }
  const std::uint8_t* end() const { return data + size; }
  Bytes to_bytes() const { return Bytes(begin(), end()); }
};

inline bool operator==(ByteView a, ByteView b) {
  return a.size == b.size && (a.size == 0 || std::memcmp(a.data, b.data, a.size) == 0);
}
inline bool operator!=(ByteView a, ByteView b) { return !(a == b); }

namespace detail {

inline std::uint32_t load_u32le(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

inline std::uint64_t load_u64le(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(load_u32le(p)) | static_cast<std::uint64_t>(load_u32le(p + 4)) << 32;
}

inline void store_u32le(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace detail

/** Reads one payload front to back. Errors are MALFORMED_PAYLOAD carrying the frame type. */
class ByteReader {
 public:
  ByteReader(ByteView bytes, std::uint32_t frame_type) : bytes_(bytes), frame_type_(frame_type) {}

  std::size_t remaining() const { return bytes_.size - pos_; }
  std::uint32_t frame_type() const { return frame_type_; }

  std::uint8_t u8(const char* what = "u8") { return *need(1, what); }
  std::uint32_t u32(const char* what = "u32") { return detail::load_u32le(need(4, what)); }
  std::uint64_t u64(const char* what = "u64") { return detail::load_u64le(need(8, what)); }
  std::int64_t i64(const char* what = "i64") {
    const std::uint64_t raw = u64(what);
    std::int64_t v;  // two's complement reinterpretation without implementation-defined conversion
    std::memcpy(&v, &raw, sizeof v);
    return v;
  }

  ByteView take(std::size_t n, const char* what = "bytes") { return ByteView(need(n, what), n); }
  ByteView rest() { return take(remaining(), "rest"); }

  /** Every payload must be consumed exactly: trailing bytes mean the layout is not the one we know. */
  void end() const {
    if (remaining() != 0) fail(std::to_string(remaining()) + " trailing bytes after the payload");
  }

  [[noreturn]] void fail(const std::string& message) const { detail::malformed(frame_type_, message); }

 private:
  const std::uint8_t* need(std::size_t n, const char* what) {
    if (remaining() < n) {
      fail(std::string("truncated payload: ") + what + " needs " + std::to_string(n) + " bytes at offset " +
           std::to_string(pos_) + ", " + std::to_string(remaining()) + " left");
    }
    const std::uint8_t* at = bytes_.data + pos_;
    pos_ += n;
    return at;
  }

  ByteView bytes_;
  std::size_t pos_ = 0;
  std::uint32_t frame_type_;
};

/** Appends little-endian values to a byte vector. */
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u32(std::uint32_t v) {
    std::uint8_t b[4];
    detail::store_u32le(b, v);
    out_.insert(out_.end(), b, b + 4);
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v));
    u32(static_cast<std::uint32_t>(v >> 32));
  }
  void i64(std::int64_t v) {
    std::uint64_t raw;
    std::memcpy(&raw, &v, sizeof raw);
    u64(raw);
  }
  void bytes(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }

  Bytes& buffer() { return out_; }

 private:
  Bytes& out_;
};

}  // namespace overlay_ipc
