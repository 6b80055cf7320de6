import { expect } from 'chai';
import { ALL_FEATURES, Feature, ProtocolError, localHello, negotiate, networkIdOf } from '#ipc-protocol';

const TESTNET = 'Test SDF Network ; September 2015';

describe('HELLO negotiation', () => {
  it('network id is SHA-256 of the passphrase (Stellar testnet id)', () => {
    expect(Buffer.from(networkIdOf(TESTNET)).toString('hex')).to.equal(
      'cee0302d59844d32bdca915c8203dd44b33fbb7edc19051ea37abedf28ecd472',
    );
  });

  it('uses the intersection of features and ignores names it does not know', () => {
    const ours = localHello('overlay', networkIdOf(TESTNET));
    const theirs = { ...localHello('core', networkIdOf(TESTNET), [Feature.QUERIES]), features: ['queries', 'future-thing'] };
    const n = negotiate(ours, theirs);
    expect([...n.features]).to.deep.equal(['queries']);
    expect(ALL_FEATURES).to.include('queries');
  });

  it('refuses another protocol version', () => {
    const ours = localHello('overlay', networkIdOf(TESTNET));
    expect(() => negotiate(ours, { ...ours, protocolVersion: 2 }))
      .to.throw(ProtocolError)
      .with.property('code', 'VERSION_MISMATCH');
  });

  it('refuses another network', () => {
    const ours = localHello('overlay', networkIdOf(TESTNET));
    const pub = localHello('core', networkIdOf('Public Global Stellar Network ; September 2015'));
    expect(() => negotiate(ours, pub)).to.throw(ProtocolError).with.property('code', 'NETWORK_MISMATCH');
  });
});
