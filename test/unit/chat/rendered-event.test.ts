import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { nickKey } from '../../../src/chat/nicknames.js';
import { RenderedEvent } from '../../../src/chat/rendered-event.js';
import { isRocketDatagram } from '../../../src/protocol/udp-wire.js';

describe('RenderedEvent.bytes', () => {
  it('encodes once per encoding and gives the right bytes whatever order they are asked in', () => {
    const rendered = new RenderedEvent({ type: 'message', id: 'a', ts: 0, from: 'bob', text: '你好' });
    const utf8 = rendered.bytes('utf-8')!;
    expect(utf8.toString('utf8')).toBe('<bob> 你好\n');
    expect(rendered.bytes('utf-8')).toBe(utf8);
    const gbk = rendered.bytes('gbk')!;
    expect(iconv.decode(gbk, 'gbk')).toBe('<bob> 你好\n');
    expect(rendered.bytes('utf-8')).toBe(utf8);
    expect(rendered.bytes('gbk')).toBe(gbk);
    expect(rendered.bytes('latin1')!.toString('latin1')).toBe('<bob> ??\n');
    expect(rendered.bytes('gbk')).toBe(gbk);
    expect(rendered.bytes('utf-8')).toBe(utf8);
  });

  it('has no bytes for an event without a text form', () => {
    const rendered = new RenderedEvent({ type: 'ack', id: 'a' });
    expect(rendered.bytes('utf-8')).toBeUndefined();
    expect(rendered.bytes('gbk')).toBeUndefined();
  });
});

describe('nickKey', () => {
  // It remembers the last nick asked for; a different one must not get its key.
  it('folds width and case, whatever was asked before', () => {
    expect(nickKey('Ｇeorge')).toBe('george');
    expect(nickKey('Ｇeorge')).toBe('george');
    expect(nickKey('PEPPA')).toBe('peppa');
    expect(nickKey('Ｇeorge')).toBe('george');
    expect(nickKey('')).toBe('');
  });
});

describe('isRocketDatagram', () => {
  it('knows the magic and nothing shorter or different', () => {
    expect(isRocketDatagram(Buffer.from('RKT1{}'))).toBe(true);
    expect(isRocketDatagram(Buffer.from('RKT1'))).toBe(true);
    expect(isRocketDatagram(Buffer.from('RKT'))).toBe(false);
    expect(isRocketDatagram(Buffer.from('RKT2{}'))).toBe(false);
    expect(isRocketDatagram(Buffer.from('rkt1{}'))).toBe(false);
    expect(isRocketDatagram(Buffer.alloc(0))).toBe(false);
  });
});
