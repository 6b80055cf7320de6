// A blocking client for stellar-core's end of the socket: connect (retrying while the overlay starts, as V2 does),
// queue and flush frames (one write for everything queued), receive with a timeout, and the HELLO negotiation.
// The socket is non-blocking underneath so that reads and writes both honour a deadline via poll(2).
//
// Errors: OS failures are std::system_error naming the socket path; a peer that hangs up is ProtocolError
// CONNECTION_CLOSED; a deadline that passes is ProtocolError TIMEOUT; a bad frame is the ProtocolError the codec
// raised (MALFORMED_PAYLOAD and UNKNOWN_TYPE drop only that frame; FRAME_TOO_LARGE closes the connection).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "codec.hpp"
#include "errors.hpp"
#include "framing.hpp"
#include "handshake.hpp"
#include "messages.hpp"

namespace overlay_ipc {

struct ClientOptions {
  std::string socket_path;
  /** V2 behaviour: the overlay may still be starting, so try 10 times, 100 ms apart. */
  unsigned connect_attempts = 10;
  std::chrono::milliseconds connect_interval{100};
  /** How long receive() and hello() wait for a frame. */
  std::chrono::milliseconds read_timeout{10000};
  /** How long flush() waits for the overlay to drain the socket. */
  std::chrono::milliseconds write_timeout{10000};
  std::uint32_t max_payload = MAX_PAYLOAD;
};

class Client {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Client(ClientOptions options) : options_(std::move(options)), decoder_(options_.max_payload) {
    fd_ = connect_with_retry();
  }
  Client(Client&& other) noexcept { *this = std::move(other); }
  Client& operator=(Client&& other) noexcept {
    if (this != &other) {
      close();
      options_ = std::move(other.options_);
      fd_ = std::exchange(other.fd_, -1);
      decoder_ = std::move(other.decoder_);
      inbox_ = std::move(other.inbox_);
      outbox_ = std::move(other.outbox_);
      session_ = std::move(other.session_);
      sent_any_ = other.sent_any_;
      next_request_id_ = other.next_request_id_;
    }
    return *this;
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() { close(); }

  const std::string& path() const { return options_.socket_path; }
  bool is_open() const { return fd_ >= 0; }
  int native_handle() const { return fd_; }
  /** The negotiated session after hello(); empty while the connection speaks only the V2 dialect. */
  const std::optional<Negotiated>& session() const { return session_; }
  /** Fresh ids for correlated requests (SUBMIT_TX_CHECKED, GET_METRICS, ...). */
  std::uint64_t next_request_id() { return next_request_id_++; }

  /**
   * Sends HELLO and waits (read_timeout) for HELLO_ACK or an ERROR answering it. Returns the negotiated session;
   * throws RemoteError if the overlay refused (or serves another core: ALREADY_CONNECTED), VERSION_MISMATCH /
   * NETWORK_MISMATCH if its answer does not match our offer, PROTOCOL_STATE if anything was sent before (HELLO
   * must be the first frame). Other frames arriving meanwhile are kept, in order, for receive().
   */
  Negotiated hello(const HelloInfo& local) {
    // The overlay picks the dialect from the first frame: after any other frame a HELLO is dropped unanswered.
    if (sent_any_ || session_) {
      throw ProtocolError(ErrorCode::PROTOCOL_STATE, "HELLO must be the first frame on the connection to " + path(),
                          static_cast<std::uint32_t>(MsgType::HELLO));
    }
    send(msg::Hello{local});
    const auto deadline = Clock::now() + options_.read_timeout;
    std::size_t scanned = 0;
    while (true) {
      for (; scanned < inbox_.size(); ++scanned) {
        const Frame& f = inbox_[scanned];
        if (f.type == static_cast<std::uint32_t>(MsgType::HELLO_ACK)) {
          const Frame ack = take(scanned);
          session_ = negotiate(local, decode_as<msg::HelloAck>(ack.payload).hello);
          return *session_;
        }
        if (f.type == static_cast<std::uint32_t>(MsgType::ERROR)) {
          // Only an ERROR about HELLO (or about no frame in particular) answers it.
          msg::Error error;
          try {
            error = decode_as<msg::Error>(f.payload);
          } catch (const ProtocolError&) {
            take(scanned);  // a malformed frame is dropped, as receive() would
            throw;
          }
          if (error.error.ref_type == 0 || error.error.ref_type == static_cast<std::uint32_t>(MsgType::HELLO)) {
            take(scanned);
            throw RemoteError(error.error.code, error.error.message, error.error.ref_type, error.request_id);
          }
        }
      }
      if (!fill(deadline)) {
        throw ProtocolError(ErrorCode::TIMEOUT, "no HELLO_ACK from the overlay at " + path() + " within " +
                                                    std::to_string(options_.read_timeout.count()) + " ms");
      }
    }
  }

  /**
   * Encodes `m` after the frames already queued; nothing is written until flush(). Refuses (and queues nothing)
   * a message that travels overlay→core (WRONG_DIRECTION) or whose feature this session has not negotiated
   * (NOT_NEGOTIATED), besides the codec's own errors.
   */
  template <class M, class = std::enable_if_t<is_message_v<M> || std::is_same_v<M, Message>>>
  void queue(const M& m) {
    const std::uint32_t type = static_cast<std::uint32_t>(type_of_message(m));
    const CatalogueEntry& entry = *find_entry(type);
    if (entry.direction != Direction::ToOverlay) {
      throw ProtocolError(ErrorCode::WRONG_DIRECTION, std::string(entry.name) + " travels overlay→core only", type);
    }
    if (entry.feature != Feature::None && !(session_ && session_->has(entry.feature))) {
      throw ProtocolError(ErrorCode::NOT_NEGOTIATED,
                          std::string(entry.name) + " needs feature \"" + std::string(feature_name(entry.feature)) +
                              "\", not negotiated on this session",
                          type);
    }
    append_frame(outbox_, m, options_.max_payload);
    sent_any_ = true;
  }

  /**
   * Writes everything queued, in as few writes as the socket allows, within write_timeout. On TIMEOUT what was not
   * written stays queued (possibly the tail of a frame), so a later flush() resumes the stream where it stopped.
   */
  void flush() {
    ensure_open();
    const auto deadline = Clock::now() + options_.write_timeout;
    std::size_t off = 0;
    while (off < outbox_.size()) {
      const ssize_t n = ::send(fd_, outbox_.data() + off, outbox_.size() - off, MSG_NOSIGNAL);
      if (n >= 0) {
        off += static_cast<std::size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!wait_for(POLLOUT, deadline)) {
          outbox_.erase(outbox_.begin(), outbox_.begin() + static_cast<std::ptrdiff_t>(off));
          throw ProtocolError(ErrorCode::TIMEOUT, "the overlay at " + path() + " did not read for " +
                                                      std::to_string(options_.write_timeout.count()) + " ms");
        }
        continue;
      }
      if (errno == EPIPE || errno == ECONNRESET) closed_by_peer();
      throw os_error("send to");
    }
    outbox_.clear();
  }

  template <class M, class = std::enable_if_t<is_message_v<M> || std::is_same_v<M, Message>>>
  void send(const M& m) {
    queue(m);
    flush();
  }

  /** The next message from the overlay; ProtocolError TIMEOUT if none comes within read_timeout. */
  Message receive() {
    auto m = receive_for(options_.read_timeout);
    if (!m) {
      throw ProtocolError(ErrorCode::TIMEOUT, "nothing from the overlay at " + path() + " within " +
                                                  std::to_string(options_.read_timeout.count()) + " ms");
    }
    return std::move(*m);
  }

  /** The next message, or nothing if none comes within `timeout` (0: only what is already readable). */
  std::optional<Message> receive_for(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (inbox_.empty()) {
      if (!fill(deadline)) return std::nullopt;
    }
    const Frame f = take(0);
    return decode_message(f.type, f.payload, DecodeOptions{Direction::ToCore});
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  struct Frame {
    std::uint32_t type;
    Bytes payload;
  };

  template <class M>
  static MsgType type_of_message(const M& m) {
    if constexpr (std::is_same_v<M, Message>) {
      return type_of(m);
    } else {
      return M::type;
    }
  }

  Frame take(std::size_t i) {
    Frame f = std::move(inbox_[i]);
    inbox_.erase(inbox_.begin() + static_cast<std::ptrdiff_t>(i));
    return f;
  }

  std::system_error os_error(const char* action) const {
    return std::system_error(errno, std::generic_category(), std::string("overlay_ipc: ") + action + " " + path());
  }

  void ensure_open() const {
    if (fd_ < 0) {
      throw ProtocolError(ErrorCode::CONNECTION_CLOSED, "the connection to the overlay at " + path() + " is closed");
    }
  }

  [[noreturn]] void closed_by_peer() {
    close();
    throw ProtocolError(ErrorCode::CONNECTION_CLOSED, "the overlay at " + path() + " closed the connection");
  }

  /** Waits until the socket is ready for `events`; false if the deadline passes first. */
  bool wait_for(short events, Clock::time_point deadline) {
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd p{fd_, events, 0};
      const int n = ::poll(&p, 1, left > 0 ? static_cast<int>(std::min<long long>(left, 1 << 30)) : 0);
      if (n > 0) return true;  // readable, writable, or an error/hang-up that the next call reports
      if (n == 0) return false;
      if (errno != EINTR) throw os_error("poll on");
    }
  }

  /** Reads what is available (waiting until the deadline) into the inbox; false if nothing came in time. */
  bool fill(Clock::time_point deadline) {
    ensure_open();
    std::uint8_t buf[64 * 1024];
    while (true) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        try {
          decoder_.push(buf, static_cast<std::size_t>(n), [this](std::uint32_t type, ByteView payload) {
            inbox_.push_back(Frame{type, payload.to_bytes()});
          });
        } catch (const ProtocolError& e) {
          if (e.fatal()) close();  // framing is lost: nothing after this can be trusted
          throw;
        }
        return true;
      }
      if (n == 0) closed_by_peer();
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) closed_by_peer();
      if (errno != EAGAIN && errno != EWOULDBLOCK) throw os_error("recv from");
      if (!wait_for(POLLIN, deadline)) return false;
    }
  }

  int connect_with_retry() const {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (options_.socket_path.empty() || options_.socket_path.size() >= sizeof addr.sun_path) {
      throw std::system_error(ENAMETOOLONG, std::generic_category(),
                              "overlay_ipc: socket path \"" + path() + "\" is empty or longer than " +
                                  std::to_string(sizeof addr.sun_path - 1) + " bytes");
    }
    std::memcpy(addr.sun_path, options_.socket_path.data(), options_.socket_path.size());
    const unsigned attempts = options_.connect_attempts == 0 ? 1 : options_.connect_attempts;
    int err = 0;
    for (unsigned attempt = 1; attempt <= attempts; ++attempt) {
      const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) throw os_error("socket() for");
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
        if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
          const int e = errno;
          ::close(fd);
          throw std::system_error(e, std::generic_category(), "overlay_ipc: fcntl(O_NONBLOCK) on " + path());
        }
        return fd;
      }
      err = errno;
      ::close(fd);
      // Missing or refusing: the overlay may still be starting. Anything else will not get better by waiting.
      const bool transient = err == ENOENT || err == ECONNREFUSED || err == EAGAIN || err == EINTR;
      if (!transient) break;
      if (attempt < attempts) std::this_thread::sleep_for(options_.connect_interval);
    }
    throw std::system_error(err, std::generic_category(),
                            "overlay_ipc: cannot connect to " + path() + " (" + std::to_string(attempts) +
                                " attempts, " + std::to_string(options_.connect_interval.count()) + " ms apart)");
  }

  ClientOptions options_;
  int fd_ = -1;
  FrameDecoder decoder_;
  std::deque<Frame> inbox_;
  Bytes outbox_;
  std::optional<Negotiated> session_;
  bool sent_any_ = false;
  std::uint64_t next_request_id_ = 1;
};

}  // namespace overlay_ipc
