// libp2p protocol ids and topics. Every id carries the network id prefix, so nodes of different Stellar networks
// never exchange a message even if they connect.

export interface ProtocolIds {
  kad: string;
  scpTopic: string;
  scpState: string;
  quorumSet: string;
  txFlood: string;
  txSet: string;
}

export function protocolIds(networkIdHex: string): ProtocolIds {
  const net = networkIdHex.slice(0, 16);
  return {
    kad: `/stellar/${net}/kad/1.0.0`,
    scpTopic: `/stellar/${net}/scp/1`,
    scpState: `/stellar/${net}/scp-state/1.0.0`,
    quorumSet: `/stellar/${net}/qset/1.0.0`,
    // v2: short ids and varint fees (tx/flood/wire.ts). v1 (32-byte hashes, u64 fees) is not offered: no network
    // ran it. A later version would be offered beside the current one (multistream-select) for rolling upgrades.
    txFlood: `/stellar/${net}/tx/2.0.0`,
    txSet: `/stellar/${net}/txset/1.0.0`,
  };
}
