// The blocking client against a scripted fake overlay on a real Unix-domain socket: connection retries, HELLO
// negotiation (and refusals), feature and direction checks on send, coalesced writes larger than the socket
// buffer, read and write timeouts, bad frames from the overlay, and hang-ups.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <system_error>
#include <thread>

#include "check.hpp"
#include "overlay_ipc/overlay_ipc.hpp"

using namespace overlay_ipc;
using namespace std::chrono_literals;
using check::code_of;
using check::expect;

namespace {

/** The overlay's end of one connection, blocking, for test scripts. */
class Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {}
  ~Conn() { close(); }

  /** The next frame as the overlay would decode it (direction: toward the overlay). */
  Message read() {
    while (frames_.empty()) {
      std::uint8_t buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) throw std::runtime_error("fake overlay: core hung up");
      decoder_.push(buf, static_cast<std::size_t>(n), [this](std::uint32_t type, ByteView payload) {
        frames_.push_back(decode_message(type, payload, DecodeOptions{Direction::ToOverlay}));
      });
    }
    Message m = std::move(frames_.front());
    frames_.erase(frames_.begin());
    return m;
  }
  template <class M>
  M read_as() {
    Message m = read();
    if (!std::holds_alternative<M>(m)) throw std::runtime_error("fake overlay: unexpected message");
    return std::get<M>(std::move(m));
  }
  void write(const Bytes& bytes) {
    for (std::size_t off = 0; off < bytes.size();) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n < 0) throw std::system_error(errno, std::generic_category(), "fake overlay: send");
      off += static_cast<std::size_t>(n);
    }
  }
  template <class M>
  void send(const M& m) {
    write(encode_frame(m));
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  FrameDecoder decoder_;
  std::vector<Message> frames_;
};

/** A listening socket in a fresh temporary directory, serving one connection with a script on a thread. */
class FakeOverlay {
 public:
  explicit FakeOverlay(const std::string& path, std::function<void(Conn&)> script) : path_(path) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    ::unlink(path.c_str());
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 4) != 0) {
      throw std::system_error(errno, std::generic_category(), "fake overlay: bind/listen " + path);
    }
    thread_ = std::thread([this, script = std::move(script)] {
      try {
        const int fd = ::accept(listener_, nullptr, nullptr);
        if (fd < 0) throw std::system_error(errno, std::generic_category(), "fake overlay: accept");
        Conn conn(fd);
        script(conn);
      } catch (...) {
        failure_ = std::current_exception();
      }
    });
  }
  ~FakeOverlay() {
    if (thread_.joinable()) {
      ::shutdown(listener_, SHUT_RDWR);  // unblocks an accept() still waiting
      thread_.join();
    }
    ::close(listener_);
    ::unlink(path_.c_str());
  }
  /** Waits for the script; its exception, if any, becomes a test failure. */
  void join(const std::string& test) {
    thread_.join();
    if (failure_) {
      try {
        std::rethrow_exception(failure_);
      } catch (const std::exception& e) {
        expect(false, test + ": fake overlay", e.what());
      }
    }
  }

 private:
  std::string path_;
  int listener_ = -1;
  std::thread thread_;
  std::exception_ptr failure_;
};

std::string temp_dir() {
  char tmpl[] = "/tmp/overlay-ipc-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  return tmpl;
}

const Hash kNet = network_id_of("Test SDF Network ; September 2015");

HelloAckInfo ack_offering(std::vector<std::string> features, const Hash& net = kNet) {
  HelloAckInfo ack;
  static_cast<HelloInfo&>(ack) = local_hello("fake-overlay", net, {});
  ack.features = std::move(features);
  ack.peer_id = "12D3KooWAbc";
  ack.node_key = "GDKXE2OZMJIPOSLNA6N6F2BVCI3O777I2OOC4BV7VOYUEHYX7RTRYA7Y";
  return ack;
}

ClientOptions options(const std::string& path) {
  ClientOptions o;
  o.socket_path = path;
  o.read_timeout = 2000ms;
  o.write_timeout = 2000ms;
  return o;
}

void connect_gives_up_with_a_clear_error(const std::string& dir) {
  check::run("connect gives up after its attempts, naming the path and errno", [&] {
    ClientOptions o = options(dir + "/nobody-here.sock");
    o.connect_attempts = 3;
    o.connect_interval = 20ms;
    const auto start = std::chrono::steady_clock::now();
    try {
      Client c(o);
      expect(false, "connected to nothing");
    } catch (const std::system_error& e) {
      const auto waited = std::chrono::steady_clock::now() - start;
      expect(e.code() == std::errc::no_such_file_or_directory, "ENOENT", e.what());
      expect(std::string(e.what()).find(o.socket_path) != std::string::npos, "message names the path", e.what());
      expect(waited >= 40ms, "retried twice, 20 ms apart");
    }
  });
}

void connect_retries_while_the_overlay_starts(const std::string& dir) {
  check::run("connect retries until the overlay listens", [&] {
    const std::string path = dir + "/late.sock";
    std::thread late([&] {
      std::this_thread::sleep_for(150ms);
      FakeOverlay overlay(path, [](Conn& c) { c.send(msg::ScpReceived{{1, 2, 3}}); });
      overlay.join("late overlay");
    });
    ClientOptions o = options(path);
    o.connect_interval = 50ms;
    Client client(o);
    const Message m = client.receive();
    expect(std::holds_alternative<msg::ScpReceived>(m) && std::get<msg::ScpReceived>(m).envelope == Bytes{1, 2, 3},
           "first frame from the late overlay");
    late.join();
  });
}

void hello_and_a_session(const std::string& dir) {
  const std::string path = dir + "/session.sock";
  check::run("HELLO negotiates; early frames are kept; requests get answers", [&] {
    FakeOverlay overlay(path, [](Conn& c) {
      const auto hello = c.read_as<msg::Hello>();
      if (hello.hello.network_id != kNet || hello.hello.software != "stellar-core test") {
        throw std::runtime_error("bad HELLO");
      }
      c.send(msg::ScpReceived{{9}});  // arrives before the ACK: must not be lost
      c.send(msg::HelloAck{ack_offering({"queries", "tx-verdicts", "from-the-future"})});
      const auto tx = c.read_as<msg::SubmitTxChecked>();
      const auto metrics = c.read_as<msg::GetMetrics>();
      TxVerdict verdict{TxStatus::INVALID, TxReason::BAD_SIGNATURE, sha256(ByteView(tx.tx))};
      c.send(msg::TxVerdict{tx.request_id, verdict});
      c.send(msg::MetricsReply{metrics.request_id, {{"peers", 3}, {"latency_ms", 0.5}}});
      c.read_as<msg::Shutdown>();
    });
    Client client(options(path));
    expect(code_of([&] { client.send(msg::GetMetrics{1}); }) == "NOT_NEGOTIATED", "queries need HELLO first");
    expect(code_of([&] { client.send(msg::ScpReceived{}); }) == "WRONG_DIRECTION", "core never sends SCP_RECEIVED");

    const Negotiated session = client.hello(local_hello("stellar-core test", kNet));
    expect(session.features == std::vector<std::string>{"tx-verdicts", "queries"}, "negotiated features");
    expect(code_of([&] { client.queue(msg::GetStats{client.next_request_id()}); }) == "NOT_NEGOTIATED",
           "stats were not offered by the overlay");

    const Bytes tx{0, 0, 0, 2, 7, 7};
    const std::uint64_t tx_id = client.next_request_id(), metrics_id = client.next_request_id();
    client.queue(msg::SubmitTxChecked{tx_id, tx});
    client.queue(msg::GetMetrics{metrics_id});
    client.flush();

    const Message early = client.receive();
    expect(std::holds_alternative<msg::ScpReceived>(early), "the frame that came before HELLO_ACK comes first");
    const Message verdict = client.receive();
    expect(std::holds_alternative<msg::TxVerdict>(verdict) && std::get<msg::TxVerdict>(verdict).request_id == tx_id &&
               std::get<msg::TxVerdict>(verdict).verdict.status == TxStatus::INVALID &&
               std::get<msg::TxVerdict>(verdict).verdict.hash == sha256(ByteView(tx)),
           "TX_VERDICT answers SUBMIT_TX_CHECKED");
    const Message metrics = client.receive();
    expect(std::holds_alternative<msg::MetricsReply>(metrics) &&
               std::get<msg::MetricsReply>(metrics).metrics == Metrics{{"peers", 3}, {"latency_ms", 0.5}},
           "METRICS_REPLY answers GET_METRICS");
    client.send(msg::Shutdown{});
    overlay.join("session");
  });
}

void hello_must_come_first(const std::string& dir) {
  check::run("HELLO after another frame is refused locally (the overlay would drop it unanswered)", [&] {
    const std::string path = dir + "/v2.sock";
    FakeOverlay overlay(path, [](Conn& c) {
      c.read_as<msg::SubmitTx>();
      c.read_as<msg::Shutdown>();
    });
    Client client(options(path));
    client.send(msg::SubmitTx{100, 1, {1, 2}});
    expect(code_of([&] { client.hello(local_hello("core", kNet)); }) == "PROTOCOL_STATE", "PROTOCOL_STATE");
    client.send(msg::Shutdown{});
    overlay.join("v2");
  });
}

void hello_refused(const std::string& dir) {
  check::run("an ERROR answering HELLO is a RemoteError with the overlay's code", [&] {
    const std::string path = dir + "/refuse.sock";
    FakeOverlay overlay(path, [](Conn& c) {
      c.read_as<msg::Hello>();
      c.send(msg::Error{0, ErrorInfo{static_cast<std::uint16_t>(ErrorCode::VERSION_MISMATCH), 64, "we speak 2"}});
    });
    Client client(options(path));
    try {
      client.hello(local_hello("core", kNet));
      expect(false, "refused HELLO accepted");
    } catch (const RemoteError& e) {
      expect(e.code() == ErrorCode::VERSION_MISMATCH && e.frame_type() == 64, "VERSION_MISMATCH about HELLO",
             e.what());
    }
    expect(!client.session(), "no session after a refusal");
    overlay.join("refuse");
  });
  check::run("a HELLO_ACK for another network is NETWORK_MISMATCH", [&] {
    const std::string path = dir + "/network.sock";
    FakeOverlay overlay(path, [](Conn& c) {
      c.read_as<msg::Hello>();
      c.send(msg::HelloAck{ack_offering({"queries"}, network_id_of("Public Global Stellar Network ; September 2015"))});
    });
    Client client(options(path));
    expect(code_of([&] { client.hello(local_hello("core", kNet)); }) == "NETWORK_MISMATCH", "network mismatch");
    overlay.join("network");
  });
}

void timeouts(const std::string& dir) {
  check::run("reads time out: receive_for gives nothing, receive and hello throw TIMEOUT", [&] {
    const std::string path = dir + "/silent.sock";
    std::atomic<bool> done{false};
    FakeOverlay overlay(path, [&done](Conn& c) {
      c.read_as<msg::Hello>();  // and never answer
      while (!done) std::this_thread::sleep_for(5ms);
    });
    ClientOptions o = options(path);
    o.read_timeout = 100ms;
    Client client(o);
    expect(!client.receive_for(30ms), "receive_for: nothing");
    expect(code_of([&] { client.receive(); }) == "TIMEOUT", "receive: TIMEOUT");
    expect(code_of([&] { client.hello(local_hello("core", kNet)); }) == "TIMEOUT", "hello: TIMEOUT");
    done = true;
    overlay.join("silent");
  });
  check::run("a write the overlay never reads times out", [&] {
    const std::string path = dir + "/stuck.sock";
    std::atomic<bool> done{false};
    FakeOverlay overlay(path, [&done](Conn&) {
      while (!done) std::this_thread::sleep_for(5ms);
    });
    ClientOptions o = options(path);
    o.write_timeout = 150ms;
    Client client(o);
    client.queue(msg::BroadcastScp{Bytes(8 * 1024 * 1024)});
    expect(code_of([&] { client.flush(); }) == "TIMEOUT", "flush: TIMEOUT");
    done = true;
    overlay.join("stuck");
  });
}

void big_coalesced_writes(const std::string& dir) {
  check::run("queued frames larger than the socket buffer all arrive, in order", [&] {
    const std::string path = dir + "/bulk.sock";
    FakeOverlay overlay(path, [](Conn& c) {
      for (std::uint32_t i = 0; i < 200; ++i) {
        if (c.read_as<msg::GetTopTxs>().count != i) throw std::runtime_error("GET_TOP_TXS out of order");
      }
      if (c.read_as<msg::BroadcastScp>().envelope != Bytes(3 * 1024 * 1024, 0x5a)) {
        throw std::runtime_error("large envelope damaged");
      }
      c.send(msg::ScpReceived{{1}});
    });
    Client client(options(path));
    for (std::uint32_t i = 0; i < 200; ++i) client.queue(msg::GetTopTxs{i});
    client.queue(msg::BroadcastScp{Bytes(3 * 1024 * 1024, 0x5a)});
    client.flush();
    expect(std::holds_alternative<msg::ScpReceived>(client.receive()), "overlay confirms");
    overlay.join("bulk");
  });
}

void bad_frames_and_hangups(const std::string& dir) {
  check::run("a bad frame from the overlay costs that frame only", [&] {
    const std::string path = dir + "/bad.sock";
    FakeOverlay overlay(path, [](Conn& c) {
      Bytes raw;
      append_raw_frame(raw, static_cast<std::uint32_t>(MsgType::TOP_TXS_RESPONSE), Bytes{5, 0, 0, 0});
      append_raw_frame(raw, 99, Bytes{});
      append_frame(raw, msg::SubmitTx{1, 1, {}});  // travels toward the overlay, not core
      append_frame(raw, msg::ScpReceived{{4}});
      c.write(raw);
      c.read_as<msg::Shutdown>();
    });
    Client client(options(path));
    expect(code_of([&] { client.receive(); }) == "MALFORMED_PAYLOAD", "MALFORMED_PAYLOAD");
    expect(code_of([&] { client.receive(); }) == "UNKNOWN_TYPE", "UNKNOWN_TYPE");
    expect(code_of([&] { client.receive(); }) == "WRONG_DIRECTION", "WRONG_DIRECTION");
    expect(std::holds_alternative<msg::ScpReceived>(client.receive()), "the next good frame");
    client.send(msg::Shutdown{});
    overlay.join("bad");
  });
  check::run("an oversized frame closes the connection", [&] {
    const std::string path = dir + "/huge.sock";
    FakeOverlay overlay(path, [](Conn& c) {
      Bytes header(8);
      detail::store_u32le(header.data(), 100);
      detail::store_u32le(header.data() + 4, 1024);
      c.write(header);
    });
    ClientOptions o = options(path);
    o.max_payload = 512;
    Client client(o);
    expect(code_of([&] { client.receive(); }) == "FRAME_TOO_LARGE" && !client.is_open(), "FRAME_TOO_LARGE, closed");
    expect(code_of([&] { client.send(msg::Shutdown{}); }) == "CONNECTION_CLOSED", "no sends after that");
    overlay.join("huge");
  });
  check::run("the overlay hanging up is CONNECTION_CLOSED", [&] {
    const std::string path = dir + "/hangup.sock";
    FakeOverlay overlay(path, [](Conn& c) { c.close(); });
    Client client(options(path));
    expect(code_of([&] { client.receive(); }) == "CONNECTION_CLOSED" && !client.is_open(), "receive after hang-up");
    overlay.join("hangup");
  });
}

}  // namespace

int main() {
  const std::string dir = temp_dir();
  connect_gives_up_with_a_clear_error(dir);
  connect_retries_while_the_overlay_starts(dir);
  hello_and_a_session(dir);
  hello_must_come_first(dir);
  hello_refused(dir);
  timeouts(dir);
  big_coalesced_writes(dir);
  bad_frames_and_hangups(dir);
  ::rmdir(dir.c_str());
  return check::summary();
}
