// Connects to the overlay, negotiates the extensions, submits one transaction and prints the overlay's verdict.
//   submit_tx <socket path> <TransactionEnvelope XDR as hex> [network passphrase]
// Built with the tests so that this example (quoted in native/README.md) always compiles.
#include <cstdio>
#include <string>
#include <system_error>

#include "overlay_ipc/overlay_ipc.hpp"

using namespace overlay_ipc;

namespace {

Bytes from_hex(const std::string& hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <socket path> <tx envelope hex> [network passphrase]\n", argv[0]);
    return 2;
  }
  const std::string passphrase = argc > 3 ? argv[3] : "Test SDF Network ; September 2015";
  try {
    ClientOptions options;
    options.socket_path = argv[1];  // connect: 10 attempts, 100 ms apart, as V2
    Client client(options);

    const Negotiated session = client.hello(local_hello("stellar-core", network_id_of(passphrase)));
    if (!session.has(Feature::TxVerdicts)) {
      client.send(msg::SubmitTx{/*fee*/ 100, /*num_ops*/ 1, from_hex(argv[2])});  // V2: fire and forget
      std::printf("submitted (the overlay gives no verdicts)\n");
      return 0;
    }

    const std::uint64_t id = client.next_request_id();
    client.send(msg::SubmitTxChecked{id, from_hex(argv[2])});
    while (true) {
      const Message m = client.receive();  // ProtocolError TIMEOUT after options.read_timeout
      if (const auto* v = std::get_if<msg::TxVerdict>(&m); v != nullptr && v->request_id == id) {
        std::printf("%s (%s)\n", std::string(tx_status_name(v->verdict.status)).c_str(),
                    std::string(tx_reason_name(v->verdict.reason)).c_str());
        return v->verdict.status == TxStatus::ACCEPTED ? 0 : 1;
      }
      if (const auto* e = std::get_if<msg::Error>(&m); e != nullptr && e->request_id == id) {
        std::printf("refused: %s\n", e->error.message.c_str());
        return 1;
      }
      // Anything else (SCP_RECEIVED, peer events, ...) would go to its handler here.
    }
  } catch (const ProtocolError& e) {  // wire problems: e.code(), e.frame_type()
    std::fprintf(stderr, "%s\n", e.what());
  } catch (const std::system_error& e) {  // OS problems, naming the socket path
    std::fprintf(stderr, "%s\n", e.what());
  }
  return 1;
}
