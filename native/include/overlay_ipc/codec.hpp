// Encode and decode whole messages: a frame (type + payload) to a typed message and back, as
// ipc-protocol/src/codec.ts does. Decoding is strict: truncation, trailing bytes, counts that cannot fit the
// payload and schema mismatches are MALFORMED_PAYLOAD; an unknown type is UNKNOWN_TYPE. Framing (the incremental
// decoder) lives in framing.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "bytes.hpp"
#include "catalogue.hpp"
#include "constants.hpp"
#include "errors.hpp"
#include "json_io.hpp"
#include "messages.hpp"
#include "msgpack_io.hpp"
#include "schema.hpp"

namespace overlay_ipc {

namespace detail {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_encoded : std::false_type {};
template <Format F, class T, class R>
struct is_encoded<Encoded<F, T, R>> : std::true_type {};

/** Fields that take the rest of the payload, and so must come last in a layout. */
template <class T>
constexpr bool takes_rest_v = std::is_same_v<T, Bytes> || is_encoded<T>::value;

template <class... Ts>
constexpr bool rest_only_last() {
  constexpr bool takes[] = {takes_rest_v<std::decay_t<Ts>>..., false};
  for (std::size_t i = 0; i + 2 < std::size(takes); ++i) {
    if (takes[i]) return false;
  }
  return true;
}

/** Accepts any field list; used to detect types that declare `fields`. */
struct AnyFields {
  template <class... A>
  void operator()(A&&...) const {}
};

template <class T, class = void>
struct has_fields : std::false_type {};
template <class T>
struct has_fields<T, std::void_t<decltype(T::fields(std::declval<T&>(), AnyFields{}))>> : std::true_type {};

template <class T>
std::size_t min_size();

/**
 * Smallest encoding of one list item, so a count can be checked against the remaining payload before anything
 * is allocated (the TS `minSize`). Inside a list, Bytes is a sized item (len u32 LE + bytes).
 */
template <class T>
std::size_t item_min_size() {
  if constexpr (std::is_same_v<T, Bytes>) {
    return 4;
  } else {
    return min_size<T>();
  }
}

template <class T>
std::size_t min_size() {
  if constexpr (std::is_enum_v<T> || std::is_integral_v<T>) {
    return sizeof(T);
  } else if constexpr (std::is_same_v<T, Hash>) {
    return HASH_SIZE;
  } else if constexpr (std::is_same_v<T, Bytes>) {
    return 0;
  } else if constexpr (is_vector<T>::value) {
    return 4;
  } else {
    static_assert(has_fields<T>::value, "no wire layout for this type");
    const T sample{};
    std::size_t sum = 0;
    T::fields(sample, [&sum](const auto&... xs) { ((sum += min_size<std::decay_t<decltype(xs)>>()), ...); });
    return sum;
  }
}

template <class T>
struct is_capped : std::false_type {};
template <class V, std::uint32_t Max>
struct is_capped<Capped<V, Max>> : std::true_type {};

/**
 * Checks a count read from the payload against the list's maximum and against what is left (each item needs at
 * least `item_size` bytes), before anything is allocated.
 */
inline void check_count(const ByteReader& r, std::uint32_t n, std::uint32_t max, std::size_t item_size,
                        const char* what) {
  if (n > max) {
    r.fail(std::string(what) + " " + std::to_string(n) + " exceeds the maximum of " + std::to_string(max));
  }
  if (static_cast<std::uint64_t>(n) * item_size > r.remaining()) {
    r.fail(std::string(what) + " " + std::to_string(n) + " exceeds the payload");
  }
}

inline std::uint32_t length_u32(std::size_t n, std::uint32_t frame_type) {
  if (n > 0xFFFFFFFFu) malformed(frame_type, "a length does not fit in u32");
  return static_cast<std::uint32_t>(n);
}

template <class T, class R>
void write_encoded(ByteWriter& w, const Encoded<Format::Msgpack, T, R>& e, std::uint32_t frame_type) {
  mpack::Writer out(w.buffer());
  e.rule.write(schema::Out<mpack::Writer>{out, frame_type, "msgpack payload"}, e.value, schema::Path{});
}

template <class T, class R>
void write_encoded(ByteWriter& w, const Encoded<Format::Json, T, R>& e, std::uint32_t frame_type) {
  json::Writer out;
  e.rule.write(schema::Out<json::Writer>{out, frame_type, "JSON payload"}, e.value, schema::Path{});
  const std::string& text = out.str();
  w.bytes(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

template <Format F, class T, class R>
void read_encoded(ByteReader& r, const Encoded<F, T, R>& e) {
  const ByteView rest = r.rest();
  const bool is_json = F == Format::Json;
  const tree::Tree doc = is_json ? json::parse(rest, r.frame_type()) : mpack::parse(rest, r.frame_type());
  const schema::In in{doc, r.frame_type(), is_json ? "JSON payload" : "msgpack payload"};
  e.value = e.rule.read(in, doc.root(), schema::Path{});
}

template <class T>
void write_field(ByteWriter& w, const T& v, std::uint32_t frame_type, bool as_item = false);

template <class T>
void read_field(ByteReader& r, T& v, bool as_item = false);

template <class T>
void write_field(ByteWriter& w, const T& v, std::uint32_t frame_type, bool as_item) {
  if constexpr (std::is_enum_v<T>) {
    write_field(w, static_cast<std::underlying_type_t<T>>(v), frame_type);
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    w.u8(v);
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    w.u32(v);
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    w.u64(v);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    w.i64(v);
  } else if constexpr (std::is_same_v<T, Hash>) {
    w.bytes(v);
  } else if constexpr (std::is_same_v<T, Bytes>) {
    if (as_item) w.u32(length_u32(v.size(), frame_type));
    w.bytes(v);
  } else if constexpr (is_capped<T>::value) {
    if (v.value.size() > T::max) {
      malformed(frame_type, "list of " + std::to_string(v.value.size()) + " elements exceeds the maximum of " +
                                std::to_string(T::max));
    }
    w.u32(static_cast<std::uint32_t>(v.value.size()));
    for (const auto& item : v.value) write_field(w, item, frame_type, true);
  } else if constexpr (is_vector<T>::value) {
    static_assert(!is_vector<T>::value, "a list field must be declared as capped<Max>(v)");
  } else if constexpr (is_encoded<T>::value) {
    write_encoded(w, v, frame_type);
  } else {
    static_assert(has_fields<T>::value, "no wire layout for this type");
    T::fields(v, [&](const auto&... xs) { (write_field(w, xs, frame_type), ...); });
  }
}

template <class T>
void read_field(ByteReader& r, T& v, bool as_item) {
  if constexpr (std::is_enum_v<T>) {
    std::underlying_type_t<T> raw{};
    read_field(r, raw);
    v = static_cast<T>(raw);
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    v = r.u8();
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    v = r.u32();
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    v = r.u64();
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    v = r.i64();
  } else if constexpr (std::is_same_v<T, Hash>) {
    const ByteView b = r.take(HASH_SIZE, "hash");
    std::copy(b.begin(), b.end(), v.begin());
  } else if constexpr (std::is_same_v<T, Bytes>) {
    const ByteView b = as_item ? r.take(r.u32("length"), "sized bytes") : r.rest();
    v.assign(b.begin(), b.end());
  } else if constexpr (is_vector<T>::value) {
    static_assert(!is_vector<T>::value, "a list field must be declared as capped<Max>(v)");
  } else {
    static_assert(has_fields<T>::value, "no wire layout for this type");
    T::fields(v, [&](auto&&... xs) { (read_field(r, xs), ...); });
  }
}

/** A list: count u32 LE, checked against the maximum and the remaining bytes, then count items. */
template <class V, std::uint32_t Max>
void read_field(ByteReader& r, Capped<V, Max>&& list, bool = false) {
  using Item = typename std::remove_const_t<V>::value_type;
  const char* what = std::is_same_v<Item, Hash> ? "hash count" : "count";
  const std::uint32_t n = r.u32(what);
  check_count(r, n, Max, item_min_size<Item>(), what);
  V& v = list.value;
  v.clear();
  v.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    Item item{};
    read_field(r, item, true);
    v.push_back(std::move(item));
  }
}

/** The encoded structured payloads are read through their reference, so they come as temporaries. */
template <Format F, class T, class R>
void read_field(ByteReader& r, Encoded<F, T, R>&& e, bool = false) {
  read_encoded(r, e);
}

template <class M>
struct is_message : std::false_type {};
template <class... Ms>
struct is_message_list {
  template <class M>
  static constexpr bool contains = (std::is_same_v<M, Ms> || ...);
};
template <class V>
struct variant_list;
template <class... Ms>
struct variant_list<std::variant<Ms...>> : is_message_list<Ms...> {};

}  // namespace detail

/** True for the message structs of messages.hpp (the alternatives of Message). */
template <class M>
constexpr bool is_message_v = detail::variant_list<Message>::template contains<std::decay_t<M>>;

/** Appends the payload of `m` (no header). Throws ProtocolError MALFORMED_PAYLOAD if `m` breaks its schema. */
template <class M, class = std::enable_if_t<is_message_v<M>>>
void encode_payload(const M& m, Bytes& out) {
  ByteWriter w(out);
  const auto type = static_cast<std::uint32_t>(M::type);
  M::fields(m, [&](const auto&... xs) {
    static_assert(detail::rest_only_last<decltype(xs)...>(), "only the last field may take the rest of the payload");
    (detail::write_field(w, xs, type), ...);
  });
}

inline void encode_payload(const Message& m, Bytes& out) {
  std::visit([&out](const auto& msg) { encode_payload(msg, out); }, m);
}

template <class M>
Bytes encode_payload(const M& m) {
  Bytes out;
  encode_payload(m, out);
  return out;
}

inline void append_frame_header(Bytes& out, std::size_t at, std::uint32_t type, std::uint32_t length) {
  detail::store_u32le(out.data() + at, type);
  detail::store_u32le(out.data() + at + 4, length);
}

/**
 * Appends one whole frame (header + payload) to `out`. On any error `out` is left as it was. A payload over
 * `max_payload` is FRAME_TOO_LARGE.
 */
template <class M, class = std::enable_if_t<is_message_v<M> || std::is_same_v<M, Message>>>
void append_frame(Bytes& out, const M& m, std::uint32_t max_payload = MAX_PAYLOAD) {
  const std::size_t start = out.size();
  std::uint32_t type = 0;
  if constexpr (std::is_same_v<M, Message>) {
    type = std::visit([](const auto& msg) { return static_cast<std::uint32_t>(msg.type); }, m);
  } else {
    type = static_cast<std::uint32_t>(M::type);
  }
  try {
    out.resize(start + HEADER_SIZE);
    encode_payload(m, out);
    const std::size_t length = out.size() - start - HEADER_SIZE;
    if (length > max_payload) {
      throw ProtocolError(ErrorCode::FRAME_TOO_LARGE,
                          std::string(entry_of(static_cast<MsgType>(type)).name) + " payload of " +
                              std::to_string(length) + " bytes exceeds " + std::to_string(max_payload),
                          type);
    }
    append_frame_header(out, start, type, static_cast<std::uint32_t>(length));
  } catch (...) {
    out.resize(start);
    throw;
  }
}

template <class M>
Bytes encode_frame(const M& m, std::uint32_t max_payload = MAX_PAYLOAD) {
  Bytes out;
  append_frame(out, m, max_payload);
  return out;
}

/** Appends a frame whose payload is already encoded (relays, tests, fuzzers). */
inline void append_raw_frame(Bytes& out, std::uint32_t type, ByteView payload) {
  const std::size_t start = out.size();
  out.resize(start + HEADER_SIZE);
  append_frame_header(out, start, type, detail::length_u32(payload.size, type));
  out.insert(out.end(), payload.begin(), payload.end());
}

inline MsgType type_of(const Message& m) {
  return std::visit([](const auto& msg) { return msg.type; }, m);
}

struct DecodeOptions {
  /** Reject frames travelling the other way (WRONG_DIRECTION); a core passes Direction::ToCore. */
  std::optional<Direction> direction;
};

/** The catalogue entry for a received type: UNKNOWN_TYPE if there is none, WRONG_DIRECTION if it travels the other way. */
inline const CatalogueEntry& lookup_entry(std::uint32_t type, const DecodeOptions& options = {}) {
  const CatalogueEntry* entry = find_entry(type);
  if (entry == nullptr) throw ProtocolError(ErrorCode::UNKNOWN_TYPE, "unknown frame type " + std::to_string(type), type);
  if (options.direction && entry->direction != *options.direction) {
    throw ProtocolError(ErrorCode::WRONG_DIRECTION,
                        std::string(entry->name) + " (" + std::to_string(type) + ") travels " +
                            (entry->direction == Direction::ToCore ? "overlay→core" : "core→overlay") + " only",
                        type);
  }
  return *entry;
}

/** Decodes a payload as message M, whatever the frame said; the payload must be consumed exactly. */
template <class M, class = std::enable_if_t<is_message_v<M>>>
M decode_as(ByteView payload) {
  ByteReader r(payload, static_cast<std::uint32_t>(M::type));
  M m{};
  M::fields(m, [&r](auto&&... xs) { (detail::read_field(r, std::forward<decltype(xs)>(xs)), ...); });
  r.end();
  return m;
}

namespace detail {

using Decoder = Message (*)(ByteView);
inline constexpr std::size_t kMaxId = 256;

template <class M>
Message decode_into_message(ByteView payload) {
  return Message(decode_as<M>(payload));
}

template <std::size_t... I>
constexpr std::array<Decoder, kMaxId> make_decoders(std::index_sequence<I...>) {
  std::array<Decoder, kMaxId> table{};
  ((table[static_cast<std::uint32_t>(std::variant_alternative_t<I, Message>::type)] =
        &decode_into_message<std::variant_alternative_t<I, Message>>),
   ...);
  return table;
}

template <std::size_t... I>
constexpr bool message_list_matches_catalogue(std::index_sequence<I...>) {
  constexpr MsgType types[] = {std::variant_alternative_t<I, Message>::type...};
  if (std::size(types) != std::size(kCatalogue)) return false;
  for (std::size_t i = 0; i < std::size(types); ++i) {
    if (entry_index(static_cast<std::uint32_t>(types[i])) == kNoEntry) return false;
    if (static_cast<std::uint32_t>(types[i]) >= kMaxId) return false;
    for (std::size_t j = i + 1; j < std::size(types); ++j) {
      if (types[i] == types[j]) return false;
    }
  }
  return true;
}

inline constexpr auto kMessageIndices = std::make_index_sequence<std::variant_size_v<Message>>{};
static_assert(message_list_matches_catalogue(kMessageIndices),
              "every catalogue entry needs exactly one message struct in Message, and vice versa");

inline constexpr std::array<Decoder, kMaxId> kDecoders = make_decoders(kMessageIndices);

template <class M, class = void>
struct has_request_id : std::false_type {};
template <class M>
struct has_request_id<M, std::void_t<decltype(&M::request_id)>> : std::true_type {};

template <std::size_t... I>
constexpr std::array<bool, kMaxId> make_request_id_table(std::index_sequence<I...>) {
  std::array<bool, kMaxId> table{};
  ((table[static_cast<std::uint32_t>(std::variant_alternative_t<I, Message>::type)] =
        has_request_id<std::variant_alternative_t<I, Message>>::value),
   ...);
  return table;
}

}  // namespace detail

/**
 * Decodes one frame's payload into a message. Throws ProtocolError UNKNOWN_TYPE, WRONG_DIRECTION or
 * MALFORMED_PAYLOAD (carrying `type`), never anything else for bad input.
 */
inline Message decode_message(std::uint32_t type, ByteView payload, const DecodeOptions& options = {}) {
  lookup_entry(type, options);
  return detail::kDecoders[type](payload);
}

/**
 * The request id at the head of an extension request's payload, read without decoding the rest, so that an
 * ERROR can answer even a malformed request. 0 when the type is V2 or base, carries no request id, or the payload
 * is too short.
 */
inline std::uint64_t peek_request_id(std::uint32_t type, ByteView payload) {
  static constexpr auto has_id = detail::make_request_id_table(detail::kMessageIndices);
  const CatalogueEntry* entry = find_entry(type);
  if (entry == nullptr || entry->feature == Feature::None || !has_id[type] || payload.size < 8) return 0;
  return detail::load_u64le(payload.data);
}

}  // namespace overlay_ipc
