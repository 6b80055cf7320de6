// The HELLO exchange that switches a session from the V2 dialect to the extensions, with the rules of
// ipc-protocol/src/handshake.ts: same protocol version, same network, features = intersection of both offers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalogue.hpp"
#include "constants.hpp"
#include "errors.hpp"
#include "payloads.hpp"
#include "sha256.hpp"

namespace overlay_ipc {

/** Stellar's network id: SHA-256 of the network passphrase. */
inline Hash network_id_of(std::string_view passphrase) { return sha256(passphrase); }

/** Our HELLO: protocol version 1, the given features (all by default). */
inline HelloInfo local_hello(std::string software, const Hash& network_id,
                             const std::vector<Feature>& features = {std::begin(kAllFeatures),
                                                                     std::end(kAllFeatures)}) {
  HelloInfo h;
  h.protocol_version = PROTOCOL_VERSION;
  for (const Feature f : features) h.features.emplace_back(feature_name(f));
  h.software = std::move(software);
  h.network_id = network_id;
  return h;
}

struct Negotiated {
  std::uint32_t protocol_version = PROTOCOL_VERSION;
  /** Our offered features that the peer offered too, in our order. */
  std::vector<std::string> features;

  bool has(Feature f) const {
    return f == Feature::None || std::find(features.begin(), features.end(), feature_name(f)) != features.end();
  }
};

/**
 * Checks a peer's HELLO (or HELLO_ACK) against our own offer. Throws VERSION_MISMATCH or NETWORK_MISMATCH; names
 * we do not know are ignored, so a newer peer can offer features we do not have.
 */
inline Negotiated negotiate(const HelloInfo& local, const HelloInfo& remote) {
  if (remote.protocol_version != local.protocol_version) {
    throw ProtocolError(ErrorCode::VERSION_MISMATCH, "peer speaks protocol version " +
                                                         std::to_string(remote.protocol_version) + ", we speak " +
                                                         std::to_string(local.protocol_version));
  }
  if (remote.network_id != local.network_id) {
    throw ProtocolError(ErrorCode::NETWORK_MISMATCH, "peer is configured for a different network passphrase");
  }
  Negotiated out;
  out.protocol_version = local.protocol_version;
  for (const auto& f : local.features) {
    if (std::find(remote.features.begin(), remote.features.end(), f) != remote.features.end()) {
      out.features.push_back(f);
    }
  }
  return out;
}

}  // namespace overlay_ipc
