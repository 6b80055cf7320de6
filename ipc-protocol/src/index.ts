// ipc-protocol: the one definition of the wire between core and overlay. Imports nothing of ours.
export * from './constants.ts';
export * from './errors.ts';
export * from './bytes.ts';
export * from './schemas.ts';
export * from './catalogue.ts';
export * from './codec.ts';
export * from './frame-decoder.ts';
export * from './frame-writer.ts';
export * from './message-decoder.ts';
export * from './copy-message.ts';
export * from './handshake.ts';
export * from './verdicts.ts';
export * from './oldest-keys.ts';
