// Codes carried by TX_VERDICT / TX_VERDICT_BATCH, as in ipc-protocol/src/verdicts.ts. A u8 on the wire: values this
// version does not name still decode (the enums can hold any u8) and the name lookups return an empty view.
#pragma once

#include <cstdint>
#include <string_view>

#include "bytes.hpp"

namespace overlay_ipc {

enum class TxStatus : std::uint8_t {
  ACCEPTED = 0,
  DUPLICATE = 1,
  INVALID = 2,
  TRY_AGAIN_LATER = 3,
};

enum class TxReason : std::uint8_t {
  NONE = 0,
  MALFORMED_XDR = 1,
  TOO_LARGE = 2,
  FEE_TOO_LOW = 3,
  BAD_SIGNATURE = 4,
  WRONG_NETWORK = 5,
  BANNED = 6,
  BAD_SEQUENCE = 7,
  MEMPOOL_FULL = 8,
  REPLACE_FEE_TOO_LOW = 9,
  RATE_LIMITED = 10,
  UNSUPPORTED = 11,
};

constexpr std::string_view tx_status_name(TxStatus s) {
  constexpr std::string_view names[] = {"ACCEPTED", "DUPLICATE", "INVALID", "TRY_AGAIN_LATER"};
  const auto i = static_cast<std::uint8_t>(s);
  return i < std::size(names) ? names[i] : std::string_view();
}

constexpr std::string_view tx_reason_name(TxReason r) {
  constexpr std::string_view names[] = {"NONE",          "MALFORMED_XDR", "TOO_LARGE",    "FEE_TOO_LOW",
                                        "BAD_SIGNATURE", "WRONG_NETWORK", "BANNED",       "BAD_SEQUENCE",
                                        "MEMPOOL_FULL",  "REPLACE_FEE_TOO_LOW", "RATE_LIMITED", "UNSUPPORTED"};
  const auto i = static_cast<std::uint8_t>(r);
  return i < std::size(names) ? names[i] : std::string_view();
}

/** One verdict: `status u8, reason u8, hash [32]`. */
struct TxVerdict {
  TxStatus status = TxStatus::ACCEPTED;
  TxReason reason = TxReason::NONE;
  /** SHA-256 of the TransactionEnvelope XDR; zeros when the bytes could not be read at all. */
  Hash hash{};

  template <class S, class F>
  static void fields(S& s, F&& f) {
    f(s.status, s.reason, s.hash);
  }
};

}  // namespace overlay_ipc
