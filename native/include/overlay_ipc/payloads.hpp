// The structured payloads of the control plane (msgpack in the extensions, JSON in two V2 messages) and their
// schemas, field for field those of ipc-protocol/src/schemas.ts. Keys are listed in wire order.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bytes.hpp"
#include "constants.hpp"
#include "schema.hpp"

namespace overlay_ipc {

namespace rules {
inline constexpr schema::UInt<std::uint32_t> kU32{4294967295.0};
/** z.number().int().min(0).max(MAX_SAFE_INTEGER). */
inline constexpr schema::UInt<std::uint64_t> kCount{};
inline constexpr schema::Text kShortText{0, 256};
inline constexpr schema::List<schema::Text> kFeatures{{0, 64}, 64};
inline constexpr schema::List<schema::Text> kPeerAddresses{{1, 512}, 10000};
}  // namespace rules

/** HELLO: what core offers. */
struct HelloInfo {
  std::uint32_t protocol_version = PROTOCOL_VERSION;
  /** Extension feature names (constants.hpp); unknown names are allowed and ignored by negotiation. */
  std::vector<std::string> features;
  std::string software;
  /** SHA-256 of the network passphrase (Stellar's network id). */
  Hash network_id{};

  template <class Self, class F>
  static void schema(Self& s, F&& field) {
    field("protocolVersion", s.protocol_version, rules::kU32);
    field("features", s.features, rules::kFeatures);
    field("software", s.software, rules::kShortText);
    field("networkId", s.network_id, schema::HashBytes{});
  }
};

/** HELLO_ACK: the overlay's answer, a HELLO plus who it is. */
struct HelloAckInfo : HelloInfo {
  /** libp2p PeerId of the overlay (base58). */
  std::string peer_id;
  /** The validator's node key, Stellar strkey (G...). */
  std::string node_key;

  template <class Self, class F>
  static void schema(Self& s, F&& field) {
    HelloInfo::schema(s, field);
    field("peerId", s.peer_id, rules::kShortText);
    field("nodeKey", s.node_key, rules::kShortText);
  }
};

/** ERROR: a refusal, naming the code (errors.hpp) and the frame type it answers (0 when none). */
struct ErrorInfo {
  std::uint16_t code = 0;
  std::uint32_t ref_type = 0;
  std::string message;

  template <class Self, class F>
  static void schema(Self& s, F&& field) {
    field("code", s.code, schema::UInt<std::uint16_t>{65535.0});
    field("refType", s.ref_type, rules::kU32);
    field("message", s.message, schema::Text{0, 4096});
  }
};

enum class PeerDirection : std::uint8_t { Inbound, Outbound };

namespace rules {
inline constexpr schema::OneOf<PeerDirection, 2> kPeerDirection{{"inbound", "outbound"}};
}

struct PeerInfo {
  std::string peer_id;
  std::string node_key;
  std::string address;
  PeerDirection direction = PeerDirection::Outbound;
  std::string transport;
  /** Last ping round trip in milliseconds, -1 when not measured yet. */
  double rtt_ms = -1;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  bool preferred = false;

  template <class Self, class F>
  static void schema(Self& s, F&& field) {
    field("peerId", s.peer_id, rules::kShortText);
    field("nodeKey", s.node_key, rules::kShortText);
    field("address", s.address, rules::kShortText);
    field("direction", s.direction, rules::kPeerDirection);
    field("transport", s.transport, rules::kShortText);
    field("rttMs", s.rtt_ms, schema::Number{});
    field("bytesIn", s.bytes_in, rules::kCount);
    field("bytesOut", s.bytes_out, rules::kCount);
    field("preferred", s.preferred, schema::Bool{});
  }
};

struct PeerDisconnectInfo {
  std::string peer_id;
  std::string node_key;
  std::string reason;

  template <class Self, class F>
  static void schema(Self& s, F&& field) {
    field("peerId", s.peer_id, rules::kShortText);
    field("nodeKey", s.node_key, rules::kShortText);
    field("reason", s.reason, rules::kShortText);
  }
};

struct OverlayStats {
  double uptime_sec = 0;
  std::uint32_t last_ledger_seq = 0;
  std::uint64_t peers_inbound = 0;
  std::uint64_t peers_outbound = 0;
  std::uint64_t mempool_txs = 0;
  std::uint64_t mempool_bytes = 0;
  std::uint64_t txs_received = 0;
  std::uint64_t txs_flooded = 0;
  std::uint64_t scp_received = 0;
  std::uint64_t scp_broadcast = 0;

  template <class Self, class F>
  static void schema(Self& s, F&& field) {
    field("uptimeSec", s.uptime_sec, schema::Number{true});
    field("lastLedgerSeq", s.last_ledger_seq, rules::kU32);
    field("peersInbound", s.peers_inbound, rules::kCount);
    field("peersOutbound", s.peers_outbound, rules::kCount);
    field("mempoolTxs", s.mempool_txs, rules::kCount);
    field("mempoolBytes", s.mempool_bytes, rules::kCount);
    field("txsReceived", s.txs_received, rules::kCount);
    field("txsFlooded", s.txs_flooded, rules::kCount);
    field("scpReceived", s.scp_received, rules::kCount);
    field("scpBroadcast", s.scp_broadcast, rules::kCount);
  }
};

/** V2's SET_PEER_CONFIG, exactly as stellar-core's C++ bridge writes it (snake_case keys). */
struct PeerConfig {
  std::vector<std::string> known_peers;
  std::vector<std::string> preferred_peers;
  std::uint16_t listen_port = 0;

  template <class Self, class F>
  static void schema(Self& s, F&& field) {
    field("known_peers", s.known_peers, rules::kPeerAddresses);
    field("preferred_peers", s.preferred_peers, rules::kPeerAddresses);
    field("listen_port", s.listen_port, schema::UInt<std::uint16_t>{65535.0});
  }
};

/**
 * A flat record of numbers, in the property order of the JS object it travels as (see schema::Record): the V2
 * OVERLAY_METRICS_RESPONSE (JSON) and the extension's METRICS_REPLY (msgpack).
 */
using Metrics = std::vector<std::pair<std::string, double>>;

namespace rules {
inline constexpr schema::Object<HelloInfo> kHello{};
inline constexpr schema::Object<HelloAckInfo> kHelloAck{};
inline constexpr schema::Object<ErrorInfo> kError{};
inline constexpr schema::Object<PeerInfo> kPeer{};
inline constexpr schema::List<schema::Object<PeerInfo>> kPeers{};
inline constexpr schema::Object<PeerDisconnectInfo> kPeerDisconnected{};
inline constexpr schema::Object<OverlayStats> kStats{};
inline constexpr schema::Object<PeerConfig> kPeerConfig{};
inline constexpr schema::Record<schema::Text, schema::Number> kMetrics{{0, 256}, {}};
}  // namespace rules

}  // namespace overlay_ipc
