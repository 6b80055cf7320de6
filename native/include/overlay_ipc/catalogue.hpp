// The message catalogue, as in ipc-protocol/src/catalogue.ts: for every frame type its id, name, direction, the
// extension feature it belongs to (V2 messages belong to none) and whether it is one of the extension's base
// messages (HELLO, HELLO_ACK, ERROR: usable in any extension session). Ids 1..99 travel core→overlay and
// 100..199 overlay→core; the extensions use 64..99 and 164..199. Payload layouts live in messages.hpp.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace overlay_ipc {

enum class MsgType : std::uint32_t {
  // V2 dialect, core → overlay
  BROADCAST_SCP = 1,
  GET_TOP_TXS = 2,
  REQUEST_SCP_STATE = 3,
  LEDGER_CLOSED = 4,
  TX_SET_EXTERNALIZED = 5,
  SCP_STATE_RESPONSE = 6,
  SHUTDOWN = 7,
  SET_PEER_CONFIG = 8,
  SUBMIT_TX = 10,
  REQUEST_TX_SET = 11,
  CACHE_TX_SET = 12,
  REQUEST_OVERLAY_METRICS = 13,
  // V2 dialect, overlay → core
  SCP_RECEIVED = 100,
  TOP_TXS_RESPONSE = 101,
  PEER_REQUESTS_SCP_STATE = 102,
  TX_SET_AVAILABLE = 103,
  QUORUM_SET_AVAILABLE = 104,
  OVERLAY_METRICS_RESPONSE = 105,
  // Extensions, core → overlay
  HELLO = 64,
  SUBMIT_TX_CHECKED = 65,
  SUBMIT_TX_BATCH = 66,
  GET_TOP_TXS_REQ = 67,
  BUILD_TX_SET = 68,
  FETCH_TX_SET = 69,
  FETCH_QUORUM_SET = 70,
  GET_METRICS = 71,
  GET_PEERS = 72,
  GET_STATS = 73,
  CACHE_QUORUM_SET = 74,
  // Extensions, overlay → core
  HELLO_ACK = 164,
  ERROR = 165,
  TX_VERDICT = 166,
  TX_VERDICT_BATCH = 167,
  TOP_TXS_REPLY = 168,
  TX_SET_BUILT = 169,
  TX_SET_REPLY = 170,
  QUORUM_SET_REPLY = 171,
  METRICS_REPLY = 172,
  PEERS_REPLY = 173,
  STATS_REPLY = 174,
  PEER_CONNECTED = 175,
  PEER_DISCONNECTED = 176,
};

enum class Direction : std::uint8_t { ToOverlay, ToCore };

/** Extension features a peer may offer in HELLO; a session uses the intersection of both offers. */
enum class Feature : std::uint8_t {
  None,  // the V2 dialect and the base messages
  TxVerdicts,
  TxBatch,
  Queries,
  QuorumSets,
  BuildTxSet,
  PeerEvents,
  Stats,
};

/** Every feature, in the order of constants.ts (what a HELLO offers by default). */
inline constexpr Feature kAllFeatures[] = {Feature::TxVerdicts, Feature::TxBatch,    Feature::Queries,
                                           Feature::QuorumSets, Feature::BuildTxSet, Feature::PeerEvents,
                                           Feature::Stats};

/** The name a feature has in HELLO ("tx-verdicts"); empty for Feature::None. */
constexpr std::string_view feature_name(Feature f) {
  switch (f) {
    case Feature::None: return {};
    case Feature::TxVerdicts: return "tx-verdicts";
    case Feature::TxBatch: return "tx-batch";
    case Feature::Queries: return "queries";
    case Feature::QuorumSets: return "quorum-sets";
    case Feature::BuildTxSet: return "build-tx-set";
    case Feature::PeerEvents: return "peer-events";
    case Feature::Stats: return "stats";
  }
  return {};
}

constexpr std::optional<Feature> feature_from_name(std::string_view name) {
  for (const Feature f : kAllFeatures) {
    if (feature_name(f) == name) return f;
  }
  return std::nullopt;
}

struct CatalogueEntry {
  MsgType type;
  std::string_view name;
  Direction direction;
  Feature feature;
  bool base;

  constexpr std::uint32_t id() const { return static_cast<std::uint32_t>(type); }
  /** True for messages of the V2 dialect, which any core may use without HELLO. */
  constexpr bool is_v2() const { return feature == Feature::None && !base; }
};

namespace detail {
constexpr CatalogueEntry v2(MsgType t, std::string_view n, Direction d) { return {t, n, d, Feature::None, false}; }
constexpr CatalogueEntry base(MsgType t, std::string_view n, Direction d) { return {t, n, d, Feature::None, true}; }
constexpr CatalogueEntry ext(MsgType t, std::string_view n, Direction d, Feature f) { return {t, n, d, f, false}; }
constexpr Direction kIn = Direction::ToOverlay;
constexpr Direction kOut = Direction::ToCore;
}  // namespace detail

inline constexpr CatalogueEntry kCatalogue[] = {
    detail::v2(MsgType::BROADCAST_SCP, "BROADCAST_SCP", detail::kIn),
    detail::v2(MsgType::GET_TOP_TXS, "GET_TOP_TXS", detail::kIn),
    detail::v2(MsgType::REQUEST_SCP_STATE, "REQUEST_SCP_STATE", detail::kIn),
    detail::v2(MsgType::LEDGER_CLOSED, "LEDGER_CLOSED", detail::kIn),
    detail::v2(MsgType::TX_SET_EXTERNALIZED, "TX_SET_EXTERNALIZED", detail::kIn),
    detail::v2(MsgType::SCP_STATE_RESPONSE, "SCP_STATE_RESPONSE", detail::kIn),
    detail::v2(MsgType::SHUTDOWN, "SHUTDOWN", detail::kIn),
    detail::v2(MsgType::SET_PEER_CONFIG, "SET_PEER_CONFIG", detail::kIn),
    detail::v2(MsgType::SUBMIT_TX, "SUBMIT_TX", detail::kIn),
    detail::v2(MsgType::REQUEST_TX_SET, "REQUEST_TX_SET", detail::kIn),
    detail::v2(MsgType::CACHE_TX_SET, "CACHE_TX_SET", detail::kIn),
    detail::v2(MsgType::REQUEST_OVERLAY_METRICS, "REQUEST_OVERLAY_METRICS", detail::kIn),

    detail::v2(MsgType::SCP_RECEIVED, "SCP_RECEIVED", detail::kOut),
    detail::v2(MsgType::TOP_TXS_RESPONSE, "TOP_TXS_RESPONSE", detail::kOut),
    detail::v2(MsgType::PEER_REQUESTS_SCP_STATE, "PEER_REQUESTS_SCP_STATE", detail::kOut),
    detail::v2(MsgType::TX_SET_AVAILABLE, "TX_SET_AVAILABLE", detail::kOut),
    detail::v2(MsgType::QUORUM_SET_AVAILABLE, "QUORUM_SET_AVAILABLE", detail::kOut),
    detail::v2(MsgType::OVERLAY_METRICS_RESPONSE, "OVERLAY_METRICS_RESPONSE", detail::kOut),

    detail::base(MsgType::HELLO, "HELLO", detail::kIn),
    detail::ext(MsgType::SUBMIT_TX_CHECKED, "SUBMIT_TX_CHECKED", detail::kIn, Feature::TxVerdicts),
    detail::ext(MsgType::SUBMIT_TX_BATCH, "SUBMIT_TX_BATCH", detail::kIn, Feature::TxBatch),
    detail::ext(MsgType::GET_TOP_TXS_REQ, "GET_TOP_TXS_REQ", detail::kIn, Feature::Queries),
    detail::ext(MsgType::BUILD_TX_SET, "BUILD_TX_SET", detail::kIn, Feature::BuildTxSet),
    detail::ext(MsgType::FETCH_TX_SET, "FETCH_TX_SET", detail::kIn, Feature::Queries),
    detail::ext(MsgType::FETCH_QUORUM_SET, "FETCH_QUORUM_SET", detail::kIn, Feature::QuorumSets),
    detail::ext(MsgType::GET_METRICS, "GET_METRICS", detail::kIn, Feature::Queries),
    detail::ext(MsgType::GET_PEERS, "GET_PEERS", detail::kIn, Feature::Queries),
    detail::ext(MsgType::GET_STATS, "GET_STATS", detail::kIn, Feature::Stats),
    detail::ext(MsgType::CACHE_QUORUM_SET, "CACHE_QUORUM_SET", detail::kIn, Feature::QuorumSets),

    detail::base(MsgType::HELLO_ACK, "HELLO_ACK", detail::kOut),
    detail::base(MsgType::ERROR, "ERROR", detail::kOut),
    detail::ext(MsgType::TX_VERDICT, "TX_VERDICT", detail::kOut, Feature::TxVerdicts),
    detail::ext(MsgType::TX_VERDICT_BATCH, "TX_VERDICT_BATCH", detail::kOut, Feature::TxBatch),
    detail::ext(MsgType::TOP_TXS_REPLY, "TOP_TXS_REPLY", detail::kOut, Feature::Queries),
    detail::ext(MsgType::TX_SET_BUILT, "TX_SET_BUILT", detail::kOut, Feature::BuildTxSet),
    detail::ext(MsgType::TX_SET_REPLY, "TX_SET_REPLY", detail::kOut, Feature::Queries),
    detail::ext(MsgType::QUORUM_SET_REPLY, "QUORUM_SET_REPLY", detail::kOut, Feature::QuorumSets),
    detail::ext(MsgType::METRICS_REPLY, "METRICS_REPLY", detail::kOut, Feature::Queries),
    detail::ext(MsgType::PEERS_REPLY, "PEERS_REPLY", detail::kOut, Feature::Queries),
    detail::ext(MsgType::STATS_REPLY, "STATS_REPLY", detail::kOut, Feature::Stats),
    detail::ext(MsgType::PEER_CONNECTED, "PEER_CONNECTED", detail::kOut, Feature::PeerEvents),
    detail::ext(MsgType::PEER_DISCONNECTED, "PEER_DISCONNECTED", detail::kOut, Feature::PeerEvents),
};

inline constexpr std::size_t kNoEntry = ~std::size_t{0};

/** Index of a frame type in kCatalogue, or kNoEntry. (Indices, not pointers, keep static_asserts valid under UBSan.) */
constexpr std::size_t entry_index(std::uint32_t id) {
  for (std::size_t i = 0; i < std::size(kCatalogue); ++i) {
    if (kCatalogue[i].id() == id) return i;
  }
  return kNoEntry;
}

/** The entry for a frame type, or nullptr for a type this version does not know. */
constexpr const CatalogueEntry* find_entry(std::uint32_t id) {
  const std::size_t i = entry_index(id);
  return i == kNoEntry ? nullptr : &kCatalogue[i];
}

constexpr const CatalogueEntry& entry_of(MsgType t) { return *find_entry(static_cast<std::uint32_t>(t)); }

namespace detail {
constexpr bool catalogue_ids_unique_and_directed() {
  for (std::size_t i = 0; i < std::size(kCatalogue); ++i) {
    const std::uint32_t id = kCatalogue[i].id();
    // V2 rule: 1..99 core→overlay, 100..199 overlay→core.
    const bool inbound = id >= 1 && id <= 99, outbound = id >= 100 && id <= 199;
    if (!(kCatalogue[i].direction == Direction::ToOverlay ? inbound : outbound)) return false;
    for (std::size_t j = i + 1; j < std::size(kCatalogue); ++j) {
      if (kCatalogue[j].id() == id) return false;
    }
  }
  return true;
}
static_assert(catalogue_ids_unique_and_directed(), "catalogue ids must be unique and follow the direction ranges");
}  // namespace detail

}  // namespace overlay_ipc
