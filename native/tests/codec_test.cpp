// Unit tests of the codec beyond the golden vectors: V2 byte layouts, error codes and frame types, encode-side
// validation, msgpackr's number encodings, JS number formatting and property order, SHA-256, negotiation, the
// incremental frame decoder, and a round trip of every message type.
#include <cmath>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "check.hpp"
#include "overlay_ipc/overlay_ipc.hpp"

using namespace overlay_ipc;
using check::code_of;
using check::expect;
using check::hex;

namespace {

Bytes text_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

Hash filled(std::uint8_t b) {
  Hash h;
  h.fill(b);
  return h;
}

void v2_layouts() {
  check::run("SUBMIT_TX is fee i64 LE, num_ops u32 LE, then the envelope", [] {
    expect(hex(encode_payload(msg::SubmitTx{300, 3, {0xde, 0xad}})) == "2c01000000000000" "03000000" "dead",
           "SUBMIT_TX layout");
  });
  check::run("TX_SET_EXTERNALIZED is hash, n u32 LE, n hashes", [] {
    const Bytes p = encode_payload(msg::TxSetExternalized{filled(1), {filled(7), filled(7)}});
    expect(p.size() == 32 + 4 + 64 && detail::load_u32le(p.data() + 32) == 2, "TX_SET_EXTERNALIZED layout");
  });
  check::run("SCP_STATE_RESPONSE and PEER_REQUESTS_SCP_STATE carry a u64 LE request id first", [] {
    expect(hex(encode_payload(msg::PeerRequestsScpState{0x0102030405060708ull, 9})) == "0807060504030201" "09000000",
           "PEER_REQUESTS_SCP_STATE layout");
    expect(hex(encode_payload(msg::ScpStateResponse{1, {{5}}})) == "0100000000000000" "01000000" "01000000" "05",
           "SCP_STATE_RESPONSE layout");
  });
  check::run("SET_PEER_CONFIG is the JSON stellar-core writes", [] {
    const std::string json = R"({"known_peers":["a.example:11625"],"preferred_peers":[],"listen_port":11625})";
    const auto m = decode_as<msg::SetPeerConfig>(text_bytes(json));
    expect(m.config.known_peers == std::vector<std::string>{"a.example:11625"} && m.config.preferred_peers.empty() &&
               m.config.listen_port == 11625,
           "SET_PEER_CONFIG decodes");
    expect(encode_payload(m) == text_bytes(json), "SET_PEER_CONFIG re-encodes byte for byte");
  });
}

void errors() {
  check::run("error codes and names are those of errors.ts", [] {
    const char* names[] = {"FRAME_TOO_LARGE", "UNKNOWN_TYPE",      "MALFORMED_PAYLOAD", "WRONG_DIRECTION",
                           "NOT_NEGOTIATED",  "VERSION_MISMATCH",  "NETWORK_MISMATCH",  "PROTOCOL_STATE",
                           "ALREADY_CONNECTED", "TIMEOUT",         "NOT_FOUND",         "BUSY",
                           "SHUTTING_DOWN",   "INTERNAL",          "INVALID_REQUEST",   "CONNECTION_CLOSED"};
    for (std::uint16_t code = 1; code <= 16; ++code) {
      const auto name = error_code_name(static_cast<ErrorCode>(code));
      expect(name == names[code - 1] && error_code_from_name(name) == static_cast<ErrorCode>(code),
             "error code " + std::to_string(code));
    }
    expect(error_code_name(static_cast<ErrorCode>(99)).empty(), "unknown error code has no name");
  });
  check::run("an unknown type is UNKNOWN_TYPE carrying the type", [] {
    try {
      decode_message(9, ByteView());
      expect(false, "unknown type decoded");
    } catch (const ProtocolError& e) {
      expect(e.code() == ErrorCode::UNKNOWN_TYPE && e.frame_type() == 9, "UNKNOWN_TYPE, frame type 9", e.what());
    }
  });
  check::run("a frame travelling the wrong way is WRONG_DIRECTION when the receiver says which way it expects", [] {
    const Bytes p = encode_payload(msg::ScpReceived{{1}});
    const auto type = static_cast<std::uint32_t>(MsgType::SCP_RECEIVED);
    expect(code_of([&] { decode_message(type, p, DecodeOptions{Direction::ToOverlay}); }) == "WRONG_DIRECTION",
           "SCP_RECEIVED toward the overlay");
    expect(code_of([&] { decode_message(type, p, DecodeOptions{Direction::ToCore}); }) == "ok",
           "SCP_RECEIVED toward core");
  });
  check::run("a malformed payload names the frame type and is not fatal", [] {
    try {
      decode_message(static_cast<std::uint32_t>(MsgType::LEDGER_CLOSED), Bytes{1, 2, 3});
      expect(false, "short LEDGER_CLOSED decoded");
    } catch (const ProtocolError& e) {
      expect(e.code() == ErrorCode::MALFORMED_PAYLOAD && e.frame_type() == 4 && !e.fatal(),
             "MALFORMED_PAYLOAD, frame type 4, not fatal", e.what());
    }
  });
  check::run("encoding refuses a payload over the limit and leaves the buffer as it was", [] {
    Bytes out{0xaa};
    expect(code_of([&] { append_frame(out, msg::BroadcastScp{Bytes(1025)}, 1024); }) == "FRAME_TOO_LARGE",
           "FRAME_TOO_LARGE");
    expect(out == Bytes{0xaa}, "buffer untouched after FRAME_TOO_LARGE");
    append_frame(out, msg::BroadcastScp{Bytes(1024)}, 1024);
    expect(out.size() == 1 + 8 + 1024, "a payload at the limit is fine");
  });
}

/** Encoding validates like the TS side's safeParse, and a refused message leaves the buffer untouched. */
void encode_validation() {
  auto refused = [](const std::string& name, const Message& m) {
    Bytes out{0x01, 0x02};
    const std::string code = code_of([&] { append_frame(out, m); });
    expect(code == "MALFORMED_PAYLOAD" && out == Bytes{0x01, 0x02}, "refuses " + name, code);
  };
  HelloInfo hello = local_hello("core", network_id_of("x"));
  hello.software = "\xff";
  refused("invalid UTF-8 text", msg::Hello{hello});
  hello.software = std::string(257, 's');
  refused("text over 256 code points", msg::Hello{hello});
  hello.software = "s";
  hello.features.assign(65, "f");
  refused("65 features", msg::Hello{hello});
  refused("duplicate metric", msg::MetricsReply{1, {{"a", 1}, {"a", 2}}});
  refused("__proto__ metric", msg::MetricsReply{1, {{"__proto__", 1}}});
  refused("NaN metric", msg::OverlayMetricsResponse{{{"a", std::nan("")}}});
  refused("infinite rtt", msg::PeerConnected{PeerInfo{"p", "", "", PeerDirection::Inbound, "", HUGE_VAL, 0, 0, false}});
  refused("count above 2^53-1", msg::PeerConnected{PeerInfo{"p", "", "", PeerDirection::Inbound, "", 0,
                                                              9007199254740992ull, 0, false}});
  refused("unnamed enum value", msg::PeerConnected{PeerInfo{"p", "", "", static_cast<PeerDirection>(7), "", 0, 0, 0,
                                                            false}});
  refused("negative uptime", msg::StatsReply{1, OverlayStats{-1, 0, 0, 0, 0, 0, 0, 0, 0, 0}});
  refused("empty peer address", msg::SetPeerConfig{PeerConfig{{""}, {}, 1}});
  check::run("counts up to 2^53-1 are accepted", [] {
    const auto m = msg::PeerConnected{PeerInfo{"p", "", "", PeerDirection::Inbound, "", 0, 9007199254740991ull, 0, true}};
    expect(decode_as<msg::PeerConnected>(encode_payload(m)).peer.bytes_in == 9007199254740991ull, "2^53-1 round trip");
  });
}

/**
 * List caps, as the TS side: a count above the list's maximum is MALFORMED_PAYLOAD even when the payload could
 * hold that many of the smallest element (a 16 MiB batch of empty txs is 4 M elements), and so is a count that
 * cannot fit the rest of the payload at the element's smallest size; both before anything is allocated. Encoding
 * refuses a list above its maximum.
 */
void list_caps() {
  // requestId u64, then count u32 and `n` empty sized txs (4 zero bytes each).
  auto batch_of_empty_txs = [](std::uint32_t n) {
    Bytes p(8 + 4, 0);
    detail::store_u32le(p.data() + 8, n);
    p.resize(p.size() + std::size_t{4} * n, 0);
    return p;
  };
  const auto batch = static_cast<std::uint32_t>(MsgType::SUBMIT_TX_BATCH);
  check::run("a tx list of exactly MAX_TXS_PER_LIST empty txs decodes", [&] {
    const auto m = std::get<msg::SubmitTxBatch>(decode_message(batch, batch_of_empty_txs(MAX_TXS_PER_LIST)));
    expect(m.txs.size() == MAX_TXS_PER_LIST, "100,000 txs");
  });
  check::run("one more is MALFORMED_PAYLOAD although the payload holds it", [&] {
    expect(code_of([&] { decode_message(batch, batch_of_empty_txs(MAX_TXS_PER_LIST + 1)); }) == "MALFORMED_PAYLOAD",
           "100,001 txs");
  });
  check::run("a 16 MiB batch of empty txs is refused", [&] {
    const std::uint32_t n = (MAX_PAYLOAD - 12) / 4;
    expect(code_of([&] { decode_message(batch, batch_of_empty_txs(n)); }) == "MALFORMED_PAYLOAD", "4 M txs");
  });
  check::run("every list has its maximum", [&] {
    const std::pair<MsgType, std::size_t> lists[] = {
        {MsgType::SCP_STATE_RESPONSE, 8}, {MsgType::TOP_TXS_RESPONSE, 0}, {MsgType::TOP_TXS_REPLY, 8},
        {MsgType::TX_VERDICT_BATCH, 8},   {MsgType::TX_SET_EXTERNALIZED, HASH_SIZE}};
    for (const auto& [type, head] : lists) {
      const std::size_t item = type == MsgType::TX_VERDICT_BATCH ? 34 : type == MsgType::TX_SET_EXTERNALIZED ? 32 : 4;
      const std::uint32_t max =
          type == MsgType::SCP_STATE_RESPONSE ? MAX_SCP_ENVELOPES_PER_LIST : MAX_TXS_PER_LIST;
      for (const std::uint32_t n : {max, max + 1}) {
        Bytes p(head + 4 + item * n, 0);
        detail::store_u32le(p.data() + head, n);
        const std::string got = code_of([&] { decode_message(static_cast<std::uint32_t>(type), p); });
        expect(got == (n == max ? "ok" : "MALFORMED_PAYLOAD"),
               std::string(entry_of(type).name) + " with " + std::to_string(n) + " elements", got);
      }
    }
  });
  check::run("a count that cannot fit at the element's smallest size is refused", [] {
    // 2 verdicts need 68 bytes; 40 are left (enough for 2 sized items, not for 2 verdicts).
    Bytes p(8 + 4 + 40, 0);
    detail::store_u32le(p.data() + 8, 2);
    expect(code_of([&] { decode_message(static_cast<std::uint32_t>(MsgType::TX_VERDICT_BATCH), p); }) ==
               "MALFORMED_PAYLOAD",
           "2 verdicts in 40 bytes");
  });
  check::run("encoding refuses a list above its maximum and leaves the buffer as it was", [] {
    Bytes out{0x07};
    msg::SubmitTxBatch m{1, std::vector<Bytes>(MAX_TXS_PER_LIST + 1)};
    expect(code_of([&] { append_frame(out, m); }) == "MALFORMED_PAYLOAD" && out == Bytes{0x07}, "100,001 txs");
    m.txs.pop_back();
    expect(code_of([&] { append_frame(out, m); }) == "ok", "100,000 txs");
    msg::TxSetExternalized x{};
    x.tx_hashes.resize(MAX_TXS_PER_LIST + 1);
    expect(code_of([&] { encode_payload(x); }) == "MALFORMED_PAYLOAD", "100,001 tx hashes");
  });
}

/** msgpackr's choice of number encodings: smallest int in [-2^31, 2^32), float64 for everything else. */
void msgpack_numbers() {
  const std::pair<double, const char*> cases[] = {
      {0, "00"},
      {-0.0, "00"},
      {127, "7f"},
      {128, "cc80"},
      {255, "ccff"},
      {256, "cd0100"},
      {65535, "cdffff"},
      {65536, "ce00010000"},
      {4294967295.0, "ceffffffff"},
      {4294967296.0, "cb41f0000000000000"},
      {-1, "ff"},
      {-32, "e0"},
      {-33, "d0df"},
      {-128, "d080"},
      {-129, "d1ff7f"},
      {-32768, "d18000"},
      {-32769, "d2ffff7fff"},
      {-2147483648.0, "d280000000"},
      {-2147483649.0, "cbc1e0000000200000"},
      {0.5, "cb3fe0000000000000"},
      {1e300, "cb7e37e43c8800759c"},
  };
  for (const auto& [v, want] : cases) {
    Bytes out;
    mpack::Writer w(out);
    w.number(v);
    expect(hex(out) == want, "msgpack number " + js::to_string(v), hex(out) + " != " + want);
  }
}

void js_numbers() {
  // Expected strings are JSON.stringify's (Node 24).
  const std::pair<double, const char*> cases[] = {
      {5e-324, "5e-324"},
      {1e-7, "1e-7"},
      {1.5e-7, "1.5e-7"},
      {0.000001, "0.000001"},
      {123e-20, "1.23e-18"},
      {1e21, "1e+21"},
      {1e20, "100000000000000000000"},
      {123456789012345680000.0, "123456789012345680000"},
      {0.1, "0.1"},
      {9007199254740992.0, "9007199254740992"},
      {18446744073709551616.0, "18446744073709552000"},
      {-1.5, "-1.5"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {4.35, "4.35"},
      {0.3, "0.3"},
      {1.0 / 3, "0.3333333333333333"},
      {100, "100"},
      {9.999999999999999e20, "999999999999999900000"},
      {1.2e-6, "0.0000012"},
      {-0.0, "0"},
  };
  for (const auto& [v, want] : cases) {
    expect(js::to_string(v) == want, std::string("js::to_string ") + want, js::to_string(v));
  }
}

void property_order() {
  check::run("metrics are written in JS property order", [] {
    const Bytes p = encode_payload(msg::OverlayMetricsResponse{{{"b", 1}, {"2", 2}, {"a", 3}, {"1", 4}, {"01", 5}}});
    expect(std::string(p.begin(), p.end()) == R"({"1":4,"2":2,"b":1,"a":3,"01":5})", "JSON metrics order");
    const auto back = decode_as<msg::MetricsReply>(encode_payload(msg::MetricsReply{7, {{"x", 0.5}, {"7", 1}}}));
    expect(back.metrics == Metrics{{"7", 1}, {"x", 0.5}}, "msgpack metrics order");
  });
}

void sha256_and_network_id() {
  expect(hex(sha256(std::string_view(""))) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "sha256 of empty");
  expect(hex(sha256(std::string_view("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "sha256 of abc");
  expect(hex(sha256(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
         "sha256 of the two-block FIPS vector");
  const std::string million(1000000, 'a');
  expect(hex(sha256(std::string_view(million))) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
         "sha256 of a million a");
  expect(hex(network_id_of("Test SDF Network ; September 2015")) ==
             "cee0302d59844d32bdca915c8203dd44b33fbb7edc19051ea37abedf28ecd472",
         "testnet network id");
}

void negotiation() {
  const Hash net = network_id_of("Test SDF Network ; September 2015");
  const HelloInfo local = local_hello("core", net, {Feature::TxVerdicts, Feature::Queries, Feature::Stats});
  HelloInfo remote = local_hello("overlay", net, {Feature::Stats, Feature::TxVerdicts});
  remote.features.push_back("from-the-future");
  check::run("negotiation keeps our offered features that the peer offered, in our order", [&] {
    const Negotiated n = negotiate(local, remote);
    expect(n.features == std::vector<std::string>{"tx-verdicts", "stats"}, "feature intersection");
    expect(n.has(Feature::Stats) && !n.has(Feature::Queries) && n.has(Feature::None), "Negotiated::has");
  });
  HelloInfo other_version = remote;
  other_version.protocol_version = 2;
  expect(code_of([&] { negotiate(local, other_version); }) == "VERSION_MISMATCH", "version mismatch");
  HelloInfo other_network = remote;
  other_network.network_id = network_id_of("Public Global Stellar Network ; September 2015");
  expect(code_of([&] { negotiate(local, other_network); }) == "NETWORK_MISMATCH", "network mismatch");
}

void peek() {
  const Bytes query = encode_payload(msg::GetMetrics{77});
  Bytes with_junk = query;
  with_junk.insert(with_junk.end(), {'j', 'u', 'n', 'k'});
  expect(peek_request_id(static_cast<std::uint32_t>(MsgType::GET_METRICS), with_junk) == 77, "peek an extension id");
  expect(peek_request_id(static_cast<std::uint32_t>(MsgType::GET_TOP_TXS), Bytes(8, 1)) == 0, "peek V2: 0");
  expect(peek_request_id(static_cast<std::uint32_t>(MsgType::GET_METRICS), Bytes(7, 1)) == 0, "peek short: 0");
  expect(peek_request_id(static_cast<std::uint32_t>(MsgType::CACHE_QUORUM_SET), Bytes(40, 1)) == 0,
         "peek CACHE_QUORUM_SET (no request id): 0");
  expect(peek_request_id(static_cast<std::uint32_t>(MsgType::PEER_CONNECTED), Bytes(40, 1)) == 0,
         "peek PEER_CONNECTED (no request id): 0");
  expect(peek_request_id(1000, Bytes(8, 1)) == 0, "peek unknown type: 0");
}

template <class M>
void round_trip_default() {
  const std::string name(entry_of(M::type).name);
  check::run("round trip " + name, [&] {
    M m{};
    if constexpr (detail::has_request_id<M>::value) m.request_id = 0x0102030405060708ull;
    const Bytes frame = encode_frame(m);
    const Message back = decode_message(detail::load_u32le(frame.data()), ByteView(frame.data() + 8, frame.size() - 8));
    expect(std::holds_alternative<M>(back) && encode_frame(back) == frame, "round trip " + name);
    if constexpr (detail::has_request_id<M>::value) {
      expect(hex(ByteView(frame.data() + 8, 8)) == "0807060504030201", "request id leads the payload of " + name);
    }
  });
}

template <std::size_t... I>
void round_trip_all(std::index_sequence<I...>) {
  (round_trip_default<std::variant_alternative_t<I, Message>>(), ...);
}

void frame_decoder() {
  check::run("a decoder limit above 16 MiB is refused", [] {
    bool threw = false;
    try {
      FrameDecoder d(MAX_PAYLOAD + 1);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    expect(threw, "max_payload > MAX_PAYLOAD");
  });
  check::run("a lower limit rejects larger frames, fatally and for good", [] {
    FrameDecoder d(4);
    const Bytes big = encode_frame(msg::BroadcastScp{Bytes(5)});
    int frames = 0;
    auto count = [&frames](std::uint32_t, ByteView) { ++frames; };
    bool fatal = false;
    try {
      d.push(ByteView(big), count);
    } catch (const ProtocolError& e) {
      fatal = e.code() == ErrorCode::FRAME_TOO_LARGE && e.fatal() && e.frame_type() == 1;
    }
    expect(fatal, "FRAME_TOO_LARGE, fatal, frame type 1");
    expect(code_of([&] { d.push(encode_frame(msg::Shutdown{}), count); }) == "FRAME_TOO_LARGE" && frames == 0,
           "every later push fails too");
  });
  check::run("frames split and coalesced arbitrarily come out whole and in order", [] {
    Bytes stream;
    append_frame(stream, msg::Shutdown{});
    append_frame(stream, msg::BroadcastScp{Bytes(300, 9)});
    append_frame(stream, msg::RequestOverlayMetrics{});
    append_frame(stream, msg::GetTopTxs{5});
    for (std::size_t step = 1; step <= stream.size(); step += 7) {
      FrameDecoder d;
      std::vector<std::pair<std::uint32_t, std::size_t>> got;
      for (std::size_t off = 0; off < stream.size(); off += step) {
        d.push(stream.data() + off, std::min(step, stream.size() - off),
               [&got](std::uint32_t type, ByteView p) { got.emplace_back(type, p.size); });
      }
      const std::vector<std::pair<std::uint32_t, std::size_t>> want{{7, 0}, {1, 300}, {13, 0}, {2, 4}};
      expect(got == want && d.buffered() == 0 && d.frames() == 4, "chunks of " + std::to_string(step));
    }
  });
  check::run("an incomplete frame is held, then completed", [] {
    FrameDecoder d;
    const Bytes f = encode_frame(msg::GetTopTxs{5});
    int frames = 0;
    d.push(f.data(), 10, [&frames](std::uint32_t, ByteView) { ++frames; });
    expect(frames == 0 && d.buffered() == 2, "held");
    d.push(f.data() + 10, 2, [&frames](std::uint32_t, ByteView) { ++frames; });
    expect(frames == 1 && d.buffered() == 0, "completed");
  });
}

void catalogue() {
  expect(std::size(kCatalogue) == std::variant_size_v<Message>, "one struct per catalogue entry");
  for (const auto& e : kCatalogue) {
    expect(find_entry(e.id()) == &e, std::string("find ") + std::string(e.name));
    expect(e.is_v2() == (e.id() < 64 || (e.id() >= 100 && e.id() < 164)), std::string("is_v2 ") + std::string(e.name));
  }
  expect(feature_from_name("quorum-sets") == Feature::QuorumSets && !feature_from_name("nope"), "feature names");
}

}  // namespace

int main() {
  v2_layouts();
  errors();
  encode_validation();
  list_caps();
  msgpack_numbers();
  js_numbers();
  property_order();
  sha256_and_network_id();
  negotiation();
  peek();
  round_trip_all(std::make_index_sequence<std::variant_size_v<Message>>{});
  frame_decoder();
  catalogue();
  return check::summary();
}
