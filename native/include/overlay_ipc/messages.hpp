// One plain struct per catalogue entry, in namespace overlay_ipc::msg, named after the TS message. Each lists its
// payload fields once, in wire order, through a static `fields(self, f)`; codec.hpp derives encoder, decoder and
// size checks from that list. The C++ type of a field is its wire layout:
//
//   std::uint8_t / enum : u8           std::uint32_t : u32 LE          std::uint64_t : u64 LE (request ids)
//   std::int64_t        : i64 LE       Hash          : 32 bytes
//   Bytes               : the rest of the payload (last field only; an opaque XDR object)
//   std::vector<Bytes>  : count u32 LE, then count × (len u32 LE, bytes)
//   std::vector<Hash>   : count u32 LE, then count × 32 bytes
//   std::vector<S>      : count u32 LE, then count × S's own fields (S = TxVerdict)
//   (every vector is listed as capped<Max>(v): at most Max elements, as f.list(item, max) in catalogue.ts)
//   as_msgpack(v, rule) / as_json(v, rule) : the rest of the payload as msgpack / UTF-8 JSON, checked by `rule`
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "bytes.hpp"
#include "catalogue.hpp"
#include "constants.hpp"
#include "payloads.hpp"
#include "verdicts.hpp"

namespace overlay_ipc {

enum class Format { Msgpack, Json };

/** A field holding a structured payload: the value (by reference), its schema rule and its format. */
template <Format F, class T, class Rule>
struct Encoded {
  T& value;
  const Rule& rule;
};

template <class T, class Rule>
Encoded<Format::Msgpack, T, Rule> as_msgpack(T& value, const Rule& rule) {
  return {value, rule};
}

template <class T, class Rule>
Encoded<Format::Json, T, Rule> as_json(T& value, const Rule& rule) {
  return {value, rule};
}

/** A list field and its maximum element count (catalogue.ts `f.list(item, max)` / `f.hashList(max)`). */
template <class V, std::uint32_t Max>
struct Capped {
  static constexpr std::uint32_t max = Max;
  V& value;
};

template <std::uint32_t Max, class V>
Capped<V, Max> capped(V& value) {
  return {value};
}

namespace msg {

// ── V2 dialect, core → overlay ──────────────────────────────────────────────────────────────────────────────

struct BroadcastScp {
  static constexpr MsgType type = MsgType::BROADCAST_SCP;
  Bytes envelope;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.envelope); }
};

struct GetTopTxs {
  static constexpr MsgType type = MsgType::GET_TOP_TXS;
  std::uint32_t count = 0;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.count); }
};

struct RequestScpState {
  static constexpr MsgType type = MsgType::REQUEST_SCP_STATE;
  std::uint32_t ledger_seq = 0;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.ledger_seq); }
};

struct LedgerClosed {
  static constexpr MsgType type = MsgType::LEDGER_CLOSED;
  std::uint32_t ledger_seq = 0;
  Hash ledger_hash{};
  template <class S, class F> static void fields(S& s, F&& f) { f(s.ledger_seq, s.ledger_hash); }
};

struct TxSetExternalized {
  static constexpr MsgType type = MsgType::TX_SET_EXTERNALIZED;
  Hash tx_set_hash{};
  std::vector<Hash> tx_hashes;
  template <class S, class F> static void fields(S& s, F&& f) {
    f(s.tx_set_hash, capped<MAX_TXS_PER_LIST>(s.tx_hashes));
  }
};

struct ScpStateResponse {
  static constexpr MsgType type = MsgType::SCP_STATE_RESPONSE;
  std::uint64_t request_id = 0;
  std::vector<Bytes> envelopes;
  template <class S, class F> static void fields(S& s, F&& f) {
    f(s.request_id, capped<MAX_SCP_ENVELOPES_PER_LIST>(s.envelopes));
  }
};

struct Shutdown {
  static constexpr MsgType type = MsgType::SHUTDOWN;
  template <class S, class F> static void fields(S&, F&& f) { f(); }
};

struct SetPeerConfig {
  static constexpr MsgType type = MsgType::SET_PEER_CONFIG;
  PeerConfig config;
  template <class S, class F> static void fields(S& s, F&& f) { f(as_json(s.config, rules::kPeerConfig)); }
};

struct SubmitTx {
  static constexpr MsgType type = MsgType::SUBMIT_TX;
  std::int64_t fee = 0;
  std::uint32_t num_ops = 0;
  Bytes tx;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.fee, s.num_ops, s.tx); }
};

struct RequestTxSet {
  static constexpr MsgType type = MsgType::REQUEST_TX_SET;
  Hash hash{};
  template <class S, class F> static void fields(S& s, F&& f) { f(s.hash); }
};

struct CacheTxSet {
  static constexpr MsgType type = MsgType::CACHE_TX_SET;
  Hash hash{};
  Bytes tx_set;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.hash, s.tx_set); }
};

struct RequestOverlayMetrics {
  static constexpr MsgType type = MsgType::REQUEST_OVERLAY_METRICS;
  template <class S, class F> static void fields(S&, F&& f) { f(); }
};

// ── V2 dialect, overlay → core ──────────────────────────────────────────────────────────────────────────────

struct ScpReceived {
  static constexpr MsgType type = MsgType::SCP_RECEIVED;
  Bytes envelope;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.envelope); }
};

struct TopTxsResponse {
  static constexpr MsgType type = MsgType::TOP_TXS_RESPONSE;
  std::vector<Bytes> txs;
  template <class S, class F> static void fields(S& s, F&& f) { f(capped<MAX_TXS_PER_LIST>(s.txs)); }
};

struct PeerRequestsScpState {
  static constexpr MsgType type = MsgType::PEER_REQUESTS_SCP_STATE;
  std::uint64_t request_id = 0;
  std::uint32_t ledger_seq = 0;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, s.ledger_seq); }
};

struct TxSetAvailable {
  static constexpr MsgType type = MsgType::TX_SET_AVAILABLE;
  Hash hash{};
  Bytes tx_set;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.hash, s.tx_set); }
};

struct QuorumSetAvailable {
  static constexpr MsgType type = MsgType::QUORUM_SET_AVAILABLE;
  Bytes quorum_set;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.quorum_set); }
};

struct OverlayMetricsResponse {
  static constexpr MsgType type = MsgType::OVERLAY_METRICS_RESPONSE;
  Metrics metrics;
  template <class S, class F> static void fields(S& s, F&& f) { f(as_json(s.metrics, rules::kMetrics)); }
};

// ── Extensions, core → overlay ──────────────────────────────────────────────────────────────────────────────

struct Hello {
  static constexpr MsgType type = MsgType::HELLO;
  HelloInfo hello;
  template <class S, class F> static void fields(S& s, F&& f) { f(as_msgpack(s.hello, rules::kHello)); }
};

struct SubmitTxChecked {
  static constexpr MsgType type = MsgType::SUBMIT_TX_CHECKED;
  std::uint64_t request_id = 0;
  Bytes tx;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, s.tx); }
};

struct SubmitTxBatch {
  static constexpr MsgType type = MsgType::SUBMIT_TX_BATCH;
  std::uint64_t request_id = 0;
  std::vector<Bytes> txs;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, capped<MAX_TXS_PER_LIST>(s.txs)); }
};

struct GetTopTxsReq {
  static constexpr MsgType type = MsgType::GET_TOP_TXS_REQ;
  std::uint64_t request_id = 0;
  std::uint32_t count = 0;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, s.count); }
};

struct BuildTxSet {
  static constexpr MsgType type = MsgType::BUILD_TX_SET;
  std::uint64_t request_id = 0;
  std::uint32_t ledger_seq = 0;
  Hash previous_ledger_hash{};
  std::uint32_t max_ops = 0;
  std::uint32_t max_bytes = 0;
  template <class S, class F> static void fields(S& s, F&& f) {
    f(s.request_id, s.ledger_seq, s.previous_ledger_hash, s.max_ops, s.max_bytes);
  }
};

struct FetchTxSet {
  static constexpr MsgType type = MsgType::FETCH_TX_SET;
  std::uint64_t request_id = 0;
  Hash hash{};
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, s.hash); }
};

struct FetchQuorumSet {
  static constexpr MsgType type = MsgType::FETCH_QUORUM_SET;
  std::uint64_t request_id = 0;
  Hash hash{};
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, s.hash); }
};

struct GetMetrics {
  static constexpr MsgType type = MsgType::GET_METRICS;
  std::uint64_t request_id = 0;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id); }
};

struct GetPeers {
  static constexpr MsgType type = MsgType::GET_PEERS;
  std::uint64_t request_id = 0;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id); }
};

struct GetStats {
  static constexpr MsgType type = MsgType::GET_STATS;
  std::uint64_t request_id = 0;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id); }
};

struct CacheQuorumSet {
  static constexpr MsgType type = MsgType::CACHE_QUORUM_SET;
  Hash hash{};
  Bytes quorum_set;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.hash, s.quorum_set); }
};

// ── Extensions, overlay → core ──────────────────────────────────────────────────────────────────────────────

struct HelloAck {
  static constexpr MsgType type = MsgType::HELLO_ACK;
  HelloAckInfo hello;
  template <class S, class F> static void fields(S& s, F&& f) { f(as_msgpack(s.hello, rules::kHelloAck)); }
};

struct Error {
  static constexpr MsgType type = MsgType::ERROR;
  std::uint64_t request_id = 0;
  ErrorInfo error;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, as_msgpack(s.error, rules::kError)); }
};

struct TxVerdict {
  static constexpr MsgType type = MsgType::TX_VERDICT;
  std::uint64_t request_id = 0;
  overlay_ipc::TxVerdict verdict;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, s.verdict); }
};

struct TxVerdictBatch {
  static constexpr MsgType type = MsgType::TX_VERDICT_BATCH;
  std::uint64_t request_id = 0;
  std::vector<overlay_ipc::TxVerdict> verdicts;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, capped<MAX_TXS_PER_LIST>(s.verdicts)); }
};

struct TopTxsReply {
  static constexpr MsgType type = MsgType::TOP_TXS_REPLY;
  std::uint64_t request_id = 0;
  std::vector<Bytes> txs;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, capped<MAX_TXS_PER_LIST>(s.txs)); }
};

struct TxSetBuilt {
  static constexpr MsgType type = MsgType::TX_SET_BUILT;
  std::uint64_t request_id = 0;
  Hash hash{};
  Bytes tx_set;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, s.hash, s.tx_set); }
};

struct TxSetReply {
  static constexpr MsgType type = MsgType::TX_SET_REPLY;
  std::uint64_t request_id = 0;
  Hash hash{};
  Bytes tx_set;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, s.hash, s.tx_set); }
};

struct QuorumSetReply {
  static constexpr MsgType type = MsgType::QUORUM_SET_REPLY;
  std::uint64_t request_id = 0;
  Hash hash{};
  Bytes quorum_set;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, s.hash, s.quorum_set); }
};

struct MetricsReply {
  static constexpr MsgType type = MsgType::METRICS_REPLY;
  std::uint64_t request_id = 0;
  Metrics metrics;
  template <class S, class F> static void fields(S& s, F&& f) {
    f(s.request_id, as_msgpack(s.metrics, rules::kMetrics));
  }
};

struct PeersReply {
  static constexpr MsgType type = MsgType::PEERS_REPLY;
  std::uint64_t request_id = 0;
  std::vector<PeerInfo> peers;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, as_msgpack(s.peers, rules::kPeers)); }
};

struct StatsReply {
  static constexpr MsgType type = MsgType::STATS_REPLY;
  std::uint64_t request_id = 0;
  OverlayStats stats;
  template <class S, class F> static void fields(S& s, F&& f) { f(s.request_id, as_msgpack(s.stats, rules::kStats)); }
};

struct PeerConnected {
  static constexpr MsgType type = MsgType::PEER_CONNECTED;
  PeerInfo peer;
  template <class S, class F> static void fields(S& s, F&& f) { f(as_msgpack(s.peer, rules::kPeer)); }
};

struct PeerDisconnected {
  static constexpr MsgType type = MsgType::PEER_DISCONNECTED;
  PeerDisconnectInfo peer;
  template <class S, class F> static void fields(S& s, F&& f) { f(as_msgpack(s.peer, rules::kPeerDisconnected)); }
};

}  // namespace msg

/** Any message of the catalogue. codec.hpp checks at compile time that this list and kCatalogue agree. */
using Message = std::variant<
    msg::BroadcastScp, msg::GetTopTxs, msg::RequestScpState, msg::LedgerClosed, msg::TxSetExternalized,
    msg::ScpStateResponse, msg::Shutdown, msg::SetPeerConfig, msg::SubmitTx, msg::RequestTxSet, msg::CacheTxSet,
    msg::RequestOverlayMetrics, msg::ScpReceived, msg::TopTxsResponse, msg::PeerRequestsScpState,
    msg::TxSetAvailable, msg::QuorumSetAvailable, msg::OverlayMetricsResponse, msg::Hello, msg::SubmitTxChecked,
    msg::SubmitTxBatch, msg::GetTopTxsReq, msg::BuildTxSet, msg::FetchTxSet, msg::FetchQuorumSet, msg::GetMetrics,
    msg::GetPeers, msg::GetStats, msg::CacheQuorumSet, msg::HelloAck, msg::Error, msg::TxVerdict,
    msg::TxVerdictBatch, msg::TopTxsReply, msg::TxSetBuilt, msg::TxSetReply, msg::QuorumSetReply, msg::MetricsReply,
    msg::PeersReply, msg::StatsReply, msg::PeerConnected, msg::PeerDisconnected>;

}  // namespace overlay_ipc
