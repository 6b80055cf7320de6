// Incremental frame decoder, as ipc-protocol/src/frame-decoder.ts: feed it socket reads as they come and it calls
// back once per whole frame, whatever the split or coalescing of frames across reads. A frame lying wholly inside
// one chunk is handed out as a view of that chunk (no copy); a frame spanning chunks is assembled once.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "bytes.hpp"
#include "constants.hpp"
#include "errors.hpp"

namespace overlay_ipc {

class FrameDecoder {
 public:
  /** `max_payload`: largest payload accepted, at most MAX_PAYLOAD (16 MiB). */
  explicit FrameDecoder(std::uint32_t max_payload = MAX_PAYLOAD) : max_payload_(max_payload) {
    if (max_payload > MAX_PAYLOAD) {
      throw std::invalid_argument("overlay_ipc: max_payload must be at most " + std::to_string(MAX_PAYLOAD));
    }
  }

  std::uint32_t max_payload() const { return max_payload_; }
  /** Bytes held for an incomplete frame. */
  std::size_t buffered() const { return header_filled_ + partial_.size(); }
  /** Frames delivered since creation. */
  std::uint64_t frames() const { return frames_; }

  /**
   * Consumes `size` bytes, calling `on_frame(std::uint32_t type, ByteView payload)` for each complete frame, in
   * order. The view is valid only during the call. An oversized length throws ProtocolError FRAME_TOO_LARGE
   * (fatal: the stream cannot be resynchronised, and every later push throws it again). If `on_frame` throws, the
   * exception propagates and the rest of this chunk is dropped, as in the TS decoder.
   */
  template <class OnFrame>
  void push(const std::uint8_t* data, std::size_t size, OnFrame&& on_frame) {
    if (failure_) throw *failure_;
    std::size_t off = 0;
    while (off < size) {
      if (in_payload_) {
        // Grow with the bytes that arrive, so a bare header cannot make us allocate max_payload up front.
        const std::size_t take = std::min(partial_length_ - partial_.size(), size - off);
        partial_.insert(partial_.end(), data + off, data + off + take);
        off += take;
        if (partial_.size() == partial_length_) finish_partial(on_frame);
        continue;
      }
      if (header_filled_ == 0 && size - off >= HEADER_SIZE) {
        // Fast path: a whole header in this chunk, and maybe the whole frame.
        const std::uint32_t type = detail::load_u32le(data + off);
        const std::uint32_t length = detail::load_u32le(data + off + 4);
        check(type, length);
        if (size - off - HEADER_SIZE >= length) {
          off += HEADER_SIZE + length;
          deliver(on_frame, type, ByteView(data + off - length, length));
          continue;
        }
      }
      const std::size_t take = std::min(HEADER_SIZE - header_filled_, size - off);
      std::memcpy(header_.data() + header_filled_, data + off, take);
      header_filled_ += take;
      off += take;
      if (header_filled_ == HEADER_SIZE) begin_payload(on_frame);
    }
  }

  template <class OnFrame>
  void push(ByteView chunk, OnFrame&& on_frame) {
    push(chunk.data, chunk.size, std::forward<OnFrame>(on_frame));
  }

 private:
  void check(std::uint32_t type, std::uint32_t length) {
    if (length > max_payload_) {
      failure_.emplace(ErrorCode::FRAME_TOO_LARGE,
                       "frame type " + std::to_string(type) + " announces " + std::to_string(length) +
                           " payload bytes, limit " + std::to_string(max_payload_),
                       type, true);
      throw *failure_;
    }
  }

  template <class OnFrame>
  void deliver(OnFrame& on_frame, std::uint32_t type, ByteView payload) {
    ++frames_;
    on_frame(type, payload);
  }

  /** Header complete: validate it, then deliver an empty frame or start collecting the payload. */
  template <class OnFrame>
  void begin_payload(OnFrame& on_frame) {
    const std::uint32_t type = detail::load_u32le(header_.data());
    const std::uint32_t length = detail::load_u32le(header_.data() + 4);
    check(type, length);
    header_filled_ = 0;
    if (length == 0) {
      deliver(on_frame, type, ByteView());
      return;
    }
    partial_type_ = type;
    partial_length_ = length;
    partial_.clear();
    in_payload_ = true;
  }

  template <class OnFrame>
  void finish_partial(OnFrame& on_frame) {
    in_payload_ = false;
    Bytes done;
    done.swap(partial_);  // the decoder is consistent again before the callback runs
    deliver(on_frame, partial_type_, ByteView(done));
  }

  std::uint32_t max_payload_;
  std::array<std::uint8_t, HEADER_SIZE> header_{};
  std::size_t header_filled_ = 0;
  bool in_payload_ = false;
  std::uint32_t partial_type_ = 0;
  std::size_t partial_length_ = 0;
  Bytes partial_;
  std::uint64_t frames_ = 0;
  std::optional<ProtocolError> failure_;
};

}  // namespace overlay_ipc
