// Deterministic mutation fuzzing, seeded with the golden vectors and the parity cases. For every mutant:
//   - decoding either succeeds or throws ProtocolError: nothing else escapes, nothing crashes (build with
//     -DOVERLAY_IPC_SANITIZE=ON to have ASan/UBSan watch the same run);
//   - the verdict does not depend on how the bytes are split across reads;
//   - a frame that decodes re-encodes to canonical bytes that decode to themselves (encode∘decode is idempotent).
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "vectors.hpp"

using namespace overlay_ipc;

namespace {

constexpr int kMutantsPerSeed = 1000;

Bytes mutate(const Bytes& seed, std::mt19937& rng) {
  Bytes b = seed;
  auto pick = [&rng](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n == 0 ? 0 : n - 1)(rng); };
  auto byte = [&rng] { return static_cast<std::uint8_t>(std::uniform_int_distribution<int>(0, 255)(rng)); };
  const int edits = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int e = 0; e < edits; ++e) {
    switch (std::uniform_int_distribution<int>(0, 6)(rng)) {
      case 0:
        if (!b.empty()) b[pick(b.size())] ^= static_cast<std::uint8_t>(1u << pick(8));
        break;
      case 1:
        if (!b.empty()) b[pick(b.size())] = byte();
        break;
      case 2:
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() + 1)), byte());
        break;
      case 3:
        if (!b.empty()) b.erase(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size())));
        break;
      case 4:
        b.resize(pick(b.size() + 1));
        break;
      case 5:  // an interesting value at a random spot: 0, 0xff.., msgpack/JSON structural bytes
        if (!b.empty()) {
          const std::uint8_t specials[] = {0x00, 0xff, 0x7f, 0x80, 0xc0, 0xc1, 0xcf, 0xd3, 0xdc, 0xdd, 0xde,
                                           0xdf, 0xdb, 0xed, 0xf4, '"',  '\\', '{',  '[',  ']',  '}'};
          b[pick(b.size())] = specials[pick(sizeof specials)];
        }
        break;
      default: {  // duplicate a slice
        if (b.empty()) break;
        const std::size_t from = pick(b.size()), len = pick(b.size() - from) + 1;
        const Bytes slice(b.begin() + static_cast<std::ptrdiff_t>(from),
                          b.begin() + static_cast<std::ptrdiff_t>(from + len));
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() + 1)), slice.begin(), slice.end());
      }
    }
  }
  // Mostly keep the header's length honest, so mutants reach the payload decoders instead of stalling the framer.
  if (b.size() >= HEADER_SIZE && std::uniform_int_distribution<int>(0, 9)(rng) < 8) {
    detail::store_u32le(b.data() + 4, static_cast<std::uint32_t>(b.size() - HEADER_SIZE));
  }
  return b;
}

/** The verdict on a byte stream fed in chunks: error code or the canonical re-encoding of each frame. */
std::string judge(const Bytes& bytes, std::mt19937* split_rng) {
  std::string out;
  try {
    FrameDecoder d;
    std::size_t off = 0;
    while (off < bytes.size()) {
      std::size_t n = bytes.size() - off;
      if (split_rng != nullptr) n = std::uniform_int_distribution<std::size_t>(1, n)(*split_rng);
      d.push(bytes.data() + off, n, [&out](std::uint32_t type, ByteView payload) {
        const Bytes canonical = encode_frame(decode_message(type, payload));
        // Idempotence: the canonical bytes decode to a message that encodes to the very same bytes.
        FrameDecoder again;
        again.push(ByteView(canonical), [&canonical](std::uint32_t t, ByteView p) {
          if (encode_frame(decode_message(t, p)) != canonical) throw std::logic_error("re-encoding is not canonical");
        });
        out += "frame " + check::hex(canonical) + "; ";
      });
      off += n;
    }
    out += "held " + std::to_string(d.buffered());
  } catch (const ProtocolError& e) {
    out += std::string(e.code_name());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Bytes> seeds;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string path = argv[i];
      if (path.find("parity") != std::string::npos) {
        for (const auto& row : read_rows(path, 4)) seeds.push_back(check::unhex(row[3]));
      } else {
        for (const Vector& v : read_vectors(path)) seeds.push_back(v.bytes);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  check::expect(!seeds.empty(), "fuzz seeds loaded");

  std::mt19937 rng(0x0ba1a9ce);
  std::size_t mutants = 0;
  for (std::size_t s = 0; s < seeds.size(); ++s) {
    std::string failure;
    for (int i = 0; i < kMutantsPerSeed && failure.empty(); ++i, ++mutants) {
      const Bytes m = mutate(seeds[s], rng);
      try {
        const std::string whole = judge(m, nullptr);
        const std::string split = judge(m, &rng);
        // After a fatal error the split decides how far the stream got: compare only the code then.
        const bool fatal = whole.find("FRAME_TOO_LARGE") != std::string::npos;
        if (whole != split && !(fatal && split.find("FRAME_TOO_LARGE") != std::string::npos)) {
          failure = "split changes the verdict: " + whole + " vs " + split;
        }
      } catch (const std::exception& e) {
        failure = std::string("non-protocol exception: ") + e.what();
      }
      if (!failure.empty()) failure += " on mutant " + check::hex(m);
    }
    check::expect(failure.empty(), "mutants of seed " + std::to_string(s), failure);
  }
  std::printf("%zu mutants of %zu seeds\n", mutants, seeds.size());
  return check::summary();
}
