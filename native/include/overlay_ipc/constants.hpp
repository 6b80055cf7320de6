// Wire constants, mirroring ipc-protocol/src/constants.ts.
#pragma once

#include <cstddef>
#include <cstdint>

namespace overlay_ipc {

/** `[type u32 LE][payload length u32 LE]` (Overlay V2 framing). */
inline constexpr std::size_t HEADER_SIZE = 8;

/** Largest payload a frame may carry (Overlay V2: 16 MiB). A lower limit may be configured per decoder. */
inline constexpr std::uint32_t MAX_PAYLOAD = 16u * 1024u * 1024u;

/** Version of the extension protocol announced in HELLO. */
inline constexpr std::uint32_t PROTOCOL_VERSION = 1;

/** Size of every hash on the wire (SHA-256). */
inline constexpr std::size_t HASH_SIZE = 32;

/** Most elements a transaction list may declare (txs, verdicts, tx hashes); MAX_TXS_PER_LIST of constants.ts. */
inline constexpr std::uint32_t MAX_TXS_PER_LIST = 100000;

/** Most envelopes one SCP_STATE_RESPONSE may declare; MAX_SCP_ENVELOPES_PER_LIST of constants.ts. */
inline constexpr std::uint32_t MAX_SCP_ENVELOPES_PER_LIST = 100000;

}  // namespace overlay_ipc
