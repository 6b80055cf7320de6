// Typed protocol errors. The numeric codes travel in ERROR frames, so they are part of the wire: same numbers and
// names as ipc-protocol/src/errors.ts (keep the two in sync).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace overlay_ipc {

enum class ErrorCode : std::uint16_t {
  FRAME_TOO_LARGE = 1,
  UNKNOWN_TYPE = 2,
  MALFORMED_PAYLOAD = 3,
  WRONG_DIRECTION = 4,
  NOT_NEGOTIATED = 5,
  VERSION_MISMATCH = 6,
  NETWORK_MISMATCH = 7,
  PROTOCOL_STATE = 8,
  ALREADY_CONNECTED = 9,
  TIMEOUT = 10,
  NOT_FOUND = 11,
  BUSY = 12,
  SHUTTING_DOWN = 13,
  INTERNAL = 14,
  INVALID_REQUEST = 15,
  CONNECTION_CLOSED = 16,
};

namespace detail {
struct ErrorCodeName {
  ErrorCode code;
  std::string_view name;
};
inline constexpr ErrorCodeName kErrorCodeNames[] = {
    {ErrorCode::FRAME_TOO_LARGE, "FRAME_TOO_LARGE"},
    {ErrorCode::UNKNOWN_TYPE, "UNKNOWN_TYPE"},
    {ErrorCode::MALFORMED_PAYLOAD, "MALFORMED_PAYLOAD"},
    {ErrorCode::WRONG_DIRECTION, "WRONG_DIRECTION"},
    {ErrorCode::NOT_NEGOTIATED, "NOT_NEGOTIATED"},
    {ErrorCode::VERSION_MISMATCH, "VERSION_MISMATCH"},
    {ErrorCode::NETWORK_MISMATCH, "NETWORK_MISMATCH"},
    {ErrorCode::PROTOCOL_STATE, "PROTOCOL_STATE"},
    {ErrorCode::ALREADY_CONNECTED, "ALREADY_CONNECTED"},
    {ErrorCode::TIMEOUT, "TIMEOUT"},
    {ErrorCode::NOT_FOUND, "NOT_FOUND"},
    {ErrorCode::BUSY, "BUSY"},
    {ErrorCode::SHUTTING_DOWN, "SHUTTING_DOWN"},
    {ErrorCode::INTERNAL, "INTERNAL"},
    {ErrorCode::INVALID_REQUEST, "INVALID_REQUEST"},
    {ErrorCode::CONNECTION_CLOSED, "CONNECTION_CLOSED"},
};
}  // namespace detail

/** The TS name of a code ("MALFORMED_PAYLOAD"), or an empty view for a number this version does not know. */
constexpr std::string_view error_code_name(ErrorCode code) {
  for (const auto& entry : detail::kErrorCodeNames) {
    if (entry.code == code) return entry.name;
  }
  return {};
}

constexpr std::optional<ErrorCode> error_code_from_name(std::string_view name) {
  for (const auto& entry : detail::kErrorCodeNames) {
    if (entry.name == name) return entry.code;
  }
  return std::nullopt;
}

/**
 * Anything wrong on the wire. `frame_type()` is the type of the offending frame (0 when unknown), so the caller can
 * answer with an ERROR that names it; `fatal()` means framing is lost and the connection must be closed.
 */
class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(ErrorCode code, const std::string& message, std::uint32_t frame_type = 0, bool fatal = false)
      : std::runtime_error(describe(code, message, frame_type)),
        code_(code),
        frame_type_(frame_type),
        fatal_(fatal),
        detail_(message) {}

  ErrorCode code() const noexcept { return code_; }
  std::uint16_t wire_code() const noexcept { return static_cast<std::uint16_t>(code_); }
  std::string_view code_name() const noexcept { return error_code_name(code_); }
  std::uint32_t frame_type() const noexcept { return frame_type_; }
  bool fatal() const noexcept { return fatal_; }
  /** The message without the code and frame type prefix that what() carries. */
  const std::string& detail() const noexcept { return detail_; }

 private:
  static std::string describe(ErrorCode code, const std::string& message, std::uint32_t frame_type) {
    std::string_view name = error_code_name(code);
    std::string out = name.empty() ? "error " + std::to_string(static_cast<unsigned>(code)) : std::string(name);
    if (frame_type != 0) out += " (frame type " + std::to_string(frame_type) + ")";
    return out + ": " + message;
  }

  ErrorCode code_;
  std::uint32_t frame_type_;
  bool fatal_;
  std::string detail_;
};

/**
 * The overlay answered with an ERROR frame. The code is the overlay's and may be one this version does not name;
 * `frame_type()` is the ERROR's refType, the frame it refused.
 */
class RemoteError : public ProtocolError {
 public:
  RemoteError(std::uint16_t code, const std::string& message, std::uint32_t ref_type, std::uint64_t request_id)
      : ProtocolError(static_cast<ErrorCode>(code), "overlay refused: " + message, ref_type),
        request_id_(request_id) {}

  std::uint64_t request_id() const noexcept { return request_id_; }

 private:
  std::uint64_t request_id_;
};

namespace detail {
/** Every decoding failure below the frame layer is MALFORMED_PAYLOAD naming the frame. */
[[noreturn]] inline void malformed(std::uint32_t frame_type, const std::string& message) {
  throw ProtocolError(ErrorCode::MALFORMED_PAYLOAD, message, frame_type);
}
}  // namespace detail

}  // namespace overlay_ipc
