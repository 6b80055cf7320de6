// Golden vectors shared with the TypeScript tests (tests/vectors/ipc-frames.txt). For `ok`: the frame decodes to
// exactly one message and re-encoding it reproduces the exact bytes. For an error code: decoding throws
// ProtocolError with exactly that code. Every vector must give the same outcome however its bytes are split across
// reads, and every catalogue id must have at least one ok vector.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "overlay_ipc/codec.hpp"
#include "overlay_ipc/framing.hpp"
#include "vectors.hpp"

using namespace overlay_ipc;

namespace {

/** What a conforming decoder makes of a byte stream: the error code ("ok" if none) and each frame re-encoded. */
struct Outcome {
  std::string code = "ok";
  std::vector<Bytes> reencoded;
  std::size_t left_buffered = 0;

  bool operator==(const Outcome& o) const {
    return code == o.code && reencoded == o.reencoded && left_buffered == o.left_buffered;
  }
};

/** Feeds `bytes` to a fresh decoder in chunks of the given sizes (the last chunk takes whatever is left). */
Outcome decode_in_chunks(const Bytes& bytes, const std::vector<std::size_t>& chunks) {
  Outcome out;
  FrameDecoder decoder;
  auto on_frame = [&out](std::uint32_t type, ByteView payload) {
    out.reencoded.push_back(encode_frame(decode_message(type, payload)));
  };
  try {
    std::size_t off = 0;
    for (std::size_t i = 0; off < bytes.size(); ++i) {
      const std::size_t n = i < chunks.size() ? std::min(chunks[i], bytes.size() - off) : bytes.size() - off;
      decoder.push(bytes.data() + off, n, on_frame);
      off += n;
    }
  } catch (const ProtocolError& e) {
    out.code = std::string(e.code_name());
  }
  // After a fatal error the stream is dead, and what the decoder still holds depends on the split: not compared.
  if (out.code == "ok") out.left_buffered = decoder.buffered();
  return out;
}

std::string describe(const Outcome& o) {
  std::string s = o.code + ", " + std::to_string(o.reencoded.size()) + " frame(s)";
  for (const Bytes& b : o.reencoded) s += " " + check::hex(b);
  return s + ", " + std::to_string(o.left_buffered) + " bytes left";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <path to tests/vectors/ipc-frames.txt>\n", argv[0]);
    return 2;
  }
  std::vector<Vector> vectors;
  try {
    vectors = read_vectors(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  check::expect(!vectors.empty(), "vectors file has vectors");

  std::mt19937 rng(20261121);
  for (const Vector& v : vectors) {
    const std::string label = v.name + " -> " + v.expect;
    check::expect(v.expect == "ok" || error_code_from_name(v.expect).has_value(), label + ": known expectation");

    const Outcome whole = decode_in_chunks(v.bytes, {});
    bool ok = v.expect == "ok" ? whole.code == "ok" && whole.reencoded.size() == 1 &&
                                     whole.reencoded[0] == v.bytes && whole.left_buffered == 0
                               : whole.code == v.expect;

    // Byte by byte, and a few random splits: the same outcome.
    const Outcome bytewise = decode_in_chunks(v.bytes, std::vector<std::size_t>(v.bytes.size(), 1));
    ok = ok && bytewise == whole;
    for (int trial = 0; trial < 8 && ok; ++trial) {
      std::vector<std::size_t> chunks;
      for (std::size_t left = v.bytes.size(); left > 0;) {
        const std::size_t n = std::uniform_int_distribution<std::size_t>(1, std::max<std::size_t>(1, left))(rng);
        chunks.push_back(n);
        left -= n;
      }
      ok = decode_in_chunks(v.bytes, chunks) == whole;
    }
    check::expect(ok, label, "whole: " + describe(whole) + "; byte by byte: " + describe(bytewise));
  }

  // Every catalogue id has at least one ok vector.
  for (const CatalogueEntry& entry : kCatalogue) {
    bool covered = false;
    for (const Vector& v : vectors) {
      covered = covered || (v.expect == "ok" && v.bytes.size() >= 4 && detail::load_u32le(v.bytes.data()) == entry.id());
    }
    check::expect(covered, std::string("ok vector for ") + std::string(entry.name) + " (" +
                               std::to_string(entry.id()) + ")");
  }

  // All ok vectors as one stream, fed byte by byte: the same frames, in order.
  Bytes stream;
  std::vector<Bytes> expected;
  for (const Vector& v : vectors) {
    if (v.expect != "ok") continue;
    stream.insert(stream.end(), v.bytes.begin(), v.bytes.end());
    expected.push_back(v.bytes);
  }
  const Outcome all = decode_in_chunks(stream, std::vector<std::size_t>(stream.size(), 1));
  check::expect(all.code == "ok" && all.reencoded == expected && all.left_buffered == 0,
                "all ok vectors as one stream, byte by byte", describe(all));

  return check::summary();
}
