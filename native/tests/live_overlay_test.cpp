// The client against a live overlay process (not a CTest test: tests/integration/native-live.test.ts starts two
// overlays, prepares a signed transaction and an SCP envelope, and runs this binary against overlay A):
//   1. extensions session: connect (with retry), HELLO offering tx-verdicts and queries; prints "connected" so the
//      driver knows SCP envelopes sent from now on reach us; SUBMIT_TX_CHECKED → TX_VERDICT ACCEPTED whose hash is
//      SHA-256 of the envelope; GET_TOP_TXS_REQ → TOP_TXS_REPLY holding the tx; SCP_RECEIVED carrying exactly the
//      expected envelope (broadcast by the second overlay's core). Then the connection is closed.
//   2. V2 session (no HELLO), the next core connection: SUBMIT_TX, then GET_TOP_TXS until TOP_TXS_RESPONSE holds
//      both transactions. The overlay serves one core at a time and may not yet have seen the first one go, so a
//      refusal (ERROR ALREADY_CONNECTED, then hang-up) is retried on a fresh connection until the deadline.
// Every step prints "ok <step>"; the first failure prints "FAIL <step>: <why>" and exits 1 (2: bad arguments).
//
//   live_overlay_test --socket <path> --tx-hex <hex> --expect-scp-hex <hex> --v2-tx-hex <hex>
//                     [--v2-fee <stroops>] [--v2-ops <n>] [--passphrase <network>] [--timeout-ms <ms>]
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"
#include "overlay_ipc/overlay_ipc.hpp"

using namespace overlay_ipc;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

/** stellar-core's testnet passphrase: the overlays of the integration tests run on it. */
constexpr const char* kDefaultPassphrase = "Test SDF Network ; September 2015";
/** The whole run (both sessions) must finish within this, unless --timeout-ms says otherwise. */
constexpr long kDefaultTimeoutMs = 15000;
/** Connection attempts while the overlay's socket is missing or refusing, and their spacing (V2 uses 10 × 100 ms). */
constexpr unsigned kConnectAttempts = 50;
constexpr auto kConnectInterval = 100ms;
/** How many transactions GET_TOP_TXS(_REQ) asks for: far more than the test pool holds. */
constexpr std::uint32_t kTopCount = 1000;
/** Pause between two GET_TOP_TXS polls, and before reconnecting after a refusal. */
constexpr auto kPollInterval = 50ms;
/** Frames that are neither the awaited reply nor SCP (the session offers no peer events): tolerated up to this. */
constexpr int kMaxUnexpected = 100;

class StepFailed : public std::runtime_error {
 public:
  StepFailed(const std::string& step, const std::string& why) : std::runtime_error(step + ": " + why) {}
};

struct Args {
  std::string socket;
  Bytes tx;
  Bytes expect_scp;
  Bytes v2_tx;
  std::int64_t v2_fee = 100;  // Stellar's base fee for one operation
  std::uint32_t v2_ops = 1;
  std::string passphrase = kDefaultPassphrase;
  std::chrono::milliseconds timeout{kDefaultTimeoutMs};
};

Args parse_args(int argc, char** argv) {
  std::map<std::string, std::string> given;
  for (int i = 1; i < argc; i += 2) {
    const std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc) throw std::invalid_argument("expected --name value, got " + key);
    given[key.substr(2)] = argv[i + 1];
  }
  auto take = [&given](const char* name, bool required) -> std::optional<std::string> {
    const auto it = given.find(name);
    if (it == given.end()) {
      if (required) throw std::invalid_argument(std::string("missing --") + name);
      return std::nullopt;
    }
    std::string v = std::move(it->second);
    given.erase(it);
    return v;
  };
  Args a;
  a.socket = *take("socket", true);
  a.tx = check::unhex(*take("tx-hex", true));
  a.expect_scp = check::unhex(*take("expect-scp-hex", true));
  a.v2_tx = check::unhex(*take("v2-tx-hex", true));
  if (auto v = take("v2-fee", false)) a.v2_fee = std::stoll(*v);
  if (auto v = take("v2-ops", false)) a.v2_ops = static_cast<std::uint32_t>(std::stoul(*v));
  if (auto v = take("passphrase", false)) a.passphrase = *v;
  if (auto v = take("timeout-ms", false)) a.timeout = std::chrono::milliseconds(std::stol(*v));
  if (!given.empty()) throw std::invalid_argument("unknown option --" + given.begin()->first);
  if (a.tx.empty() || a.expect_scp.empty() || a.v2_tx.empty()) throw std::invalid_argument("empty hex argument");
  return a;
}

void ok(const std::string& step) {
  std::printf("ok %s\n", step.c_str());
  std::fflush(stdout);  // the driver reads our stdout as we go ("connected" is its cue)
}

/** An ERROR frame's code by name (its number if this version does not know it). */
std::string code_name(std::uint16_t code) {
  const std::string_view name = error_code_name(static_cast<ErrorCode>(code));
  return name.empty() ? std::to_string(code) : std::string(name);
}

std::string name_of(const Message& m) { return std::string(entry_of(type_of(m)).name); }

bool contains(const std::vector<Bytes>& list, const Bytes& item) {
  for (const Bytes& b : list) {
    if (b == item) return true;
  }
  return false;
}

ClientOptions client_options(const std::string& socket) {
  ClientOptions o;
  o.socket_path = socket;
  o.connect_attempts = kConnectAttempts;
  o.connect_interval = kConnectInterval;
  return o;
}

/**
 * An extensions session's receive loop: returns the first message `accept` takes (a non-null pointer into it)
 * before `deadline`; SCP_RECEIVED frames on the way are checked against the expected envelope and remembered.
 */
class Session {
 public:
  Session(Client& client, const Bytes& expect_scp, Clock::time_point deadline)
      : client_(client), expect_scp_(expect_scp), deadline_(deadline) {}

  bool scp_seen() const { return scp_seen_; }

  template <class M, class Pred>
  M await(const std::string& step, Pred&& accept) {
    while (true) {
      Message m = next(step, "a " + std::string(entry_of(M::type).name));
      if (auto* wanted = std::get_if<M>(&m); wanted != nullptr && accept(*wanted)) return std::move(*wanted);
      if (const auto* e = std::get_if<msg::Error>(&m)) {
        throw StepFailed(step, "overlay answered ERROR " + code_name(e->error.code) + " (request " +
                                   std::to_string(e->request_id) + "): " + e->error.message);
      }
      if (!std::holds_alternative<msg::ScpReceived>(m) && ++unexpected_ > kMaxUnexpected) {
        throw StepFailed(step, "more than " + std::to_string(kMaxUnexpected) + " unrelated frames, last " + name_of(m));
      }
    }
  }

  /** Waits for the expected envelope (unless it already came while we waited for something else). */
  void await_scp(const std::string& step) {
    while (!scp_seen_) {
      Message m = next(step, "SCP_RECEIVED with the expected envelope");
      if (!std::holds_alternative<msg::ScpReceived>(m) && ++unexpected_ > kMaxUnexpected) {
        throw StepFailed(step, "more than " + std::to_string(kMaxUnexpected) + " unrelated frames, last " + name_of(m));
      }
    }
  }

 private:
  Message next(const std::string& step, const std::string& waiting_for) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    std::optional<Message> m = client_.receive_for(left > 0ms ? left : 0ms);
    if (!m) throw StepFailed(step, "no " + waiting_for + " before the deadline");
    if (const auto* scp = std::get_if<msg::ScpReceived>(&*m)) {
      // The only SCP traffic in this network is the driver's one envelope: anything else is a delivery bug.
      if (scp->envelope != expect_scp_) {
        throw StepFailed(step, "SCP_RECEIVED with an unexpected envelope " + check::hex(scp->envelope));
      }
      if (scp_seen_) throw StepFailed(step, "the expected SCP envelope was delivered twice");
      scp_seen_ = true;
    }
    return std::move(*m);
  }

  Client& client_;
  const Bytes& expect_scp_;
  Clock::time_point deadline_;
  bool scp_seen_ = false;
  int unexpected_ = 0;
};

void extensions_session(const Args& a, Clock::time_point deadline) {
  Client client(client_options(a.socket));
  ok("connect");

  const Negotiated negotiated = client.hello(
      local_hello("live_overlay_test", network_id_of(a.passphrase), {Feature::TxVerdicts, Feature::Queries}));
  if (!negotiated.has(Feature::TxVerdicts) || !negotiated.has(Feature::Queries)) {
    throw StepFailed("hello", "the overlay did not grant tx-verdicts and queries");
  }
  ok("hello");
  std::printf("connected\n");  // the driver's cue to broadcast the SCP envelope through the other overlay
  std::fflush(stdout);

  Session session(client, a.expect_scp, deadline);

  const std::uint64_t submit_id = client.next_request_id();
  client.send(msg::SubmitTxChecked{submit_id, a.tx});
  const auto verdict =
      session.await<msg::TxVerdict>("submit", [&](const msg::TxVerdict& v) { return v.request_id == submit_id; });
  if (verdict.verdict.status != TxStatus::ACCEPTED) {
    throw StepFailed("submit", "verdict " + std::string(tx_status_name(verdict.verdict.status)) + " (" +
                                   std::string(tx_reason_name(verdict.verdict.reason)) + ")");
  }
  if (verdict.verdict.hash != sha256(ByteView(a.tx))) {
    throw StepFailed("submit", "verdict hash " + check::hex(ByteView(verdict.verdict.hash.data(), HASH_SIZE)) +
                                   " is not SHA-256 of the envelope");
  }
  ok("submit: ACCEPTED, hash = SHA-256 of the envelope");

  const std::uint64_t top_id = client.next_request_id();
  client.send(msg::GetTopTxsReq{top_id, kTopCount});
  const auto top =
      session.await<msg::TopTxsReply>("top txs", [&](const msg::TopTxsReply& r) { return r.request_id == top_id; });
  if (!contains(top.txs, a.tx)) {
    throw StepFailed("top txs", "TOP_TXS_REPLY of " + std::to_string(top.txs.size()) + " txs lacks the submitted one");
  }
  ok("top txs: the reply holds the submitted tx");

  session.await_scp("scp");
  ok("scp: SCP_RECEIVED carries the expected envelope");
  client.close();
}

/** The overlay turned a V2 connection away (ERROR ALREADY_CONNECTED, or a hang-up before any answer). */
class Refused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** Whether `m` answers GET_TOP_TXS; throws Refused on a refusal and StepFailed on anything a V2 core never gets. */
bool is_top_txs_response(const Message& m, const std::string& step) {
  if (std::holds_alternative<msg::TopTxsResponse>(m)) return true;
  if (const auto* e = std::get_if<msg::Error>(&m); e != nullptr && e->error.code == static_cast<std::uint16_t>(ErrorCode::ALREADY_CONNECTED)) {
    throw Refused(e->error.message);
  }
  if (std::holds_alternative<msg::ScpReceived>(m)) return false;
  throw StepFailed(step, "unexpected " + name_of(m) + " in a V2 session");
}

/** SUBMIT_TX, then GET_TOP_TXS until the response holds both txs (StepFailed at the deadline). */
void v2_submit_and_poll(Client& client, const Args& a, Clock::time_point deadline, const std::string& step) {
  bool answered = false;
  try {
    client.send(msg::SubmitTx{a.v2_fee, a.v2_ops, a.v2_tx});
    // SUBMIT_TX has no answer and is checked asynchronously: ask for the top txs until both are in.
    while (true) {
      client.send(msg::GetTopTxs{kTopCount});
      std::optional<Message> m;
      do {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        m = client.receive_for(left > 0ms ? left : 0ms);
        if (!m) throw StepFailed(step, "no TOP_TXS_RESPONSE before the deadline");
      } while (!is_top_txs_response(*m, step));
      answered = true;
      const auto& txs = std::get<msg::TopTxsResponse>(*m).txs;
      if (contains(txs, a.v2_tx) && contains(txs, a.tx)) return;
      if (Clock::now() >= deadline) {
        throw StepFailed(step, "TOP_TXS_RESPONSE of " + std::to_string(txs.size()) +
                                   " txs still lacks the V2 tx or the first one");
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  } catch (const ProtocolError& e) {
    // A refused connection may hang up before we read its ERROR (our write meets the closed socket first).
    if (e.code() == ErrorCode::CONNECTION_CLOSED && !answered) throw Refused(e.what());
    throw;
  }
}

void v2_session(const Args& a, Clock::time_point deadline) {
  const std::string step = "v2";
  int refusals = 0;
  while (true) {
    Client client(client_options(a.socket));
    try {
      v2_submit_and_poll(client, a, deadline, step);
      ok("v2: SUBMIT_TX, TOP_TXS_RESPONSE holds both txs (" + std::to_string(refusals) +
         " refusal(s) while the overlay still served the first connection)");
      return;
    } catch (const Refused& e) {
      ++refusals;
      if (Clock::now() >= deadline) {
        throw StepFailed(step, "the overlay kept refusing the second core connection (" + std::to_string(refusals) +
                                   " times, last: " + e.what() + ")");
      }
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "live_overlay_test: %s\n", e.what());
    std::fprintf(stderr,
                 "usage: %s --socket <path> --tx-hex <hex> --expect-scp-hex <hex> --v2-tx-hex <hex> "
                 "[--v2-fee <stroops>] [--v2-ops <n>] [--passphrase <network>] [--timeout-ms <ms>]\n",
                 argv[0]);
    return 2;
  }
  const auto deadline = Clock::now() + args.timeout;
  try {
    extensions_session(args, deadline);
    v2_session(args, deadline);
  } catch (const StepFailed& e) {
    std::printf("FAIL %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {  // ProtocolError (wire), RemoteError (HELLO refused), system_error (OS)
    std::printf("FAIL %s\n", e.what());
    return 1;
  }
  std::printf("live_overlay_test: all steps passed\n");
  return 0;
}
